"""An agent opens « Facturation », finds a family's invoices, records a cheque on the oldest
one and cancels the other by a credit note with its reason; axe-core checks every page.
Screenshots at 1,280 px land in ``$E2E_SCREENSHOTS`` when it is set."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

import pytest
from playwright.sync_api import expect

from billing.models import Invoice, Payment, Regie
from family.models import Guardian
from tests.billing.test_invoices import issue
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("E2E_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_agent_records_a_cheque_and_cancels_an_invoice(
    live_server, page, axe, collectivity_a, agent_a
):
    page.set_viewport_size({"width": 1280, "height": 900})
    regie = Regie.objects.create(collectivity=collectivity_a, code="01", name="Régie enfance")
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(
        family=family, rank=1, first_name="Léa", last_name="Dupont", is_payer=True
    )
    child = ChildFactory(family=family, first_name="Emma")
    old = issue(regie, family, day=datetime.date(2026, 10, 1), child=child)
    # Issued yesterday, due in 29 days: never overdue, whatever today's date (a fixed date
    # made it overdue once the calendar passed its due date).
    new = issue(regie, family, day=timezone.localdate() - datetime.timedelta(days=1), child=child)
    login_as(page, live_server, agent_a)

    page.goto(live_server.url + "/admin/facturation/factures/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Factures")
    expect(page.get_by_role("link", name=old.number)).to_be_visible()
    axe(page)
    _shot(page, "billing-invoices")

    page.get_by_label("Famille, payeur ou numéro").fill("dupont")
    page.get_by_label("En retard seulement").check()
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("link", name=old.number)).to_be_visible()
    expect(page.get_by_role("link", name=new.number)).to_have_count(0)
    axe(page)

    page.get_by_role("link", name=old.number).click()
    expect(page.get_by_role("heading", name="Lignes")).to_be_visible()
    axe(page)
    _shot(page, "billing-invoice")
    page.get_by_role("link", name="Enregistrer un règlement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Enregistrer un règlement")
    axe(page)
    page.get_by_label("Type de règlement").select_option(label="Chèque")
    page.get_by_label("Montant (€)").fill("30,00")  # more than the ticked invoice's 24,80
    page.get_by_label("Référence").fill("Chèque n° 1234567")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(page.get_by_text("Règlement refusé")).to_be_visible()
    axe(page)
    _shot(page, "billing-payment-refused")
    page.get_by_label("Montant (€)").fill("24,80")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(page.get_by_text("Règlement R01-2026-000001")).to_have_count(2)  # message and row
    axe(page)
    _shot(page, "billing-statement")

    page.get_by_role("link", name=f"Facture {new.number}").first.click()
    page.get_by_role("link", name="Annuler par un avoir").click()
    page.get_by_role("button", name="Annuler la facture par un avoir").click()
    expect(page.get_by_text("Indiquez le motif de l’annulation").first).to_be_visible()
    axe(page)
    page.get_by_label("Motif de l’annulation").fill("Facturée deux fois")
    page.get_by_role("button", name="Annuler la facture par un avoir").click()
    expect(page.get_by_text("annulée par l’avoir A01-2026-000001")).to_be_visible()
    expect(page.get_by_text("Facturée deux fois")).to_be_visible()
    axe(page)
    _shot(page, "billing-cancelled")

    # The other pages of the menu, checked the same way.
    for path, name in (
        ("regies/", "billing-regies"),
        (f"regies/{regie.pk}/", "billing-regie-form"),
        ("import/", "billing-import"),
        ("reglements/export/", "billing-export"),
    ):
        page.goto(f"{live_server.url}/admin/facturation/{path}")
        axe(page)
        _shot(page, name)

    old.refresh_from_db(), new.refresh_from_db()
    assert old.status == Invoice.Status.PAID and new.status == Invoice.Status.CANCELLED
    assert Payment.objects.get().amount == Decimal("24.80")
