"""Read paths of billing: the « Espace facturation » (a family's invoices with their payments)
and the back office (the invoices list and its filters, a family's account statement, the
payments export), each in a fixed number of queries whatever the number of rows."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import providers
from .models import ZERO, Invoice, InvoiceLine, Mandate, PaymentAllocation, RunAnomaly, RunFamily

Status = Invoice.Status


def family_invoices(queryset):
    """``queryset`` (already scoped to the account's families) with what the list shows: the
    régie, and each invoice's payments (number, type, date, amount allocated)."""
    return queryset.select_related("regie", "family").prefetch_related(
        Prefetch(
            "allocations",
            queryset=PaymentAllocation.objects.select_related(
                "payment", "payment__reversal"
            ).order_by("payment__date", "pk"),
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


# --- back office ----------------------------------------------------------------------------

PAYABLE = (Status.TO_PAY, Status.PARTIAL)


def agent_invoices(queryset):
    """The invoices list of the back office (``queryset`` from ``scope.agent``): one query for
    the page whatever its size (the régie and the family come with each row)."""
    return queryset.select_related("regie", "family").order_by("-issue_date", "-pk")


def invoices_filtered(queryset, filters: dict, *, today):
    """Apply the back-office filters (a valid ``InvoiceAdminFilterForm``'s cleaned data)."""
    if filters.get("etat"):
        queryset = queryset.filter(status=filters["etat"])
    if filters.get("echeance_du"):
        queryset = queryset.filter(due_date__gte=filters["echeance_du"])
    if filters.get("echeance_au"):
        queryset = queryset.filter(due_date__lte=filters["echeance_au"])
    if filters.get("famille"):
        term = filters["famille"]
        queryset = queryset.filter(
            Q(family__name__icontains=term)
            | Q(payer_name__icontains=term)
            | Q(family__external_ref__iexact=term)
            | Q(number__iexact=term)
        )
    if filters.get("en_retard"):
        queryset = queryset.filter(status__in=PAYABLE, due_date__lt=today)
    return queryset


def invoice_detail(queryset):
    """One invoice for the agent's page: its régie, family, lines and payments."""
    return family_invoices(queryset).select_related("cancelled_by", "issued_by", "payer")


def payable_invoices(queryset) -> list:
    """``queryset``'s invoices still to pay, oldest due first (the order of allocation)."""
    return list(
        queryset.filter(status__in=PAYABLE)
        .select_related("regie")
        .order_by("due_date", "issue_date", "pk")
    )


@dataclass
class StatementEntry:
    date: datetime.date
    label: str
    detail: str
    debit: Decimal | None = None
    credit: Decimal | None = None
    invoice: object = None
    balance: Decimal = ZERO


def family_statement(*, invoices, payments) -> dict:
    """A family's account: invoices (debit), credit notes and payments (credit) in date
    order with the running balance. ``invoices`` and ``payments`` are the family's rows, from
    the scope; three queries whatever their number."""
    invoices = list(invoices.select_related("regie").order_by("issue_date", "pk"))
    payments = list(
        payments.select_related("regie", "reversal")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("invoice").order_by("pk"),
            )
        )
        .order_by("date", "pk")
    )
    entries = []
    for invoice in invoices:
        entries.append(
            StatementEntry(
                invoice.issue_date,
                _("Facture %(number)s") % {"number": invoice.number},
                invoice.label,
                debit=invoice.total,
                invoice=invoice,
            )
        )
        if invoice.status == Status.CANCELLED:
            entries.append(
                StatementEntry(
                    timezone.localdate(invoice.cancelled_at),
                    _("Avoir %(number)s") % {"number": invoice.credit_note_number},
                    _("Annule la facture %(number)s : %(reason)s")
                    % {"number": invoice.number, "reason": invoice.cancel_reason},
                    credit=invoice.total,
                    invoice=invoice,
                )
            )
    for payment in payments:
        numbers = ", ".join(allocation.invoice.number for allocation in payment.allocations.all())
        entries.append(
            StatementEntry(
                payment.date,
                _("Règlement %(number)s (%(kind)s)")
                % {"number": payment.number, "kind": payment.get_kind_display().lower()},
                numbers + (f" — {payment.reference}" if payment.reference else ""),
                credit=payment.amount,
            )
        )
        reversal = getattr(payment, "reversal", None)
        if reversal is not None:
            entries.append(
                StatementEntry(
                    reversal.date,
                    _("Rejet du règlement %(number)s") % {"number": payment.number},
                    reversal.reason,
                    debit=payment.amount,
                )
            )
    entries.sort(key=lambda entry: (entry.date, entry.debit is None))
    balance = ZERO
    for entry in entries:
        balance += (entry.debit or ZERO) - (entry.credit or ZERO)
        entry.balance = balance
    return {
        "entries": entries,
        "balance": balance,
        "invoiced": sum((i.total for i in invoices if i.status != Status.CANCELLED), ZERO),
        "paid": sum((p.amount for p in payments if getattr(p, "reversal", None) is None), ZERO),
        "invoices": invoices,
        "payable": [invoice for invoice in invoices if invoice.is_payable],
    }


def payments_for_export(queryset, *, regie, date_from, date_to):
    """The payments of ``regie`` dated within [date_from, date_to], with their family and the
    invoices they settle (three queries)."""
    return (
        queryset.filter(regie=regie, date__gte=date_from, date__lte=date_to)
        .select_related("family", "regie", "recorded_by", "reversal")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=PaymentAllocation.objects.select_related("invoice").order_by("pk"),
            )
        )
        .order_by("date", "pk")
    )


def regies_listed(queryset):
    return queryset.annotate(invoice_count=Count("invoices")).order_by("code")


def tariffs_by_activity(*, activities, tariffs) -> list[dict]:
    """Every activity (by name) with its tariffs, latest first, their brackets and rank
    reductions: three queries whatever the number of tariffs."""
    by_activity: dict[int, list] = {}
    for tariff in tariffs.prefetch_related("brackets", "rank_reductions").order_by(
        "-valid_from", "-pk"
    ):
        by_activity.setdefault(tariff.activity_id, []).append(tariff)
    return [
        {"activity": activity, "tariffs": by_activity.get(activity.pk, [])}
        for activity in activities.order_by("name", "pk")
    ]


def run_export_rows(run) -> dict:
    """What the accounting export of a run lists: its invoices (by number) with their lines,
    and the columns, one per activity billed (name and accounting code), in two queries."""
    invoices = list(
        Invoice.objects.filter(run=run)
        .select_related("family")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=InvoiceLine.objects.select_related("activity").order_by("position", "pk"),
            )
        )
        .order_by("number", "pk")
    )
    columns: dict = {}
    for invoice in invoices:
        invoice.amounts = {}
        for line in invoice.lines.all():
            key = line.activity_id
            if key not in columns:
                columns[key] = line.activity
            invoice.amounts[key] = invoice.amounts.get(key, ZERO) + line.amount
    ordered = sorted(
        columns.items(),
        key=lambda item: (item[1] is None, item[1].name if item[1] else "", item[0] or 0),
    )
    return {"invoices": invoices, "columns": ordered}


def families_on_direct_debit(regie, family_ids) -> dict[int, Mandate]:
    """The active mandate of each of ``family_ids`` that pays ``regie`` by direct debit.

    One query, whatever the number of families: invoicing runs use it to set the debit date
    of the invoices they issue.
    """
    mandates = Mandate.objects.filter(
        regie=regie, family_id__in=list(family_ids), status=Mandate.Status.ACTIVE
    )
    return {mandate.family_id: mandate for mandate in mandates}


# --- reminders (relances) -------------------------------------------------------------------


def reminder_level(*, due_date: datetime.date, today: datetime.date, delays: list[int]) -> int:
    """The highest reminder level an invoice due on ``due_date`` has reached ``today``: level
    N once ``delays[N-1]`` days have passed since the due date (0: none yet)."""
    overdue = (today - due_date).days
    return sum(1 for days in delays if overdue >= days)


def overdue_invoices(queryset, *, today: datetime.date):
    """The invoices of ``queryset`` still to pay after their due date, with their last
    reminder (``last_level``: 0 when none yet, ``last_channel``, ``last_sent_at``), in one
    query. An invoice on direct debit whose debit date has not passed yet is left out: the
    bank takes it then (it is reminded only if it is still unpaid once that day is past)."""
    from .models import InvoiceReminder

    last = InvoiceReminder.objects.filter(invoice=OuterRef("pk")).order_by("-level")
    return (
        queryset.filter(status__in=PAYABLE, due_date__lt=today, total__gt=F("paid"))
        .exclude(direct_debit_date__gte=today)
        .annotate(
            last_level=Coalesce(Subquery(last.values("level")[:1]), Value(0)),
            last_channel=Subquery(last.values("channel")[:1]),
            last_sent_at=Subquery(last.values("sent_at")[:1]),
        )
        .select_related("regie", "family")
    )


def overdue_level_counts(queryset) -> dict[int, int]:
    """How many of ``overdue_invoices(...)`` are at each last level (one query)."""
    return {
        row["last_level"]: row["count"]
        for row in queryset.order_by().values("last_level").annotate(count=Count("pk"))
    }


# --- invoicing runs -------------------------------------------------------------------------


def runs_listed(queryset):
    """The runs of the back office, newest period first, with their totals (one query)."""
    return (
        queryset.select_related("regie")
        .annotate(
            family_count=Count("families", distinct=True),
            amount=Sum("families__total", filter=Q(families__blocked=False)),
        )
        .order_by("-period_start", "-pk")
    )


def run_summary(run) -> dict:
    """A run's overall figures: families, invoices to issue, total, blocked, credits."""
    rows = RunFamily.objects.filter(run=run)
    figures = rows.aggregate(
        n_families=Count("pk"),
        n_blocked=Count("pk", filter=Q(blocked=True)),
        n_to_invoice=Count("pk", filter=Q(blocked=False, total__gt=0)),
        n_credits=Count("pk", filter=Q(blocked=False, total__lt=0)),
        sum_total=Sum("total", filter=Q(blocked=False, total__gt=0)),
        sum_credit=Sum("total", filter=Q(blocked=False, total__lt=0)),
        sum_credit_used=Sum("credit_used", filter=Q(blocked=False)),
        n_invoices=Count("invoice"),
        n_pdfs=Count("invoice", filter=~Q(invoice__pdf="")),
    )
    totals = {
        "families": figures["n_families"],
        "blocked": figures["n_blocked"],
        "to_invoice": figures["n_to_invoice"],
        "credits": figures["n_credits"],
        "invoices": figures["n_invoices"],
        "pdfs": figures["n_pdfs"],
        "pdfs_pending": figures["n_invoices"] - figures["n_pdfs"],
        "total": figures["sum_total"] or ZERO,
        "credit_total": -(figures["sum_credit"] or ZERO),
        "credit_used": figures["sum_credit_used"] or ZERO,
    }
    totals["percent"] = (
        round(100 * run.progress_done / run.progress_total) if run.progress_total else 0
    )
    return totals


def run_anomalies(queryset) -> list[dict]:
    """The anomalies of a run grouped by kind, in the order of ``RunAnomaly.Kind``."""
    by_kind = {kind: [] for kind in RunAnomaly.Kind.values}
    for anomaly in queryset.order_by("family_name", "pk"):
        by_kind[anomaly.kind].append(anomaly)
    return [
        {"kind": kind, "label": RunAnomaly.Kind(kind).label, "rows": rows}
        for kind, rows in by_kind.items()
        if rows
    ]
