"""« Espace facturation » in a browser: the parent sees two invoices to pay, downloads one's
PDF, ticks both, confirms the amount, pays them at once through the payment simulator (the
provider's page in test settings), comes back to « Paiement accepté » and sees both paid
with the card payment listed. axe-core checks every billing page visited, the simulator's
too; no page reports a content-security-policy violation."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import Invoice, Payment, PaymentTransaction, Regie
from billing.services import LineInput, invoice_issue
from family.models import Guardian
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _invoice(regie, family, child, *, label, quantity, price, day):
    return invoice_issue(
        regie=regie,
        family=family,
        lines=[
            LineInput(
                label="Restauration scolaire",
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                child=child,
                period=label,
            )
        ],
        issue_date=day,
        due_date=day + datetime.timedelta(days=30),
        label=label,
    )


def test_parent_pays_two_invoices_online(
    live_server, page, axe, csp_violations, collectivity_a, tmp_path
):
    collectivity_a.module_online_payment = True
    collectivity_a.save()
    regie = Regie.objects.create(
        collectivity=collectivity_a, code="01", name="Régie enfance", online_backend="dummy"
    )
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    Guardian.objects.create(family=family, rank=1, first_name="Inès", last_name="Martin")
    child = ChildFactory(family=family, first_name="Hugo")
    parent = UserFactory(email="ines.martin@example.test", first_name="Inès")
    SubscriptionFactory(user=parent, family=family)
    october = _invoice(
        regie,
        family,
        child,
        label="Octobre 2026",
        quantity="10",
        price="3.20",
        day=datetime.date(2026, 11, 2),
    )
    november = _invoice(
        regie,
        family,
        child,
        label="Novembre 2026",
        quantity="8",
        price="3.20",
        day=datetime.date(2026, 12, 1),
    )

    login_as(page, live_server, parent)
    page.goto(live_server.url + "/facturation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace facturation")
    expect(page.get_by_text("Reste à payer : 57,60\u00a0€")).to_be_visible()
    card = page.get_by_role("listitem").filter(has_text=f"Facture {october.number}")
    expect(card.locator(".invoice-status")).to_have_text("! À payer")
    axe(page)

    with page.expect_download() as download:
        card.get_by_role("link", name=f"Télécharger le PDF : facture {october.number}").click()
    assert download.value.suggested_filename == f"facture-{october.number}.pdf"
    pdf = tmp_path / "facture.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    # Both invoices ticked, then « Payer les factures cochées ».
    page.get_by_role("checkbox", name=f"Cocher pour payer la facture {october.number}").check()
    page.get_by_role("checkbox", name=f"Cocher pour payer la facture {november.number}").check()
    page.get_by_role("button", name="Payer les factures cochées").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payer en ligne")
    expect(page.get_by_text("Montant à payer : 57,60\u00a0€")).to_be_visible()
    expect(page.get_by_label("Adresse e-mail pour le justificatif de paiement")).to_have_value(
        "ines.martin@example.test"
    )
    axe(page)
    page.get_by_role("button", name="Payer 57,60\u00a0€").click()

    # The provider's page (the simulator in test settings).
    expect(page.get_by_role("heading", level=1)).to_have_text("Simulateur de paiement")
    expect(page.get_by_text("57,60\u00a0€")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Payer", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Paiement accepté")
    axe(page)
    attempt = PaymentTransaction.objects.get()
    assert attempt.status == PaymentTransaction.Status.PAID
    payment = Payment.objects.get()
    assert payment.kind == Payment.Kind.CARD and payment.amount == Decimal("57.60")
    expect(page.get_by_text(f"règlement {payment.number}")).to_be_visible()

    page.get_by_role("link", name="Retour à l’espace facturation").click()
    expect(page.get_by_text("Vous n’avez aucune facture à payer.")).to_be_visible()
    for invoice in (october, november):
        card = page.get_by_role("listitem").filter(has_text=f"Facture {invoice.number}")
        expect(card.locator(".invoice-status")).to_have_text("✓ Payée")
        expect(card.get_by_role("cell", name=payment.number)).to_be_visible()
        expect(card.get_by_role("cell", name="Carte bancaire en ligne")).to_be_visible()
    assert set(Invoice.objects.values_list("status", flat=True)) == {Invoice.Status.PAID}
    axe(page)

    page.get_by_role("link", name=f"Voir le détail : facture {october.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Facture {october.number}")
    axe(page)
    assert csp_violations() == []
