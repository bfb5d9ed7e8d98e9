"""What billing tells notifications (registered in ``BillingConfig.ready()``): online payments
are requests of the family, listed in « Mes demandes » with their history (accepted, refused,
expired), like the other kinds."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.registry import RequestKind, RequestRow, request_kind_register
from portal.formats import euros

from .models import PaymentTransaction

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


def register() -> None:
    request_kind_register(
        RequestKind(
            code="paiement",
            label=gettext_lazy("Paiement en ligne"),
            model=PaymentTransaction,
            queryset=lambda: PaymentTransaction.objects.prefetch_related("invoices"),
            mine=lambda queryset, *, account, families: queryset.filter(family__in=families),
            describe=_describe,
            prepare=_prepare,
            order=60,
        )
    )
