"""Read paths of the « Espace facturation »: a family's invoices with their payments, in a
fixed number of queries whatever their number."""

from django.db.models import Prefetch, Sum

from . import providers
from .models import ZERO, Invoice, PaymentAllocation

Status = Invoice.Status


def family_invoices(queryset):
    """``queryset`` (already scoped to the account's families) with what the list shows: the
    régie, and each invoice's payments (number, type, date, amount allocated)."""
    return queryset.select_related("regie", "family").prefetch_related(
        Prefetch(
            "allocations",
            queryset=PaymentAllocation.objects.select_related("payment").order_by(
                "payment__date", "pk"
            ),
        )
    )


def balance_due(queryset):
    """The total left to pay over these invoices (cancelled ones count for nothing)."""
    totals = queryset.filter(status__in=[Status.TO_PAY, Status.PARTIAL]).aggregate(
        total=Sum("total"), paid=Sum("paid")
    )
    return (totals["total"] or ZERO) - (totals["paid"] or ZERO)


def invoice_years(queryset) -> list[int]:
    return sorted({day.year for day in queryset.values_list("issue_date", flat=True)}, reverse=True)


def online_payable(invoices) -> list[Invoice]:
    """Those of ``invoices`` a parent may choose for online payment (not on direct debit,
    their régie takes online payment)."""
    return [
        invoice
        for invoice in invoices
        if invoice.is_payable
        and not invoice.direct_debit_date
        and providers.backend_available(invoice.regie)
    ]


def transaction_page(queryset, transaction_id):
    """One transaction with its régie and invoices (what the return page shows)."""
    return (
        queryset.select_related("regie", "payment")
        .prefetch_related("invoices")
        .filter(uuid=transaction_id)
        .first()
    )
