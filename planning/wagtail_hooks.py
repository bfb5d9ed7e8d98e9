"""Back office of the planning app: the « Enfance » menu and its URLs (``/admin/enfance/``).

Each entry names its destination by URL name; an entry whose view does not exist is not
shown. Every view behind these entries reaches rows through ``request.scope.agent``.
"""

from django.urls import NoReverseMatch, include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component

from portal.home import HomeQueue, home_panel_register, home_queue_register

from .admin import urls as admin_urls

# (label, URL name, icon, order)
MENU_ENTRIES = [
    (_("Demandes de réservation"), "planning_admin:requests", "tasks", 100),
    (_("Pré-inscriptions"), "planning_admin:enrolments", "user", 200),
    (_("Occupation des créneaux"), "planning_admin:occupancy", "table", 300),
    (_("Pointage"), "planning_admin:attendance", "tick-inverse", 400),
    (_("Activités"), "planning_admin:activities", "date", 500),
]


class AgentMenuItem(MenuItem):
    def is_shown(self, request):
        scope = getattr(request, "scope", None)
        return scope is not None and scope.is_agent


@hooks.register("register_admin_urls")
def register_planning_admin_urls():
    return [path("enfance/", include((admin_urls.urlpatterns, "planning_admin")))]


@hooks.register("register_admin_menu_item")
def register_planning_menu():
    items = []
    for label, url_name, icon, order in MENU_ENTRIES:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(
            AgentMenuItem(label, url, name=url_name.split(":")[1], icon_name=icon, order=order)
        )
    return SubmenuMenuItem(
        _("Enfance"), Menu(items=items), name="enfance", icon_name="date", order=260
    )


# --- the agents' home page (portal/home.py) ---------------------------------------------------

OVERDUE_DAYS = 2


def _pending_since(queryset, status):
    import datetime

    from django.db.models import Count, Q
    from django.utils import timezone

    limit = timezone.now() - datetime.timedelta(days=OVERDUE_DAYS)
    counts = queryset.filter(status=status).aggregate(
        pending=Count("pk"), overdue=Count("pk", filter=Q(created_at__lt=limit))
    )
    return counts["pending"], counts["overdue"]


def _booking_requests_count(scope):
    from .models import BookingRequest

    return _pending_since(scope.agent(BookingRequest), BookingRequest.Status.PENDING)


def _enrolments_count(scope):
    from .models import Enrolment

    return _pending_since(scope.agent(Enrolment), Enrolment.Status.PENDING)


home_queue_register(
    HomeQueue(
        key="booking_requests",
        label=_("Demandes de réservation et d’absence"),
        url_name="planning_admin:requests",
        count=_booking_requests_count,
        overdue_label=_("en attente depuis plus de 2 jours"),
        module="planning",
        order=30,
    )
)
home_queue_register(
    HomeQueue(
        key="enrolments",
        label=_("Pré-inscriptions"),
        url_name="planning_admin:enrolments",
        count=_enrolments_count,
        overdue_label=_("en attente depuis plus de 2 jours"),
        module="enrolment",
        order=40,
    )
)


class TodayOccupancyPanel(Component):
    """The day's slots: places taken out of the capacity, waiting list, requests to decide,
    and the attendance register."""

    name = "today_occupancy"
    template_name = "planning/admin/home_today.html"
    order = 20

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        from django.utils import timezone

        from .selectors.activities import occupancy_days

        today = timezone.localdate()
        days = occupancy_days(self.request.scope, start=today, end=today)
        return {"today": today, "slots": days[0][1] if days else []}


def _today_panel(request):
    from portal.modules import module_enabled

    if not module_enabled(request.collectivity, "planning"):
        return None
    return TodayOccupancyPanel(request)


home_panel_register(_today_panel)
