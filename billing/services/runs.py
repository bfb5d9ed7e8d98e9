"""Invoicing runs (« Facturations »): a draft computed from the bookings of a period, then
« Émettre », which turns it into numbered invoices in one background task.

The rules (README « Facturations (runs) »):

- **What is billed.** The bookings of the run's activities over its period, not yet charged by
  an issued run (``BilledBooking``): PRESENT at the tariff; ABSENT_BILLED at the tariff's
  absence price (or the day's price); ABSENT (excused) on a 0 € line « absence excusée, non
  facturée »; RESERVED with no attendance recorded on a past day is billed as present when the
  run says so (``bill_unrecorded``), otherwise — and always for a day not yet past — it is an
  anomaly « jours non pointés » and is left for a later run.
- **Rank.** A child's rank is its place among the family's children billed in the run (at
  least one charged day over the run's activities), eldest first by birth date (no birth date
  last, then by record); it is the same for every day and activity of the run.
- **Anomalies.** No quotient under a « block » tariff and no payer block the family (no
  invoice, nothing of it marked billed); no tariff (or no bracket) for a day leaves that day
  out; unrecorded days are left out. All are listed with the family's name.
- **Corrections.** A booking charged by an earlier run whose state is now « absent »
  (excused) or « non réservé » is reversed once: a negative line of what it was charged.
- **Credit.** A family whose lines add up to less than zero gets no invoice: the amount is
  kept as its credit with the régie (``FamilyCredit``); an available credit is deducted from
  the family's next invoice of that régie (a line « Crédit reporté »), up to its total.
- **Once.** ``BilledBooking`` holds one charge (and one reversal) per booking, by a unique
  constraint: two issues at the same time cannot bill a booking twice. Batches are
  transactions: a failure rolls back its batch (numbers included), the run goes to « Échec »
  with the error, and « Reprendre l’émission » goes on with the families not yet issued.
"""

import datetime
import itertools
import logging
import time
from collections import defaultdict
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from family.models import Family, Guardian
from notifications.emails import email_render
from notifications.models import OutboxEmail, TimelineEvent
from notifications.registry import families_emails
from notifications.services import outbox_enqueue_many, outbox_row
from planning.models import Activity, Booking
from portal.branding import branding_for
from portal.errors import DomainError
from portal.formats import actor_or_none, date_long, euros

from ..models import (
    ZERO,
    BilledBooking,
    FamilyCredit,
    Invoice,
    InvoiceLine,
    InvoicingRun,
    NumberCounter,
    RunAnomaly,
    RunFamily,
    RunLine,
)
from ..selectors import families_on_direct_debit
from . import pricing
from .invoices import _address, _payer
from .numbering import NumberSequence

logger = logging.getLogger("billing.runs")
Status = InvoicingRun.Status
State = Booking.State
Kind = RunLine.Kind
Anomaly = RunAnomaly.Kind

COMPUTED_STATES = (State.PRESENT, State.RESERVED, State.ABSENT, State.ABSENT_BILLED)
REVERSED_STATES = (State.ABSENT, State.CANCELLED)
WRITE_BATCH = 500  # families whose rows are written together by the draft
ISSUE_BATCH = 50  # families issued in one transaction
TASK_BUDGET = 60.0  # seconds of work per task before it hands over to the next one


class RunError(DomainError):
    """A refused operation on an invoicing run."""


# --- create, compute, delete ---------------------------------------------------------------


@transaction.atomic
def run_create(
    *,
    regie,
    label: str,
    period_start: datetime.date,
    period_end: datetime.date,
    activities,
    bill_unrecorded: bool,
    due_date: datetime.date,
    direct_debit_date: datetime.date | None = None,
    by=None,
) -> InvoicingRun:
    """A draft run, computed at once."""
    activities = list(activities)
    label = (label or "").strip()
    if not label:
        raise RunError(_("Indiquez l’objet de la facturation (par exemple « Janvier 2027 »)."))
    if period_end < period_start:
        raise RunError(_("La fin de la période précède son début : vérifiez les dates."))
    if (period_end - period_start).days > 366:
        raise RunError(_("Une facturation couvre un an au plus."))
    if not activities:
        raise RunError(_("Choisissez au moins une activité à facturer."))
    if any(activity.collectivity_id != regie.collectivity_id for activity in activities):
        raise RunError(_("Ces activités ne sont pas celles de la collectivité de la régie."))
    if not regie.is_active:
        raise RunError(_("Cette régie n’est plus active : elle ne peut pas émettre de factures."))
    if due_date < timezone.localdate():
        raise RunError(_("La date d’échéance est déjà passée."))
    if direct_debit_date is not None and direct_debit_date < timezone.localdate():
        raise RunError(_("La date de prélèvement est déjà passée."))
    run = InvoicingRun.objects.create(
        regie=regie,
        label=label,
        period_start=period_start,
        period_end=period_end,
        bill_unrecorded=bill_unrecorded,
        due_date=due_date,
        direct_debit_date=direct_debit_date,
        created_by=by,
    )
    run.activities.set(activities)
    return run_compute(run=run)


def _locked(run) -> InvoicingRun:
    return InvoicingRun.objects.select_for_update().select_related("regie").get(pk=run.pk)


@transaction.atomic
def run_delete(*, run) -> None:
    """Delete a draft (an issued, issuing or failed run is kept: it holds invoices)."""
    locked = _locked(run)
    if locked.status != Status.DRAFT:
        raise RunError(_("Seul un brouillon peut être supprimé."))
    locked.delete()


@transaction.atomic
def run_compute(*, run) -> InvoicingRun:
    """(Re)compute a draft: its families, lines, totals and anomalies, replacing the previous
    computation. The queries do not grow with the families (rows are read as a stream and
    written in batches of ``WRITE_BATCH`` families)."""
    run = _locked(run)
    if run.status != Status.DRAFT:
        raise RunError(
            _("Cette facturation est émise ou en cours d’émission : elle ne change plus.")
        )
    # A draft's rows are in no ledger (that is written at issue): deleted in one statement
    # each, without Django's collector reading them first (which grows with the rows).
    RunLine.objects.filter(run_family__run=run)._raw_delete(RunLine.objects.db)
    RunFamily.objects.filter(run=run)._raw_delete(RunFamily.objects.db)
    RunAnomaly.objects.filter(run=run)._raw_delete(RunAnomaly.objects.db)
    collectivity_id = run.regie.collectivity_id
    activity_ids = list(run.activities.values_list("pk", flat=True))
    names = dict(Activity.objects.filter(pk__in=activity_ids).values_list("pk", "name"))
    book = pricing.pricing_load(
        collectivity_id=collectivity_id,
        activity_ids=activity_ids,
        start=run.period_start,
        end=run.period_end,
    )
    context = _Context(run, book, names, collectivity_id)
    rows = _bookings(run, collectivity_id, activity_ids)
    reversals = _reversals(run, activity_ids)
    family_ids_seen = set()
    pending: list = []
    for family_id, group in itertools.groupby(rows, key=lambda row: row[4]):
        family_ids_seen.add(family_id)
        pending.append(context.family(family_id, list(group), reversals.pop(family_id, [])))
        if len(pending) >= WRITE_BATCH:
            _write(pending)
            pending = []
    for family_id, reversed_rows in reversals.items():
        pending.append(context.family(family_id, [], reversed_rows))
    _write(pending)
    run.computed_at = timezone.now()
    run.progress_done = 0
    run.progress_total = RunFamily.objects.filter(run=run).count()
    run.save(update_fields=["computed_at", "progress_done", "progress_total"])
    return run


def _bookings(run, collectivity_id, activity_ids):
    charged = BilledBooking.objects.filter(booking=OuterRef("pk"), kind=BilledBooking.Kind.CHARGE)
    return (
        Booking.objects.filter(
            slot__activity_id__in=activity_ids,
            slot__date__gte=run.period_start,
            slot__date__lte=run.period_end,
            state__in=COMPUTED_STATES,
            child__family__collectivity_id=collectivity_id,
        )
        .filter(~Exists(charged))
        .order_by("child__family_id", "child_id", "slot__date", "slot__activity_id", "pk")
        .values_list(
            "pk",
            "state",
            "attendance_marked_at",
            "child_id",
            "child__family_id",
            "child__birth_date",
            "child__first_name",
            "slot__date",
            "slot__start_time",
            "slot__end_time",
            "slot__activity_id",
        )
        .iterator(chunk_size=5000)
    )


def _reversals(run, activity_ids) -> dict[int, list]:
    """Charges of earlier runs (this régie) whose booking was since excused or cancelled."""
    reversed_ = BilledBooking.objects.filter(
        booking=OuterRef("booking"), kind=BilledBooking.Kind.REVERSAL
    )
    rows = (
        BilledBooking.objects.filter(
            run__regie=run.regie,
            kind=BilledBooking.Kind.CHARGE,
            amount__gt=0,
            booking__state__in=REVERSED_STATES,
            booking__slot__activity_id__in=activity_ids,
            booking__slot__date__gte=run.period_start,
            booking__slot__date__lte=run.period_end,
        )
        .filter(~Exists(reversed_))
        .values_list(
            "booking_id",
            "booking__state",
            "booking__child_id",
            "booking__child__family_id",
            "booking__slot__date",
            "booking__slot__activity_id",
            "run_line__quantity",
            "run_line__unit_price",
            "amount",
        )
    )
    by_family = defaultdict(list)
    for row in rows:
        by_family[row[3]].append(row)
    return dict(by_family)


class _Context:
    """What computing one family needs, read once per run."""

    def __init__(self, run, book, activity_names, collectivity_id):
        self.run, self.book, self.activity_names = run, book, activity_names
        self.today = timezone.localdate()
        self.family_names = dict(
            Family.objects.filter(collectivity_id=collectivity_id).values_list("pk", "name")
        )
        self.payers = {}
        guardians = (
            Guardian.objects.filter(family__collectivity_id=collectivity_id)
            .order_by("family_id", "-is_payer", "rank", "pk")
            .values_list("family_id", "pk", "first_name", "last_name")
        )
        for family_id, pk, first_name, last_name in guardians:
            self.payers.setdefault(family_id, (pk, f"{first_name} {last_name}".strip()))
        self.credits = dict(
            FamilyCredit.objects.filter(regie=run.regie)
            .values("family_id")
            .annotate(balance=Sum("amount"))
            .values_list("family_id", "balance")
        )

    def _unrecorded(self, state, marked_at, day) -> bool:
        if state != State.RESERVED or marked_at is not None:
            return False
        return day >= self.today or not self.run.bill_unrecorded

    def family(self, family_id, rows, reversals):
        run, name = self.run, self.family_names.get(family_id, "")
        billable = {}
        for row in rows:
            pk, state, marked_at, child_id, _f, birth, _n, day = row[:8]
            if state != State.ABSENT and not self._unrecorded(state, marked_at, day):
                billable[child_id] = birth
        ranked = sorted(billable.items(), key=lambda item: (item[1] is None, item[1], item[0]))
        ranks = {child_id: rank for rank, (child_id, _birth) in enumerate(ranked, start=1)}
        lines, problems = [], defaultdict(list)
        blocked = False
        for row in rows:
            pk, state, marked_at, child_id, _f, _birth, first_name, day, start, end, act = row
            common = {"booking_id": pk, "child_id": child_id, "activity_id": act, "date": day}
            if state == State.ABSENT:
                lines.append(
                    RunLine(
                        **common,
                        kind=Kind.EXCUSED,
                        state=state,
                        quantity=1,
                        unit_price=ZERO,
                        amount=ZERO,
                        rank=ranks.get(child_id, 1),
                    )
                )
                continue
            if self._unrecorded(state, marked_at, day):
                problems[Anomaly.UNRECORDED].append((first_name, day, act))
                continue
            rank = ranks[child_id]
            try:
                quote = pricing.price(
                    self.book,
                    activity_id=act,
                    family_id=family_id,
                    day=day,
                    start=start,
                    end=end,
                    rank=rank,
                    billed_absence=state == State.ABSENT_BILLED,
                )
            except pricing.NoQuotient:
                blocked = True
                problems[Anomaly.NO_QUOTIENT].append((first_name, day, act))
                continue
            except pricing.NoTariff as error:
                problems[Anomaly.NO_TARIFF].append((first_name, day, act, error.detail))
                continue
            lines.append(
                RunLine(
                    **common,
                    kind=Kind.CHARGE,
                    state=state,
                    quantity=quote.quantity,
                    unit_price=quote.unit_price,
                    amount=quote.amount,
                    family_quotient=quote.family_quotient,
                    rank=rank,
                    tariff_id=quote.tariff_id,
                )
            )
        for pk, state, child_id, _f, day, act, quantity, unit_price, amount in reversals:
            lines.append(
                RunLine(
                    booking_id=pk,
                    child_id=child_id,
                    activity_id=act,
                    date=day,
                    kind=Kind.REVERSAL,
                    state=state,
                    quantity=quantity,
                    unit_price=-unit_price,
                    amount=-amount,
                )
            )
        payer = self.payers.get(family_id)
        if payer is None and lines:
            blocked = True
            problems[Anomaly.NO_PAYER].append(None)
        anomalies = [
            RunAnomaly(
                run=run,
                family_id=family_id,
                family_name=name,
                kind=kind,
                blocking=kind in (Anomaly.NO_QUOTIENT, Anomaly.NO_PAYER),
                detail=self._detail(kind, items),
            )
            for kind, items in problems.items()
        ]
        if not lines and not blocked:
            return None, [], anomalies
        lines_total = sum((line.amount for line in lines), ZERO)
        credit = max(self.credits.get(family_id) or ZERO, ZERO)
        used = min(credit, lines_total) if lines_total > 0 and not blocked else ZERO
        row = RunFamily(
            run=run,
            family_id=family_id,
            family_name=name,
            payer_id=payer[0] if payer else None,
            payer_name=payer[1] if payer else "",
            lines_total=lines_total,
            credit_used=used,
            total=lines_total - used,
            blocked=blocked,
        )
        return row, lines, anomalies

    def _detail(self, kind, items) -> str:
        if kind == Anomaly.NO_PAYER:
            return _("Aucun responsable de la famille n’est payeur : ajoutez-en un au dossier.")
        by_child = defaultdict(list)
        extra = set()
        for item in items:
            first_name, day, activity_id = item[:3]
            by_child[(first_name, self.activity_names.get(activity_id, ""))].append(day)
            if len(item) > 3:
                extra.add(item[3])
        parts = [
            _("%(child)s, %(activity)s : %(days)s")
            % {
                "child": child,
                "activity": activity,
                "days": ", ".join(f"{day:%d/%m}" for day in sorted(days)),
            }
            for (child, activity), days in sorted(by_child.items())
        ]
        text = " ; ".join(parts)
        if extra:
            text += " (" + ", ".join(sorted(extra)) + ")"
        return text


def _write(pending) -> None:
    """Write computed families with their lines and anomalies (four queries a batch)."""
    families = [row for row, _lines, _anomalies in pending if row is not None]
    RunFamily.objects.bulk_create(families)
    lines = []
    for row, family_lines, _anomalies in pending:
        for line in family_lines:
            line.run_family = row
            lines.append(line)
    RunLine.objects.bulk_create(lines, batch_size=5000)
    RunAnomaly.objects.bulk_create(
        [anomaly for _row, _lines, anomalies in pending for anomaly in anomalies]
    )


# --- issue ---------------------------------------------------------------------------------


@transaction.atomic
def run_issue_start(*, run, by) -> InvoicingRun:
    """« Émettre » (or « Reprendre l’émission » after a failure): the run goes to « Émission
    en cours » and one task is queued once the transaction commits. A second click, or a
    second agent at the same time, finds the run already issuing and is refused."""
    locked = _locked(run)
    if locked.status == Status.ISSUING:
        raise RunError(_("L’émission de cette facturation est déjà en cours."))
    if locked.status == Status.ISSUED:
        raise RunError(_("Cette facturation est déjà émise."))
    if locked.computed_at is None:
        raise RunError(_("Calculez le brouillon avant de l’émettre."))
    if locked.status == Status.DRAFT and locked.due_date and locked.due_date < timezone.localdate():
        raise RunError(_("La date d’échéance est passée : recréez la facturation."))
    locked.status = Status.ISSUING
    locked.error = ""
    locked.issued_by = by
    if locked.issue_date is None:
        locked.issue_date = timezone.localdate()
    if locked.due_date is None or locked.due_date < locked.issue_date:
        locked.due_date = locked.issue_date + datetime.timedelta(days=30)
    locked.progress_total = RunFamily.objects.filter(run=locked).count()
    locked.progress_done = RunFamily.objects.filter(run=locked, issued_at__isnull=False).count()
    locked.save(
        update_fields=[
            "status",
            "error",
            "issued_by",
            "issue_date",
            "due_date",
            "progress_total",
            "progress_done",
        ]
    )
    run_id = locked.pk
    transaction.on_commit(lambda: _enqueue(run_id))
    return locked


def _enqueue(run_id: int) -> None:
    from django_q.tasks import async_task

    async_task("billing.tasks.run_issue", run_id)


def run_issue_process(
    *, run_id: int, batch_size: int | None = None, budget: float | None = -1.0
) -> InvoicingRun:
    """Issue the run's families in batches until done (or for ``budget`` seconds, then hand
    over to a new task, so that no task runs longer than the cluster's timeout). A failed
    batch changes nothing: the run goes to « Échec » with the error."""
    batch_size = batch_size or ISSUE_BATCH
    budget = TASK_BUDGET if budget == -1.0 else budget
    started = time.monotonic()
    while True:
        try:
            more = _issue_batch(run_id, batch_size)
        except Exception as error:  # noqa: BLE001 -- every failure is shown to the agent
            logger.exception("invoicing run %s failed", run_id)
            _fail(run_id, error)
            break
        if not more:
            break
        if budget is not None and time.monotonic() - started > budget:
            transaction.on_commit(lambda: _enqueue(run_id))
            break
    return InvoicingRun.objects.get(pk=run_id)


def _fail(run_id: int, error: Exception) -> None:
    if isinstance(error, DomainError):
        message = error.message
    elif isinstance(error, IntegrityError):
        message = _(
            "Une réservation de cette facturation vient d’être facturée par une autre : "
            "reprenez l’émission, elle sera laissée de côté."
        )
    else:
        message = _("Erreur inattendue : %(error)s") % {"error": error}
    InvoicingRun.objects.filter(pk=run_id, status=Status.ISSUING).update(
        status=Status.FAILED, error=message
    )


@transaction.atomic
def _issue_batch(run_id: int, size: int) -> bool:
    """One transaction: the next ``size`` families of the run. False once all are done."""
    run = (
        InvoicingRun.objects.select_for_update()
        .select_related("regie__collectivity")
        .get(pk=run_id)
    )
    if run.status != Status.ISSUING:
        return False
    batch = list(
        RunFamily.objects.filter(run=run, issued_at__isnull=True)
        .select_related("family__collectivity", "payer")
        .order_by("pk")[:size]
    )
    if not batch:
        run.status, run.issued_at = Status.ISSUED, timezone.now()
        run.progress_done = run.progress_total
        run.save(update_fields=["status", "issued_at", "progress_done"])
        return False
    family_ids = [row.family_id for row in batch]
    # One family's credit is used by one issue at a time, whatever the run.
    list(Family.objects.select_for_update().filter(pk__in=family_ids).values_list("pk"))
    lines = defaultdict(list)
    for line in (
        RunLine.objects.filter(run_family__in=batch)
        .select_related("child", "activity")
        .order_by("child__birth_date", "child_id", "activity__name", "kind", "date", "pk")
    ):
        lines[line.run_family_id].append(line)
    already = set(
        BilledBooking.objects.filter(
            booking_id__in=[line.booking_id for rows in lines.values() for line in rows]
        ).values_list("booking_id", "kind")
    )
    credits = dict(
        FamilyCredit.objects.filter(regie=run.regie, family_id__in=family_ids)
        .values("family_id")
        .annotate(balance=Sum("amount"))
        .values_list("family_id", "balance")
    )
    mandates = families_on_direct_debit(run.regie, family_ids)
    now = timezone.now()
    ledger = []
    notices = _Notices(run, family_ids)
    # The counter's row is locked at the batch's first invoice and written once at its end.
    with NumberSequence(
        regie=run.regie, kind=NumberCounter.Kind.INVOICE, year=run.issue_date.year
    ) as numbers:
        for row in batch:
            family_lines = [
                line
                for line in lines[row.pk]
                if (line.booking_id, _ledger_kind(line)) not in already
            ]
            ledger += _issue_family(run, row, family_lines, credits, mandates, now, numbers)
            if row.invoice_id:
                notices.add(row.invoice)
    BilledBooking.objects.bulk_create(ledger)
    notices.write()
    run.progress_done = RunFamily.objects.filter(run=run, issued_at__isnull=False).count()
    run.save(update_fields=["progress_done"])
    invoice_ids = [row.invoice_id for row in batch if row.invoice_id]
    if invoice_ids:
        # The PDFs are rendered by their own tasks once the batch is committed, so that the
        # cluster's workers render them side by side while this task numbers the next batch.
        transaction.on_commit(lambda: _enqueue_pdfs(invoice_ids))
    return True


def _enqueue_pdfs(invoice_ids: list[int]) -> None:
    from django_q.tasks import async_task

    async_task("billing.tasks.invoices_pdf_render", invoice_ids)


def _ledger_kind(line) -> str:
    return BilledBooking.Kind.REVERSAL if line.kind == Kind.REVERSAL else BilledBooking.Kind.CHARGE


def _ledger(run, lines, invoice_lines=None) -> list[BilledBooking]:
    return [
        BilledBooking(
            booking_id=line.booking_id,
            kind=_ledger_kind(line),
            run=run,
            run_line=line,
            invoice_line=(invoice_lines or {}).get(line.pk),
            amount=line.amount,
        )
        for line in lines
    ]


def _issue_family(run, row, lines, credits, mandates, now, numbers) -> list[BilledBooking]:
    """One family: its invoice (or credit), its ledger rows (returned), its event and e-mail."""
    row.issued_at = now
    if row.blocked or not lines:
        row.save(update_fields=["issued_at"])
        return []
    lines_total = sum((line.amount for line in lines), ZERO)
    if lines_total <= 0:
        row.lines_total, row.credit_used, row.total = lines_total, ZERO, lines_total
        row.save(update_fields=["issued_at", "lines_total", "credit_used", "total"])
        if lines_total < 0:
            FamilyCredit.objects.create(
                regie=run.regie,
                family_id=row.family_id,
                amount=-lines_total,
                label=_("Crédit de la facturation « %(label)s »") % {"label": run.label},
                run=run,
            )
        return _ledger(run, lines)
    used = min(max(credits.get(row.family_id) or ZERO, ZERO), lines_total)
    invoice, invoice_lines = _invoice_create(run, row, lines, used, mandates, numbers)
    if used > 0:
        FamilyCredit.objects.create(
            regie=run.regie,
            family_id=row.family_id,
            amount=-used,
            label=_("Déduit de la facture %(number)s") % {"number": invoice.number},
            run=run,
            invoice=invoice,
        )
    row.invoice = invoice
    row.lines_total, row.credit_used, row.total = lines_total, used, invoice.total
    row.save(update_fields=["issued_at", "invoice", "lines_total", "credit_used", "total"])
    return _ledger(run, lines, invoice_lines)


def _invoice_create(run, row, lines, used, mandates, numbers):
    family = row.family
    payer = row.payer or _payer(family)
    if payer is None:
        raise RunError(
            _("La famille %(name)s n’a plus de responsable payeur.") % {"name": family.name}
        )
    total = sum((line.amount for line in lines), ZERO) - used
    debit = None
    if row.family_id in mandates:
        debit = run.direct_debit_date or run.due_date
    invoice = Invoice.objects.create(
        regie=run.regie,
        family=family,
        payer=payer,
        payer_name=f"{payer.first_name} {payer.last_name}".strip(),
        payer_address=_address(payer),
        number=numbers.next(),
        label=run.label,
        issue_date=run.issue_date,
        due_date=run.due_date,
        total=total,
        run=run,
        direct_debit_date=debit,
        issued_by=run.issued_by,
    )
    groups = {}
    for line in lines:
        key = (
            line.child_id,
            line.activity_id,
            line.kind,
            line.state == State.ABSENT_BILLED,
            line.unit_price,
        )
        groups.setdefault(key, []).append(line)
    rows, members = [], []
    for position, ((_c, _a, kind, absence, unit_price), group) in enumerate(groups.items()):
        first = group[0]
        quantity = sum((line.quantity for line in group), Decimal(0))
        rows.append(
            InvoiceLine(
                invoice=invoice,
                child=first.child,
                child_name=f"{first.child.first_name} {first.child.last_name}".strip(),
                activity=first.activity,
                label=_line_label(first.activity.name, kind, absence),
                period=_period(run),
                quantity=quantity,
                unit_price=unit_price,
                amount=sum((line.amount for line in group), ZERO),
                details=_days(group),
                position=position,
            )
        )
        members.append(group)
    if used > 0:
        rows.append(
            InvoiceLine(
                invoice=invoice,
                label=_("Crédit reporté"),
                period=_("déduit du crédit de la famille"),
                quantity=Decimal(1),
                unit_price=-used,
                amount=-used,
                position=len(rows),
            )
        )
    InvoiceLine.objects.bulk_create(rows)
    invoice_lines = {
        line.pk: row for row, group in zip(rows, members, strict=False) for line in group
    }
    return invoice, invoice_lines


def _line_label(activity: str, kind: str, absence: bool) -> str:
    if kind == Kind.EXCUSED:
        return _("%(activity)s — absences excusées, non facturées") % {"activity": activity}
    if kind == Kind.REVERSAL:
        return _("%(activity)s — régularisation (jours facturés puis excusés)") % {
            "activity": activity
        }
    if absence:
        return _("%(activity)s — absences facturées") % {"activity": activity}
    return activity


def _days(group) -> str:
    days = sorted({line.date for line in group})
    return _("Jours : %(days)s") % {"days": ", ".join(f"{day:%d/%m}" for day in days)}


MONTH_ELISION = ("avril", "août", "octobre")


def _period(run) -> str:
    start, end = run.period_start, run.period_end
    with override("fr"):
        if (start.year, start.month) == (end.year, end.month):
            return date_filter(start, "F Y").lower()
        return _("du %(start)s au %(end)s") % {
            "start": date_filter(start, "d/m/Y"),
            "end": date_filter(end, "d/m/Y"),
        }


def month_phrase(run) -> str:
    """« de janvier », « d’octobre », or « « Objet » » when the period is not one month."""
    start, end = run.period_start, run.period_end
    with override("fr"):
        if (start.year, start.month) != (end.year, end.month):
            return f"« {run.label} »"
        month = date_filter(start, "F").lower()
    return f"d’{month}" if month in MONTH_ELISION else f"de {month}"


class _Notices:
    """A batch's timeline events and e-mails (« Votre facture … est disponible »), written in
    two bulk inserts in the batch's transaction, the e-mails sent by one task after commit: the
    family's addresses and the collectivity's branding read once for the batch."""

    def __init__(self, run, family_ids):
        self.run = run
        self.collectivity = run.regie.collectivity
        self.addresses = families_emails(family_ids)
        self.branding = branding_for(self.collectivity)
        self.content_type = ContentType.objects.get_for_model(Invoice)
        self.events, self.emails = [], []

    def add(self, invoice) -> None:
        run, collectivity = self.run, self.collectivity
        message = _("Facture %(number)s émise : %(total)s, à régler avant le %(due)s.") % {
            "number": invoice.number,
            "total": euros(invoice.total),
            "due": date_long(invoice.due_date),
        }
        if invoice.direct_debit_date:
            message += " " + _("Elle sera prélevée le %(date)s.") % {
                "date": date_long(invoice.direct_debit_date)
            }
        self.events.append(
            TimelineEvent(
                collectivity=collectivity,
                family_id=invoice.family_id,
                subject_type=self.content_type,
                subject_id=invoice.pk,
                verb="invoice_issued",
                message=message,
                actor=actor_or_none(run.issued_by),
            )
        )
        to = self.addresses.get(invoice.family_id)
        if to:
            rendered = email_render(
                template="billing/run_invoice_issued",
                context={"invoice": invoice, "message": message, "month": month_phrase(run)},
                collectivity=collectivity,
                family=invoice.family,
                link=reverse("billing:invoice", args=[invoice.pk]),
                branding=self.branding,
            )
            self.emails.append(
                outbox_row(
                    rendered=rendered,
                    to=to,
                    collectivity=collectivity,
                    family_id=invoice.family_id,
                    idempotency_key=f"run-invoice:{invoice.pk}",
                )
            )

    def write(self) -> None:
        TimelineEvent.objects.bulk_create(self.events)
        if not self.emails:
            return
        # A new invoice has no e-mail yet: its key cannot be taken.
        ids = [email.pk for email in OutboxEmail.objects.bulk_create(self.emails)]
        transaction.on_commit(lambda: outbox_enqueue_many(ids))
