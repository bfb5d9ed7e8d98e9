"""Parent-side URLs of billing (« Espace facturation »), gated by the billing module; « Payer »
also by the online-payment module. The provider's notification is gated by neither: a
transaction already started must still be told what happened to it."""

from django.urls import path

from portal.modules import Module, gate_patterns

from .views import online, parent

app_name = "billing"

urlpatterns = gate_patterns(
    Module.BILLING,
    [
        path("facturation/", parent.index, name="index"),
        path("facturation/factures/<int:pk>/", parent.invoice_detail, name="invoice"),
        path("facturation/factures/<int:pk>/pdf/", parent.invoice_pdf, name="invoice_pdf"),
        path(
            "facturation/attestations/<int:pk>/pdf/",
            parent.certificate_pdf,
            name="certificate_pdf",
        ),
        *gate_patterns(Module.ONLINE_PAYMENT, [path("facturation/payer/", online.pay, name="pay")]),
        path(
            "facturation/paiements/<uuid:transaction_id>/",
            online.payment_return,
            name="payment_return",
        ),
    ],
) + [
    path(
        "facturation/paiements/<uuid:uuid>/notification/",
        online.payment_notify,
        name="payment_notify",
    ),
]
