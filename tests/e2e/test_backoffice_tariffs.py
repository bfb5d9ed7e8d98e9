"""An agent creates a tariff with its QF brackets and a sibling reduction (without JavaScript
help: formsets with empty rows), meets a refusal for a gap between brackets, then sets a
family's quotient from a date on its card; axe-core checks every page. Screenshots at
1,280 px and 320 px land in ``$E2E_SCREENSHOTS`` when it is set."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.models import Tariff
from family.models import QuotientPeriod
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import ActivityFactory
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("E2E_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _bracket(page, row: int, qf_min: str, qf_max: str, price: str) -> None:
    page.get_by_label(f"Tranche n° {row} : Quotient familial de (€)").fill(qf_min)
    page.get_by_label(f"Tranche n° {row} : à (€)").fill(qf_max)
    page.get_by_label(f"Tranche n° {row} : Prix unitaire (€)").fill(price)


def test_agent_creates_a_tariff_and_sets_a_quotient(
    live_server, page, axe, collectivity_a, agent_a
):
    page.set_viewport_size({"width": 1280, "height": 900})
    canteen = ActivityFactory(
        collectivity=collectivity_a, name="Restauration scolaire", accounting_code="7067"
    )
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    login_as(page, live_server, agent_a)

    page.goto(live_server.url + "/admin/facturation/tarifs/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tarifs")
    axe(page)
    page.get_by_role("link", name="Ajouter un tarif pour « Restauration scolaire »").click()
    expect(page.get_by_label("Activité")).to_have_value(str(canteen.pk))
    page.get_by_label("Valable à partir du").fill("2026-09-01")
    page.get_by_label("Unité facturée").select_option("meal")
    _bracket(page, 1, "0", "500", "1,50")
    _bracket(page, 2, "600", "", "3,20")
    page.get_by_label("Réduction n° 1 : À partir du rang").fill("2")
    page.get_by_label("Réduction n° 1 : Pourcentage du tarif (%)").fill("80")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert").first).to_contain_text("rien n’a été enregistré")
    expect(page.get_by_text("Aucune tranche ne couvre les quotients de 500,01")).to_be_visible()
    axe(page)
    _shot(page, "tariff-refused")
    assert not Tariff.objects.exists()

    page.get_by_label("Tranche n° 2 : Quotient familial de (€)").fill("500,01")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("à partir du rang 2 : 80 % du prix")).to_be_visible()
    axe(page)
    _shot(page, "tariffs")
    page.set_viewport_size({"width": 320, "height": 800})
    _shot(page, "tariffs-320")
    page.set_viewport_size({"width": 1280, "height": 900})
    tariff = Tariff.objects.get()
    assert [b.price for b in tariff.brackets.all()] == [Decimal("1.50"), Decimal("3.20")]

    page.goto(live_server.url + f"/admin/familles/{family.pk}/")
    page.get_by_label("Quotient familial (€)").fill("812,40")
    page.get_by_label("À partir du").fill("2026-10-01")
    page.get_by_role("button", name="Enregistrer le quotient").click()
    expect(page.get_by_text("Quotient familial enregistré.")).to_be_visible()
    expect(page.get_by_role("cell", name="812,40\u00a0€", exact=True)).to_be_visible()
    axe(page)
    _shot(page, "family-quotient")
    assert QuotientPeriod.objects.get(family=family).value == Decimal("812.40")
