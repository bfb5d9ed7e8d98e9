"""Back office of billing: the « Facturation » menu and its URLs (``/admin/facturation/``),
shown to the collectivity's agents when its billing module is on. Every view behind these
entries reaches rows through ``request.scope.agent``."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from portal.home import HomeQueue, home_queue_register
from portal.modules import Module, module_enabled

from .admin import urls as admin_urls

# (label, URL name, icon, order)
MENU_ENTRIES = [
    (_("Factures"), "billing_admin:invoices", "doc-full", 100),
    (_("Facturations"), "billing_admin:runs", "list-ul", 150),
    (_("Importer des factures"), "billing_admin:import", "upload", 200),
    (_("Export des règlements"), "billing_admin:payments_export", "download", 300),
    (_("Régies"), "billing_admin:regies", "cogs", 400),
    (_("Tarifs"), "billing_admin:tariffs", "tag", 450),
    (_("Relances"), "billing_admin:reminders", "mail", 500),
    (_("Attestations fiscales"), "billing_admin:certificates", "doc-full-inverse", 600),
    (_("Prélèvements"), "billing_admin:debit_batches", "download", 350),
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


# --- the agents' home page (portal/home.py) ---------------------------------------------------


def _unpaid_invoices_count(scope):
    """Invoices still to pay, and of those the ones past their due date."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from .models import Invoice
    from .selectors import PAYABLE

    counts = (
        scope.agent(Invoice)
        .filter(status__in=PAYABLE)
        .aggregate(
            pending=Count("pk"),
            overdue=Count("pk", filter=Q(due_date__lt=timezone.localdate())),
        )
    )
    return counts["pending"], counts["overdue"]


home_queue_register(
    HomeQueue(
        key="unpaid_invoices",
        label=_("Factures non réglées"),
        url_name="billing_admin:invoices",
        query="?en_retard=on",
        count=_unpaid_invoices_count,
        overdue_label=_("après l’échéance"),
        module=Module.BILLING,
        order=90,
    )
)
