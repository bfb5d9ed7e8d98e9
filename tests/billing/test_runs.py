"""Invoicing runs: a draft in a fixed number of queries, « Émettre » in one task (numbers,
PDFs, e-mails, direct-debit dates, progress), a booking billed once whatever the runs,
negative totals kept as credit and deducted next time, failures resumed without billing twice,
two agents issuing at once, and the PDFs rendered by their own tasks (or on the spot, once,
when an invoice is opened first)."""

import datetime
import threading
from decimal import Decimal
from unittest import mock

from django.core import mail
from django.db import connection
from django.test import TestCase
from django.urls import reverse

import pytest
import time_machine

from billing.models import (
    BilledBooking,
    FamilyCredit,
    Invoice,
    InvoiceLine,
    InvoicingRun,
    Mandate,
    RunAnomaly,
    RunFamily,
)
from billing.pdf import invoices_pdf_render
from billing.services import runs as runs_service
from billing.services.runs import (
    RunError,
    run_compute,
    run_create,
    run_delete,
    run_issue_process,
    run_issue_start,
)
from billing.tasks import invoices_pdf_render as invoices_pdf_task
from notifications.models import OutboxEmail, TimelineEvent
from planning.models import Booking
from portal.scoping import scopes_disabled
from tests.billing.run_fixtures import (
    NOVEMBER,
    TODAY,
    activity_make,
    book,
    child_make,
    days_of_november,
    family_make,
    regie_make,
    tariff_make,
)

pytestmark = pytest.mark.django_db
State = Booking.State
Status = InvoicingRun.Status


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def regie(collectivity_a):
    return regie_make(collectivity_a)


@pytest.fixture
def canteen(collectivity_a):
    activity = activity_make(collectivity_a, name="Restauration scolaire")
    tariff_make(activity)
    return activity


def draft(regie, activities, **kwargs):
    values = {
        "label": "Novembre 2026",
        "period_start": NOVEMBER[0],
        "period_end": NOVEMBER[1],
        "bill_unrecorded": True,
        "due_date": datetime.date(2026, 12, 31),
        "direct_debit_date": datetime.date(2026, 12, 20),
        **kwargs,
    }
    return run_create(regie=regie, activities=activities, **values)


def issue(run, by=None):
    # The task is queued on commit and runs synchronously in tests.
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_issue_start(run=run, by=by)
    run.refresh_from_db()
    return run


def families(collectivity, canteen, count, days=4, email=False):
    made = []
    for index in range(count):
        family = family_make(
            collectivity,
            f"Famille{index}",
            qf="650",
            email=f"famille{index}@example.test" if email else None,
        )
        child = child_make(family, f"Enfant{index}")
        for day in days_of_november(days):
            book(child, canteen, day)
        made.append(family)
    return made


def test_a_draft_shows_totals_and_anomalies_and_issues_nothing(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 2)
    no_payer = family_make(collectivity_a, "Sanspayeur", payer=False)
    book(child_make(no_payer, "Tom"), canteen, datetime.date(2026, 11, 3))
    run = draft(regie, [canteen])
    assert run.status == Status.DRAFT and run.computed_at is not None
    rows = {row.family_name: row for row in RunFamily.objects.filter(run=run)}
    assert rows["Famille0"].total == Decimal("8.00") and rows["Famille1"].total == Decimal("8.00")
    assert rows["Sanspayeur"].blocked
    anomaly = RunAnomaly.objects.get(run=run)
    assert (anomaly.kind, anomaly.family_name, anomaly.blocking) == ("no_payer", "Sanspayeur", True)
    assert not Invoice.objects.exists() and not BilledBooking.objects.exists()


def test_the_draft_takes_the_same_queries_for_3_or_30_families(
    collectivity_a, regie, canteen, django_assert_max_num_queries
):
    # One day each: SQLite takes 999 parameters a statement, so Django inserts lines by ~70
    # there (PostgreSQL: one statement for 5,000); 30 lines stay in one insert on both.
    families(collectivity_a, canteen, 3, days=1)
    run = draft(regie, [canteen])
    with django_assert_max_num_queries(30) as small:
        run_compute(run=run)
    families(collectivity_a, canteen, 27, days=1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        run_compute(run=run)
    assert RunFamily.objects.filter(run=run).count() == 30


def test_issuing_numbers_invoices_with_pdfs_mails_and_debit_dates(
    collectivity_a, regie, canteen, agent_a
):
    made = families(collectivity_a, canteen, 3, email=True)
    Mandate.objects.create(
        regie=regie,
        family=made[1],
        rum="RUM-0001",
        signature_date=datetime.date(2026, 9, 1),
        holder_name="Léa Famille1",
        iban="FR7630006000011234567890189",
    )
    run = draft(regie, [canteen])
    mail.outbox.clear()
    run = issue(run, by=agent_a)
    assert run.status == Status.ISSUED and (run.progress_done, run.progress_total) == (3, 3)
    invoices = list(Invoice.objects.filter(run=run).order_by("number"))
    assert [i.number for i in invoices] == [f"F01-2026-00000{n}" for n in (1, 2, 3)]
    assert all(i.pdf and i.pdf.open("rb").read(5) == b"%PDF-" for i in invoices)
    assert all(i.issue_date == datetime.date(2026, 12, 10) for i in invoices)
    debits = {i.family.name: i.direct_debit_date for i in invoices}
    assert debits == {
        "Famille0": None,
        "Famille1": datetime.date(2026, 12, 20),
        "Famille2": None,
    }
    line = InvoiceLine.objects.get(invoice=invoices[0])
    assert (line.label, line.quantity, line.unit_price, line.amount, line.period) == (
        "Restauration scolaire",
        Decimal("4"),
        Decimal("2.00"),
        Decimal("8.00"),
        "novembre 2026",
    )
    assert line.details == "Jours : 02/11, 03/11, 04/11, 05/11" and line.activity == canteen
    emails = OutboxEmail.objects.filter(subject__contains="Votre facture de novembre est dispo")
    assert emails.count() == 3
    assert sorted(e.to[0] for e in emails) == [f"famille{n}@example.test" for n in range(3)]
    assert {e.family_id for e in emails} == {i.family_id for i in invoices}
    by_family = {i.family_id: i.pk for i in invoices}
    assert all(e.idempotency_key == f"run-invoice:{by_family[e.family_id]}" for e in emails)
    assert len(mail.outbox) == 3
    assert BilledBooking.objects.filter(run=run).count() == 12
    # Each family's timeline says it, in the batch's transaction.
    events = TimelineEvent.objects.filter(verb="invoice_issued").order_by("subject_id")
    assert [(e.family_id, e.subject, e.actor) for e in events] == [
        (i.family_id, i, agent_a) for i in invoices
    ]
    assert events[1].message.startswith("Facture F01-2026-000002 émise : 8,00")
    assert events[1].message.endswith(
        "à régler avant le jeudi 31 décembre 2026. Elle sera prélevée le dimanche 20 décembre 2026."
    )


def test_a_batch_costs_a_few_queries_per_family(
    collectivity_a, regie, canteen, django_assert_max_num_queries, monkeypatch
):
    """The counter locked once, the addresses, branding, events and e-mails read or written
    once per batch: what grows with the families is their invoice, its lines and their row."""
    families(collectivity_a, canteen, 20, days=2, email=True)
    run = draft(regie, [canteen])
    monkeypatch.setattr(runs_service, "_enqueue", lambda run_id: None)
    run_issue_start(run=run, by=None)
    with django_assert_max_num_queries(25 + 3 * 20):  # 23 + 3 × 20 measured
        assert runs_service._issue_batch(run.pk, 50)
    assert Invoice.objects.filter(run=run).count() == 20
    assert OutboxEmail.objects.filter(subject__contains="Votre facture").count() == 20


def test_the_same_period_run_twice_bills_nothing_twice(collectivity_a, regie, canteen):
    made = families(collectivity_a, canteen, 2)
    first = issue(draft(regie, [canteen]))
    assert Invoice.objects.filter(run=first).count() == 2
    # A day recorded late, after the first run: only it is billed by the second.
    late = book(made[0].children.get(), canteen, datetime.date(2026, 11, 20))
    second = draft(regie, [canteen])
    rows = list(RunFamily.objects.filter(run=second))
    assert [(row.family_name, row.total) for row in rows] == [("Famille0", Decimal("2.00"))]
    issue(second)
    assert Invoice.objects.count() == 3
    assert BilledBooking.objects.get(booking=late).run == second
    third = draft(regie, [canteen])
    assert not RunFamily.objects.filter(run=third).exists()


def test_the_ledger_refuses_a_second_charge_of_a_booking(collectivity_a, regie, canteen):
    from django.db import IntegrityError, transaction

    families(collectivity_a, canteen, 1, days=1)
    run = issue(draft(regie, [canteen]))
    charge = BilledBooking.objects.get(run=run)
    with pytest.raises(IntegrityError), transaction.atomic():
        BilledBooking.objects.create(
            booking=charge.booking,
            kind=BilledBooking.Kind.CHARGE,
            run=run,
            run_line=charge.run_line,
            amount=Decimal("2.00"),
        )


def test_a_negative_total_becomes_a_credit_deducted_from_the_next_invoice(
    collectivity_a, regie, canteen
):
    family = families(collectivity_a, canteen, 1, days=3)[0]
    issue(draft(regie, [canteen]))
    # After the invoice, the three days are excused: the corrective run reverses them.
    Booking.objects.filter(child__family=family).update(state=State.ABSENT)
    correction = draft(regie, [canteen], label="Novembre 2026 — régularisation")
    row = RunFamily.objects.get(run=correction)
    assert row.total == Decimal("-6.00")
    correction = issue(correction)
    assert correction.status == Status.ISSUED
    assert not Invoice.objects.filter(run=correction).exists()
    assert FamilyCredit.objects.get(family=family).amount == Decimal("6.00")
    # A second correction reverses nothing again.
    assert not RunFamily.objects.filter(run=draft(regie, [canteen], label="Encore")).exists()
    # December: 4 days at 2 € = 8 €, minus the 6 € credit.
    child = family.children.get()
    for day in (1, 2, 3, 4):
        book(child, canteen, datetime.date(2026, 12, day))
    december = draft(
        regie,
        [canteen],
        label="Décembre 2026",
        period_start=datetime.date(2026, 12, 1),
        period_end=datetime.date(2026, 12, 9),
    )
    assert RunFamily.objects.get(run=december).credit_used == Decimal("6.00")
    issue(december)
    invoice = Invoice.objects.get(run=december)
    assert invoice.total == Decimal("2.00")
    credit_line = invoice.lines.get(label="Crédit reporté")
    assert credit_line.amount == Decimal("-6.00")
    balance = sum(FamilyCredit.objects.filter(family=family).values_list("amount", flat=True))
    assert balance == Decimal("0.00")


def test_a_credit_larger_than_the_invoice_is_kept_for_the_rest(collectivity_a, regie, canteen):
    family = families(collectivity_a, canteen, 1, days=1)[0]
    FamilyCredit.objects.create(regie=regie, family=family, amount=Decimal("5.00"), label="x")
    issue(draft(regie, [canteen]))
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("0.00")
    balance = sum(FamilyCredit.objects.filter(family=family).values_list("amount", flat=True))
    assert balance == Decimal("3.00")


def test_a_second_click_on_emettre_is_refused(collectivity_a, regie, canteen, monkeypatch):
    families(collectivity_a, canteen, 2)
    run = draft(regie, [canteen])
    queued = []
    monkeypatch.setattr(runs_service, "_enqueue", queued.append)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_issue_start(run=run, by=None)
    with pytest.raises(RunError, match="déjà en cours"):
        run_issue_start(run=run, by=None)
    assert len(queued) == 1
    run_issue_process(run_id=run.pk)
    with pytest.raises(RunError, match="déjà émise"):
        run_issue_start(run=run, by=None)
    assert Invoice.objects.count() == 2


def test_an_issued_run_is_never_edited(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 1)
    run = issue(draft(regie, [canteen]))
    with pytest.raises(RunError, match="ne change plus"):
        run_compute(run=run)
    with pytest.raises(RunError, match="brouillon"):
        run_delete(run=run)


def test_a_draft_can_be_deleted(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 1)
    run = draft(regie, [canteen])
    run_delete(run=run)
    assert not InvoicingRun.objects.exists() and not RunFamily.objects.exists()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"period_start": datetime.date(2026, 11, 30), "period_end": datetime.date(2026, 11, 1)},
            "La fin de la période précède son début",
        ),
        ({"label": "  "}, "objet"),
        ({"due_date": datetime.date(2026, 12, 1)}, "échéance"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(regie, canteen, kwargs, message):
    with pytest.raises(RunError, match=message):
        draft(regie, [canteen], **kwargs)
    assert not InvoicingRun.objects.exists()


def test_another_collectivitys_activity_is_refused(regie, canteen, collectivity_b):
    other = activity_make(collectivity_b, name="Cantine Bêta")
    with pytest.raises(RunError, match="collectivité"):
        draft(regie, [canteen, other])
    assert not InvoicingRun.objects.exists()


def test_a_failure_rolls_back_its_batch_and_resume_bills_once(
    collectivity_a, regie, canteen, monkeypatch
):
    families(collectivity_a, canteen, 5)
    run = draft(regie, [canteen])
    monkeypatch.setattr(runs_service, "ISSUE_BATCH", 2)
    calls = {"n": 0}
    original = runs_service._invoice_create

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second invoice of the second batch
            raise OSError("disque plein")
        return original(*args, **kwargs)

    monkeypatch.setattr(runs_service, "_invoice_create", flaky)
    run = issue(run)
    assert run.status == Status.FAILED and "disque plein" in run.error
    assert run.progress_done == 2
    assert Invoice.objects.count() == 2  # the failed batch left nothing, not even a number
    run = issue(run)  # « Reprendre l'émission »
    assert run.status == Status.ISSUED and run.error == ""
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F01-2026-00000{n}" for n in range(1, 6)]
    assert BilledBooking.objects.count() == 20
    assert RunFamily.objects.filter(run=run, invoice__isnull=True).count() == 0


def test_a_booking_billed_meanwhile_by_another_run_is_left_out(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 1, days=2)
    first = draft(regie, [canteen])
    second = draft(regie, [canteen], label="Doublon")
    issue(first)
    issue(second)
    assert Invoice.objects.filter(run=second).count() == 0
    assert BilledBooking.objects.filter(run=second).count() == 0
    assert Invoice.objects.get(run=first).total == Decimal("4.00")


def test_a_long_run_hands_over_to_a_new_task(collectivity_a, regie, canteen, monkeypatch):
    families(collectivity_a, canteen, 3)
    run = draft(regie, [canteen])
    monkeypatch.setattr(runs_service, "ISSUE_BATCH", 1)
    monkeypatch.setattr(runs_service, "TASK_BUDGET", -0.5)  # every batch is over budget
    run = issue(run)
    assert run.status == Status.ISSUED and Invoice.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_issuing_at_once_bill_once_with_gapless_numbers(
    collectivity_a, regie, canteen, monkeypatch
):
    """Two threads click « Émettre » at the same time: one issue starts. Then two workers
    process the same run at once (a task delivered twice): the invoices are numbered 1 to N
    without gap, and each booking is billed once."""
    count = 12
    families(collectivity_a, canteen, count)
    run = draft(regie, [canteen])
    monkeypatch.setattr(runs_service, "_enqueue", lambda run_id: None)
    monkeypatch.setattr(runs_service, "ISSUE_BATCH", 3)
    barrier = threading.Barrier(2)
    started, refused, errors = [], [], []

    def click():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                run_issue_start(run=run, by=None)
            started.append(1)
        except RunError:
            refused.append(1)
        except Exception as error:  # noqa: BLE001 -- reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert (len(started), len(refused), errors) == (1, 1, [])

    def work():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                run_issue_process(run_id=run.pk, budget=None)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    run.refresh_from_db()
    assert run.status == Status.ISSUED
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F01-2026-{n:06d}" for n in range(1, count + 1)]
    assert BilledBooking.objects.count() == count * 4
    assert Booking.objects.count() == count * 4


# --- PDFs: rendered by their own tasks once each batch is numbered (several workers render
# side by side); an invoice opened before its task gets its PDF on the spot, once.


def issue_without_pdf_tasks(run, by=None):
    with (
        mock.patch.object(runs_service, "_enqueue_pdfs") as queued,
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        run_issue_start(run=run, by=by)
    run.refresh_from_db()
    return [ids for (ids,), _kwargs in queued.call_args_list]


def test_each_batch_queues_the_pdfs_of_its_invoices(collectivity_a, regie, canteen):
    families(collectivity_a, canteen, 3)
    run = draft(regie, [canteen])
    with mock.patch.object(runs_service, "ISSUE_BATCH", 2):
        batches = issue_without_pdf_tasks(run)
    invoices = list(Invoice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    assert batches == [invoices[:2], invoices[2:]]
    assert not Invoice.objects.filter(run=run).exclude(pdf="").exists()
    assert invoices_pdf_task(invoices) == 3
    assert all(
        invoice.pdf.open("rb").read(5) == b"%PDF-" for invoice in Invoice.objects.filter(run=run)
    )
    names = set(Invoice.objects.filter(run=run).values_list("pdf", flat=True))
    # Run again (a retried task): nothing is rendered twice, the files stay.
    assert invoices_pdf_task(invoices) == 0
    assert set(Invoice.objects.filter(run=run).values_list("pdf", flat=True)) == names


def test_the_progress_page_counts_the_pdfs_still_to_render(
    collectivity_a, regie, canteen, client_a, agent_a
):
    families(collectivity_a, canteen, 2)
    run = draft(regie, [canteen])
    issue_without_pdf_tasks(run)
    client_a.force_login(agent_a)
    page = client_a.get(reverse("billing_admin:run_detail", args=[run.pk]))
    text = page.content.decode()
    assert "0 / 2" in text and "2 PDF restent à rendre" in text
    assert '<meta http-equiv="refresh"' in text
    invoices_pdf_render(list(Invoice.objects.filter(run=run).values_list("pk", flat=True)))
    text = client_a.get(reverse("billing_admin:run_detail", args=[run.pk])).content.decode()
    assert "2 / 2" in text and "restent à rendre" not in text
    assert '<meta http-equiv="refresh"' not in text


def test_an_invoice_downloaded_before_its_task_gets_its_pdf_once(
    collectivity_a, regie, canteen, client_a, agent_a, client_b, agent_b
):
    families(collectivity_a, canteen, 1)
    run = draft(regie, [canteen])
    issue_without_pdf_tasks(run)
    invoice = Invoice.objects.get(run=run)
    # Another collectivity's agent neither gets it nor makes it render.
    client_b.force_login(agent_b)
    assert client_b.get(reverse("billing_admin:invoice_pdf", args=[invoice.pk])).status_code == 404
    invoice.refresh_from_db()
    assert not invoice.pdf
    client_a.force_login(agent_a)
    url = reverse("billing_admin:invoice_pdf", args=[invoice.pk])
    first = client_a.get(url)
    assert first.status_code == 200 and b"".join(first.streaming_content)[:5] == b"%PDF-"
    invoice.refresh_from_db()
    stored = invoice.pdf.name
    assert stored
    second = client_a.get(url)
    assert second.status_code == 200
    invoice.refresh_from_db()
    assert invoice.pdf.name == stored
    assert invoices_pdf_task([invoice.pk]) == 0


def test_a_parent_opening_the_invoice_before_its_task_gets_its_pdf_once(
    collectivity_a, regie, canteen, client_a
):
    made = families(collectivity_a, canteen, 2, email=True)
    run = draft(regie, [canteen])
    issue_without_pdf_tasks(run)
    mine, theirs = (Invoice.objects.get(run=run, family=family) for family in made)
    parent = made[0].subscriptions.get().user
    client_a.force_login(parent)
    # Another family's invoice: not found, and not rendered either.
    other = client_a.get(reverse("billing:invoice_pdf", args=[theirs.pk]))
    assert other.status_code == 404
    theirs.refresh_from_db()
    assert not theirs.pdf
    response = client_a.get(reverse("billing:invoice_pdf", args=[mine.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    mine.refresh_from_db()
    assert mine.pdf
    assert invoices_pdf_task([mine.pk, theirs.pk]) == 1  # only the other family's was left
