"""What billing tells notifications (registered in ``BillingConfig.ready()``): the family's
invoices, payments and online payments are listed in « Mes demandes » with their history
(issued, paid, cancelled by a credit note; recorded; accepted, refused, expired), like the
other kinds of requests."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.registry import RequestKind, RequestRow, request_kind_register
from portal.formats import euros

from .models import Invoice, Payment, PaymentTransaction

Status = PaymentTransaction.Status
# The transaction's status as « Mes demandes » reads every request's.
STATUSES = {
    Status.CREATED: "pending",
    Status.WAITING: "pending",
    Status.PAID: "accepted",
    Status.DENIED: "refused",
    Status.CANCELLED: "cancelled",
    Status.EXPIRED: "cancelled",
    Status.ERROR: "refused",
}


def _prepare(attempts) -> None:
    for attempt in attempts:
        attempt.numbers = sorted(invoice.number for invoice in attempt.invoices.all())


def _describe(attempt: PaymentTransaction) -> RequestRow:
    return RequestRow(
        kind="paiement",
        pk=attempt.pk,
        title=_("Paiement en ligne de %(amount)s : %(numbers)s")
        % {"amount": euros(attempt.amount), "numbers": ", ".join(getattr(attempt, "numbers", []))},
        status=STATUSES.get(attempt.status, "pending"),
        created_at=attempt.created_at,
        changed_at=attempt.updated_at,
        family_id=attempt.family_id,
        account_id=attempt.created_by_id,
        url=reverse("billing:payment_return", args=[attempt.uuid]),
    )


INVOICE_STATUSES = {
    Invoice.Status.TO_PAY: "pending",
    Invoice.Status.PARTIAL: "partial",
    Invoice.Status.PAID: "accepted",
    Invoice.Status.CANCELLED: "cancelled",
}


def _invoice_describe(invoice: Invoice) -> RequestRow:
    title = _("Facture %(number)s : %(total)s") % {
        "number": invoice.number,
        "total": euros(invoice.total),
    }
    if invoice.label:
        title += f" ({invoice.label})"
    return RequestRow(
        kind="facture",
        pk=invoice.pk,
        title=title,
        status=INVOICE_STATUSES.get(invoice.status, "pending"),
        created_at=invoice.created_at,
        changed_at=invoice.cancelled_at or invoice.created_at,
        family_id=invoice.family_id,
        url=reverse("billing:invoice", args=[invoice.pk]),
    )


def _payment_describe(payment: Payment) -> RequestRow:
    return RequestRow(
        kind="reglement",
        pk=payment.pk,
        title=_("Règlement %(number)s (%(kind)s) : %(amount)s")
        % {
            "number": payment.number,
            "kind": payment.get_kind_display().lower(),
            "amount": euros(payment.amount),
        },
        status="accepted",
        created_at=payment.created_at,
        changed_at=payment.created_at,
        family_id=payment.family_id,
        url=reverse("billing:index"),
    )


def _mine(queryset, *, account, families):
    return queryset.filter(family__in=families)


def register() -> None:
    request_kind_register(
        RequestKind(
            code="facture",
            label=gettext_lazy("Facture"),
            model=Invoice,
            queryset=lambda: Invoice.objects.all(),
            mine=_mine,
            describe=_invoice_describe,
            order=70,
        )
    )
    request_kind_register(
        RequestKind(
            code="reglement",
            label=gettext_lazy("Règlement"),
            model=Payment,
            queryset=lambda: Payment.objects.all(),
            mine=_mine,
            describe=_payment_describe,
            order=80,
        )
    )
    request_kind_register(
        RequestKind(
            code="paiement",
            label=gettext_lazy("Paiement en ligne"),
            model=PaymentTransaction,
            queryset=lambda: PaymentTransaction.objects.prefetch_related("invoices"),
            mine=_mine,
            describe=_describe,
            prepare=_prepare,
            order=60,
        )
    )
