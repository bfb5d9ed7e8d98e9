"""The agents' home page in the back office: one panel of the queues to work through, with
their pending counts and links, the day's occupancy and the overdue items.

``portal`` cannot import the domain apps (dependency direction): each app registers its
queues in its ``wagtail_hooks.py`` with ``home_queue_register``; later modules (documents to
review, invoicing runs, reminders) add theirs the same way and appear without touching this
file. A queue counts, for the request's scope, its pending items and, of those, the ones
« en retard » by the queue's own rule (``overdue``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from wagtail.admin.ui.components import Component

from .modules import module_enabled


@dataclass(frozen=True)
class HomeQueue:
    key: str
    label: str  # lazy French label: « Demandes de modification du dossier »
    url_name: str
    # count(scope) -> (pending, overdue): two numbers, a fixed number of queries.
    count: Callable
    overdue_label: str = ""  # « depuis plus de 2 jours »
    module: str | None = None
    order: int = 100
    query: str = ""  # appended to the URL: « ?en_retard=on »


_queues: dict[str, HomeQueue] = {}
_panels: list[Callable] = []


def home_queue_register(queue: HomeQueue) -> None:
    _queues[queue.key] = queue


def home_panel_register(factory: Callable) -> None:
    """``factory(request)`` returns a Wagtail ``Component`` (or None) for the agents' home."""
    if factory not in _panels:
        _panels.append(factory)


def home_queues(request) -> list[dict]:
    rows = []
    collectivity = getattr(request, "collectivity", None)
    for queue in sorted(_queues.values(), key=lambda q: (q.order, q.key)):
        if not module_enabled(collectivity, queue.module):
            continue
        try:
            url = reverse(queue.url_name) + queue.query
        except NoReverseMatch:
            continue
        pending, overdue = queue.count(request.scope)
        rows.append(
            {
                "key": queue.key,
                "label": queue.label,
                "url": url,
                "pending": pending,
                "overdue": overdue,
                "overdue_label": queue.overdue_label,
            }
        )
    return rows


class QueuesPanel(Component):
    name = "agent_queues"
    template_name = "portal/admin/home_queues.html"
    order = 10

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        return {"queues": home_queues(self.request), "collectivity": self.request.collectivity}


def home_panels(request) -> list[Component]:
    """The agents' panels, in order; none for someone who is not an agent here."""
    scope = getattr(request, "scope", None)
    if scope is None or not scope.is_agent:
        return []
    panels = [QueuesPanel(request)]
    for factory in _panels:
        panel = factory(request)
        if panel is not None:
            panels.append(panel)
    return panels
