"""Money that is never lost: gapless numbers, invoices never edited, payments allocated oldest
first, credit notes with their reason, paid ≤ total held by the database."""

import datetime
import re
from decimal import Decimal

from django.db import IntegrityError, transaction

import pytest

from billing.models import Invoice, NumberCounter, Payment, Regie
from billing.services import BillingError, LineInput, invoice_cancel, invoice_issue, payment_record
from family.models import Guardian
from notifications.models import OutboxEmail, TimelineEvent
from portal.formats import euros
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 12, 1)


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(
        collectivity=collectivity_a, code="01", name="Régie enfance", address="1 place"
    )


@pytest.fixture
def family(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(
        family=family, rank=1, first_name="Léa", last_name="Dupont", is_payer=True
    )
    SubscriptionFactory(user=UserFactory(email="lea@example.test"), family=family)
    return family


def issue(regie, family, amount="12.40", quantity="2", day=DAY, **kwargs):
    child = kwargs.pop("child", None) or ChildFactory(family=family, first_name="Emma")
    return invoice_issue(
        regie=regie,
        family=family,
        lines=[
            LineInput(
                label="Restauration scolaire",
                quantity=Decimal(quantity),
                unit_price=Decimal(amount),
                child=child,
                period="novembre 2026",
            )
        ],
        issue_date=day,
        due_date=day + datetime.timedelta(days=30),
        label="Novembre 2026",
        **kwargs,
    )


def test_euros_are_written_the_french_way():
    assert euros(Decimal("1234.56")) == "1\u202f234,56\u00a0€"
    assert euros(Decimal("0.5")) == "0,50\u00a0€"
    assert euros(Decimal("-12")) == "−12,00\u00a0€"
    assert euros(Decimal("1234567.005")) == "1\u202f234\u202f567,01\u00a0€"


def test_issue_numbers_lines_pdf_event_and_email(regie, family):
    first = issue(regie, family)
    second = issue(regie, family, amount="3.333", quantity="3")
    assert (first.number, second.number) == ("F01-2026-000001", "F01-2026-000002")
    assert first.total == Decimal("24.80") and first.status == Invoice.Status.TO_PAY
    assert second.lines.get().amount == Decimal("9.99")  # the unit price is 3,33 €, then × 3
    first.refresh_from_db()
    # Named after the number; storage adds a suffix when another collectivity's invoice (or
    # an earlier test's) already holds that name in the month's folder.
    assert re.fullmatch(r"invoices/2026/12/F01-2026-000001(_\w+)?\.pdf", first.pdf.name)
    assert first.pdf.open("rb").read(5) == b"%PDF-"
    event = TimelineEvent.objects.get(verb="invoice_issued", subject_id=first.pk)
    assert event.family_id == family.pk and "24,80" in event.message
    email = OutboxEmail.objects.filter(subject__contains="F01-2026-000001").get()
    assert email.to == ["lea@example.test"]
    assert f"http://localhost/facturation/factures/{first.pk}/" in email.body_text


def test_a_new_year_starts_again_at_one(regie, family):
    issue(regie, family)
    assert issue(regie, family, day=datetime.date(2027, 1, 4)).number == "F01-2027-000001"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quantity": "0"}, "quantité"),
        ({"amount": "-1"}, "prix unitaire"),
    ],
)
def test_bad_lines_are_refused_and_use_no_number(regie, family, kwargs, message):
    with pytest.raises(BillingError, match=message):
        issue(regie, family, **kwargs)
    assert not Invoice.objects.exists()
    assert issue(regie, family).number == "F01-2026-000001"


def test_reversed_dates_are_refused(regie, family):
    with pytest.raises(BillingError, match="échéance"):
        invoice_issue(
            regie=regie,
            family=family,
            lines=[LineInput(label="Cantine", quantity=Decimal(1), unit_price=Decimal(1))],
            issue_date=DAY,
            due_date=DAY - datetime.timedelta(days=1),
        )
    assert not NumberCounter.objects.filter(last__gt=0).exists()


def test_another_collectivitys_regie_is_refused(collectivity_b, family):
    other = Regie.objects.create(collectivity=collectivity_b, code="01", name="Autre")
    with pytest.raises(BillingError, match="collectivité"):
        issue(other, family)


def test_payment_goes_to_the_oldest_invoice_first(regie, family):
    old = issue(regie, family, day=datetime.date(2026, 10, 1))
    new = issue(regie, family, day=datetime.date(2026, 11, 1))
    payment = payment_record(
        regie=regie, family=family, kind="cheque", amount="30.00", date=DAY, reference="Chèque 42"
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert payment.number == "R01-2026-000001"
    assert (old.paid, old.status) == (Decimal("24.80"), Invoice.Status.PAID)
    assert (new.paid, new.status) == (Decimal("5.20"), Invoice.Status.PARTIAL)
    assert new.balance == Decimal("19.60")
    assert TimelineEvent.objects.filter(verb="payment_recorded").count() == 1


def test_the_agent_chooses_which_invoice_a_payment_settles(regie, family):
    old = issue(regie, family, day=datetime.date(2026, 10, 1))
    new = issue(regie, family, day=datetime.date(2026, 11, 1))
    payment_record(
        regie=regie, family=family, kind="cash", amount="10", date=DAY, invoice_ids=[new.pk]
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.paid == 0 and new.paid == Decimal("10.00")


def test_more_than_what_is_due_is_refused_and_changes_nothing(regie, family):
    invoice = issue(regie, family)
    with pytest.raises(BillingError, match="dépasse le reste à payer"):
        payment_record(regie=regie, family=family, kind="cash", amount="24.81", date=DAY)
    with pytest.raises(BillingError, match="positif"):
        payment_record(regie=regie, family=family, kind="cash", amount="0", date=DAY)
    invoice.refresh_from_db()
    assert invoice.paid == 0 and not Payment.objects.exists()


def test_another_familys_invoice_cannot_be_chosen(regie, family, collectivity_a):
    other = FamilyFactory(collectivity=collectivity_a, name="Autre")
    Guardian.objects.create(family=other, rank=1, first_name="A", last_name="Autre")
    foreign = issue(regie, other)
    with pytest.raises(BillingError, match="pas à payer pour cette famille"):
        payment_record(
            regie=regie, family=family, kind="cash", amount="1", date=DAY, invoice_ids=[foreign.pk]
        )


def test_cancel_by_credit_note_with_reason(regie, family, agent_a):
    invoice = issue(regie, family)
    with pytest.raises(BillingError, match="motif"):
        invoice_cancel(invoice=invoice, by=agent_a, reason="  ")
    cancelled = invoice_cancel(invoice=invoice, by=agent_a, reason="Erreur de tarif")
    assert cancelled.status == Invoice.Status.CANCELLED
    assert cancelled.credit_note_number == "A01-2026-000001"
    assert cancelled.cancelled_by == agent_a and cancelled.balance == 0
    with pytest.raises(BillingError, match="déjà annulée"):
        invoice_cancel(invoice=invoice, by=agent_a, reason="Encore")


def test_a_paid_invoice_is_not_cancelled(regie, family, agent_a):
    invoice = issue(regie, family)
    payment_record(regie=regie, family=family, kind="cash", amount="1", date=DAY)
    with pytest.raises(BillingError, match="déjà reçu"):
        invoice_cancel(invoice=invoice, by=agent_a, reason="Erreur")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIAL


def test_the_database_keeps_paid_within_the_total(regie, family):
    invoice = issue(regie, family)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid=Decimal("24.81"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid=Decimal("-1"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_stay_gapless_under_parallel_issuing(regie, family):
    """Eight threads issue five invoices each at once: forty numbers, 1 to 40, no gap, no
    duplicate (PostgreSQL: SQLite serialises writers)."""
    import threading

    from django.db import connection

    from portal.scoping import scopes_disabled

    child = ChildFactory(family=family)
    barrier = threading.Barrier(8)
    errors = []

    def work():
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                for _ in range(5):
                    issue(regie, family, child=child, notify=False)
        except Exception as error:  # noqa: BLE001 -- reported to the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F01-2026-{n:06d}" for n in range(1, 41)]


def test_the_payer_address_keeps_its_second_line(regie, family):
    family.guardians.update(
        address="12 rue des Lilas",
        address_complement="Bâtiment B",
        postal_code="45630",
        city="Beaulieu-sur-Loire",
    )
    invoice = issue(regie, family)
    assert invoice.payer_address == "12 rue des Lilas\nBâtiment B\n45630 Beaulieu-sur-Loire"


def test_a_number_sequence_continues_the_counter_and_writes_it_once(
    regie, django_assert_num_queries
):
    from billing.services.numbering import NumberSequence, number_next

    kind, year = NumberCounter.Kind.INVOICE, 2026
    with transaction.atomic():
        assert number_next(regie=regie, kind=kind, year=year) == "F01-2026-000001"
        # Read, lock, and one write for the three numbers.
        with (
            django_assert_num_queries(3),
            NumberSequence(regie=regie, kind=kind, year=year) as numbers,
        ):
            taken = [numbers.next() for _ in range(3)]
        assert taken == ["F01-2026-000002", "F01-2026-000003", "F01-2026-000004"]
        assert number_next(regie=regie, kind=kind, year=year) == "F01-2026-000005"
    assert NumberCounter.objects.get(regie=regie, kind=kind, year=year).last == 5


def test_a_number_sequence_rolled_back_gives_its_numbers_again(regie):
    from billing.services.numbering import NumberSequence

    kind = NumberCounter.Kind.INVOICE
    with (
        pytest.raises(OSError),
        transaction.atomic(),
        NumberSequence(regie=regie, kind=kind, year=2026) as numbers,
    ):
        numbers.next()
        raise OSError("disque plein")
    with transaction.atomic(), NumberSequence(regie=regie, kind=kind, year=2026) as numbers:
        assert numbers.next() == "F01-2026-000001"
    # Nothing taken, nothing locked nor written.
    with transaction.atomic(), NumberSequence(regie=regie, kind=kind, year=2026):
        pass
    assert NumberCounter.objects.get(regie=regie, kind=kind, year=2026).last == 1


@pytest.mark.django_db(transaction=True)
def test_a_number_sequence_outside_a_transaction_is_refused(regie):
    from billing.services.numbering import NumberSequence

    with pytest.raises(RuntimeError):
        NumberSequence(regie=regie, kind=NumberCounter.Kind.INVOICE, year=2026).next()
