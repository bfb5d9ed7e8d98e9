"""Parent-side URLs of billing (« Espace facturation »), gated by the billing module."""

from django.urls import path

from portal.modules import Module, gate_patterns

from .views import parent

app_name = "billing"

urlpatterns = gate_patterns(
    Module.BILLING,
    [
        path("facturation/", parent.index, name="index"),
        path("facturation/factures/<int:pk>/", parent.invoice_detail, name="invoice"),
        path("facturation/factures/<int:pk>/pdf/", parent.invoice_pdf, name="invoice_pdf"),
    ],
)
