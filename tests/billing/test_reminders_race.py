"""Two runs at once (a task replayed, two clusters): each reminder and each tax certificate is
written once. Every run in its own thread and database connection. PostgreSQL only (SQLite
serialises writers, which would prove nothing)."""

import datetime
import threading
from decimal import Decimal

from django.db import connection
from django.utils import timezone

import pytest

from billing.models import InvoiceReminder, Regie, TaxCertificate
from billing.services import (
    LineInput,
    invoice_issue,
    payment_record,
    reminders_send,
    tax_certificates_generate,
)
from notifications.models import OutboxEmail
from portal.scoping import tenant_scope
from tests.billing.test_reminders import _family
from tests.planning.factories import ActivityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
RUNS = 4


@pytest.fixture
def regie(collectivity_a):
    return Regie.objects.create(collectivity=collectivity_a, code="01", name="Régie enfance")


def _at_once(target) -> None:
    barrier = threading.Barrier(RUNS)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []


def _issue(regie, family, day, activity=None):
    return invoice_issue(
        regie=regie,
        family=family,
        lines=[
            LineInput(
                label="Accueil du soir",
                quantity=Decimal(2),
                unit_price=Decimal("6"),
                child=family.children.get(),
                activity=activity,
            )
        ],
        issue_date=day,
        due_date=day + datetime.timedelta(days=10),
        notify=False,
    )


def test_runs_at_once_remind_each_invoice_once(regie, collectivity_a):
    today = timezone.localdate()
    invoices = [
        _issue(
            regie,
            _family(collectivity_a, f"Famille{n}", account=bool(n % 2)),
            today - datetime.timedelta(days=40),
        )
        for n in range(6)
    ]
    _at_once(lambda: reminders_send(today=today))
    assert InvoiceReminder.objects.count() == len(invoices)
    assert set(InvoiceReminder.objects.values_list("level", flat=True)) == {2}
    assert OutboxEmail.objects.filter(idempotency_key__startswith="reminder:").count() == 3


def test_generations_at_once_make_each_certificate_once(regie, collectivity_a):
    year = timezone.localdate().year - 1
    care = ActivityFactory(collectivity=collectivity_a, childcare=True)
    for n in range(3):
        family = _family(collectivity_a, f"Famille{n}")
        family.children.update(birth_date=datetime.date(year - 2, 1, 10))
        _issue(regie, family, datetime.date(year, 3, 1), activity=care)
        payment_record(
            regie=regie, family=family, kind="cash", amount="12", date=datetime.date(year, 3, 5)
        )

    def generate():
        with tenant_scope(collectivity_a):
            tax_certificates_generate(collectivity=collectivity_a, year=year)

    _at_once(generate)
    assert TaxCertificate.objects.filter(year=year).count() == 3
    assert all(certificate.pdf for certificate in TaxCertificate.objects.all())
