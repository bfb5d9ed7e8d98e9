"""An invoicing run in a browser: the agent creates the November run, reads the preview and its
anomaly (a family without quotient under a « block » tariff), issues it after confirming,
watches the progress page, and the parent then finds the invoice in « Espace facturation » and
downloads its PDF. axe-core checks every page visited. Screenshots at 1,280 px land in
``$E2E_SCREENSHOTS`` when it is set."""

import datetime
import os
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from billing.models import Invoice, InvoicingRun
from tests.billing.run_fixtures import (
    TODAY,
    activity_make,
    book,
    child_make,
    days_of_november,
    family_make,
    regie_make,
    tariff_make,
)
from tests.e2e.test_backoffice import login_as

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("E2E_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_agent_issues_a_run_and_the_parent_finds_the_invoice(
    live_server, page, axe, collectivity_a, agent_a, tmp_path
):
    traveller = time_machine.travel(TODAY, tick=True)
    traveller.start()
    try:
        _journey(live_server, page, axe, collectivity_a, agent_a, tmp_path)
    finally:
        traveller.stop()


def _journey(live_server, page, axe, collectivity_a, agent_a, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    regie_make(collectivity_a)
    canteen = activity_make(collectivity_a, name="Restauration scolaire")
    tariff_make(canteen, no_quotient="block")
    family = family_make(collectivity_a, "Dupont", qf="650", email="lea.dupont@example.test")
    child = child_make(family, "Emma")
    for day in days_of_november(6):
        book(child, canteen, day)
    blocked = family_make(collectivity_a, "Martin", qf=None)
    book(child_make(blocked, "Jules"), canteen, datetime.date(2026, 11, 3))

    login_as(page, live_server, agent_a)
    page.goto(live_server.url + "/admin/facturation/facturations/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Facturations")
    axe(page)
    page.get_by_role("link", name="Nouvelle facturation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nouvelle facturation")
    axe(page)
    page.get_by_label("Objet").fill("Novembre 2026")
    page.get_by_label("Période du").fill("2026-11-01")
    page.get_by_label("Période au").fill("2026-11-30")
    page.get_by_label("Restauration scolaire").check()
    page.get_by_label("Date d’échéance").fill("2026-12-31")
    page.get_by_role("button", name="Calculer le brouillon").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Novembre 2026")
    expect(page.get_by_role("heading", name="Quotient familial manquant (1)")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Martin")).to_contain_text("Jules")
    expect(page.get_by_role("row").filter(has_text="Dupont")).to_contain_text("12,00")
    axe(page)
    _shot(page, "run-preview")

    page.get_by_role("link", name="Émettre", exact=True).click()
    expect(page.get_by_role("heading", name="Émettre la facturation")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Confirmer l’émission").click()
    # The task runs synchronously in tests: the progress page shows the run done.
    expect(page.locator("#run-progress")).to_have_attribute("value", "2")
    expect(page.get_by_text("2 / 2")).to_be_visible()
    # Its one invoice's PDF, rendered by its own task once the batch was committed.
    expect(page.get_by_role("progressbar", name="PDF des factures rendus")).to_have_attribute(
        "value", "1"
    )
    run = InvoicingRun.objects.get()
    assert run.status == InvoicingRun.Status.ISSUED
    invoice = Invoice.objects.get(run=run)
    expect(page.get_by_role("link", name=invoice.number)).to_be_visible()
    axe(page)
    _shot(page, "run-issued")

    parent = family.subscriptions.get().user
    page.context.clear_cookies()
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/facturation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace facturation")
    card = page.get_by_role("listitem").filter(has_text=f"Facture {invoice.number}")
    expect(card).to_contain_text("12,00")
    axe(page)
    with page.expect_download() as download:
        card.get_by_role("link", name=f"Télécharger le PDF : facture {invoice.number}").click()
    pdf = tmp_path / "facture.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
