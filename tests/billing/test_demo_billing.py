"""The demo's billing: a régie per collectivity, three months of invoices with every case the
back office and the parents' space show, and the same rows after a second run."""

import datetime
from decimal import Decimal

from django.core.management import call_command

import pytest

from billing.models import (
    Invoice,
    InvoiceReminder,
    InvoicingRun,
    Mandate,
    Payment,
    Regie,
    RunAnomaly,
    TaxCertificate,
)
from portal.models import Collectivity

pytestmark = pytest.mark.django_db
Status = Invoice.Status


def _snapshot():
    return (
        sorted(Invoice.objects.values_list("number", "status", "total", "paid")),
        sorted(Payment.objects.values_list("number", "kind", "amount")),
        sorted(InvoiceReminder.objects.values_list("invoice__number", "level", "channel")),
        sorted(TaxCertificate.objects.values_list("child__first_name", "year", "amount", "pdf")),
        sorted(Mandate.objects.values_list("rum", "status", "sequence")),
    )


def test_demo_billing_shows_every_case_and_is_idempotent():
    call_command("demo_load", quiet=True)
    first = _snapshot()
    call_command("demo_load", quiet=True)
    assert _snapshot() == first
    today = datetime.date(2026, 12, 3)
    for collectivity in Collectivity.objects.all():
        assert collectivity.module_billing
        invoices = Invoice.objects.filter(regie__collectivity=collectivity)
        assert invoices.filter(status__in=[Status.TO_PAY, Status.PARTIAL], due_date__lt=today)
        assert invoices.filter(status=Status.PARTIAL).exists()
        assert invoices.filter(status=Status.CANCELLED).exclude(credit_note_number="").exists()
        assert invoices.exclude(direct_debit_date=None).exists()
        assert all(invoice.pdf for invoice in invoices)
        parent1 = invoices.filter(
            family__subscriptions__user__email__startswith="parent1@", status=Status.TO_PAY
        )
        assert parent1.count() >= 2
    beaulieu = Regie.objects.get(collectivity__site__hostname="localhost")
    assert beaulieu.online_backend == Regie.Backend.DUMMY
    assert beaulieu.collectivity.module_online_payment

    # Reminders and tax certificates (issue #14, items 4 and 5).
    for collectivity in Collectivity.objects.all():
        reminded = InvoiceReminder.objects.filter(invoice__regie__collectivity=collectivity)
        assert reminded.filter(level=1, invoice__label="Septembre 2026").exists()
        assert reminded.filter(invoice__status__in=[Status.TO_PAY, Status.PARTIAL]).exists()
    certificate = TaxCertificate.objects.get(
        family__subscriptions__user__email="parent1@beaulieu.localhost"
    )
    assert (certificate.year, certificate.child.first_name) == (2025, "Hugo")
    assert certificate.amount == Decimal("20.00")  # his evening care, not the canteen
    assert certificate.pdf.open("rb").read(5) == b"%PDF-"
    # The family on direct debit has its mandate, and November's invoice waits for its debit.
    mandate = Mandate.objects.get(regie=beaulieu, status=Mandate.Status.ACTIVE)
    assert mandate.iban == mandate.family.bank_details.iban and mandate.sequence == "RCUR"
    assert beaulieu.creditor_iban and beaulieu.creditor_bic
    assert Invoice.objects.filter(
        regie=beaulieu, family=mandate.family, status=Status.TO_PAY
    ).exclude(direct_debit_date=None)


def test_demo_runs_one_issued_with_the_parents_invoice_one_draft_with_anomalies():
    call_command("demo_load", quiet=True)
    call_command("demo_load", quiet=True)
    beaulieu = Regie.objects.get(collectivity__site__hostname="localhost")
    runs = InvoicingRun.objects.filter(regie=beaulieu)
    issued = runs.get(status=InvoicingRun.Status.ISSUED)
    draft = runs.get(status=InvoicingRun.Status.DRAFT)
    invoice = Invoice.objects.get(
        run=issued, family__subscriptions__user__email="parent1@beaulieu.localhost"
    )
    assert invoice.pdf and invoice.total > 0
    assert invoice.lines.filter(activity__name="Restauration scolaire").exists()
    assert RunAnomaly.objects.filter(run=draft).exists()
