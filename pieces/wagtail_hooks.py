"""Back office of the supporting documents: the « Pièces justificatives » menu and its URLs
(``/admin/pieces/``), shown to the collectivity's agents when its documents module is on."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from portal.modules import Module, module_enabled

from .admin import urls as admin_urls

MENU_ENTRIES = [
    (_("Pièces à valider"), "pieces_admin:queue", "tasks", 100),
    (_("Types de documents"), "pieces_admin:types", "cogs", 200),
]


def pieces_shown(request) -> bool:
    scope = getattr(request, "scope", None)
    return (
        scope is not None
        and scope.is_agent
        and module_enabled(getattr(request, "collectivity", None), Module.DOCUMENTS)
    )


class PiecesMenuItem(MenuItem):
    def is_shown(self, request):
        return pieces_shown(request)


class PiecesSubmenuMenuItem(SubmenuMenuItem):
    def is_shown(self, request):
        return pieces_shown(request) and super().is_shown(request)


@hooks.register("register_admin_urls")
def register_pieces_admin_urls():
    return [path("pieces/", include((admin_urls.urlpatterns, "pieces_admin")))]


@hooks.register("register_admin_menu_item")
def register_pieces_menu():
    items = [
        PiecesMenuItem(
            label, reverse(url_name), name=url_name.split(":")[1], icon_name=icon, order=order
        )
        for label, url_name, icon, order in MENU_ENTRIES
    ]
    return PiecesSubmenuMenuItem(
        _("Pièces justificatives"),
        Menu(items=items),
        name="pieces",
        icon_name="doc-full",
        order=260,
    )
