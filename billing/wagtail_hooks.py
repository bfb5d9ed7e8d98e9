"""Back office of billing: the « Facturation » menu and its URLs (``/admin/facturation/``),
shown to the collectivity's agents when its billing module is on. Every view behind these
entries reaches rows through ``request.scope.agent``."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from portal.modules import Module, module_enabled

from .admin import urls as admin_urls

# (label, URL name, icon, order)
MENU_ENTRIES = [
    (_("Factures"), "billing_admin:invoices", "doc-full", 100),
    (_("Facturations"), "billing_admin:runs", "list-ul", 150),
    (_("Importer des factures"), "billing_admin:import", "upload", 200),
    (_("Export des règlements"), "billing_admin:payments_export", "download", 300),
    (_("Régies"), "billing_admin:regies", "cogs", 400),
]


def billing_shown(request) -> bool:
    scope = getattr(request, "scope", None)
    return (
        scope is not None
        and scope.is_agent
        and module_enabled(getattr(request, "collectivity", None), Module.BILLING)
    )


class BillingMenuItem(MenuItem):
    def is_shown(self, request):
        return billing_shown(request)


class BillingSubmenuMenuItem(SubmenuMenuItem):
    def is_shown(self, request):
        return billing_shown(request) and super().is_shown(request)


@hooks.register("register_admin_urls")
def register_billing_admin_urls():
    return [path("facturation/", include((admin_urls.urlpatterns, "billing_admin")))]


@hooks.register("register_admin_menu_item")
def register_billing_menu():
    items = [
        BillingMenuItem(
            label, reverse(url_name), name=url_name.split(":")[1], icon_name=icon, order=order
        )
        for label, url_name, icon, order in MENU_ENTRIES
    ]
    return BillingSubmenuMenuItem(
        _("Facturation"), Menu(items=items), name="facturation", icon_name="doc-full", order=270
    )
