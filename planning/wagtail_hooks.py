"""Back office of the planning app: the « Enfance » menu and its URLs (``/admin/enfance/``).

Each entry names its destination by URL name; an entry whose view does not exist is not
shown. Every view behind these entries reaches rows through ``request.scope.agent``.
"""

from django.urls import NoReverseMatch, include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

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
