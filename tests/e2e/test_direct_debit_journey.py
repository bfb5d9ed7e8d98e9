"""An agent puts a family on direct debit from its account page, generates the SEPA file of
the debit date, downloads it and records a rejet; the parent then reads the rejet in
« Espace facturation ». axe-core checks every page."""

import datetime
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from billing.models import DirectDebitItem, Invoice, Mandate, Regie
from family.models import BankDetails
from tests.billing.test_direct_debit import CREDITOR_IBAN, IBANS, ICS, _family, _invoice
from tests.e2e.test_backoffice import login_as

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_collects_by_direct_debit_and_records_a_rejet(
    live_server, page, axe, collectivity_a, agent_a
):
    traveller = time_machine.travel(
        datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC), tick=True
    )
    traveller.start()
    try:
        page.set_viewport_size({"width": 1280, "height": 900})
        regie = Regie.objects.create(
            collectivity=collectivity_a,
            code="01",
            name="Régie enfance",
            creditor_identifier=ICS,
            creditor_iban=CREDITOR_IBAN,
        )
        family = _family(collectivity_a, "Dupont", iban=IBANS[0])
        invoice = _invoice(regie, family, amount="42.50")
        login_as(page, live_server, agent_a)

        page.goto(f"{live_server.url}/admin/facturation/familles/{family.pk}/compte/")
        expect(page.get_by_role("heading", name="Prélèvement automatique")).to_be_visible()
        expect(page.get_by_text("Aucun mandat")).to_be_visible()
        axe(page)
        page.get_by_role("link", name="Créer un mandat de prélèvement").click()
        expect(page.get_by_text("FR14 **** ")).to_be_visible()
        axe(page)
        page.get_by_role("button", name="Créer le mandat").click()
        mandate = Mandate.objects.get(family=family)
        expect(page.get_by_text(f"Mandat {mandate.rum} créé")).to_be_visible()
        axe(page)

        page.goto(f"{live_server.url}/admin/facturation/prelevements/")
        expect(page.get_by_role("heading", name="Factures à prélever")).to_be_visible()
        axe(page)
        page.get_by_role("button", name="Générer le fichier de prélèvement").click()
        expect(page.get_by_text("Fichier de prélèvement du jeudi 10 décembre 2026")).to_be_visible()
        axe(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger le fichier SEPA (pain.008)").click()
        assert download.value.suggested_filename.startswith("prelevements-01-2026-12-10-")
        assert b"pain.008.001.08" in Path(download.value.path()).read_bytes()

        page.get_by_role(
            "link", name=f"Enregistrer un rejet de la facture {invoice.number}"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Enregistrer un rejet")
        axe(page)
        page.get_by_label("Motif du rejet").select_option("AM04")
        page.get_by_role("button", name="Enregistrer le rejet").click()
        # Today is before the collection date: refused on the form, nothing recorded.
        expect(
            page.get_by_text("Le rejet ne peut pas précéder la date du prélèvement.")
        ).to_be_visible()
        axe(page)
    finally:
        traveller.stop()
    with time_machine.travel(datetime.datetime(2026, 12, 14, 9, 0, tzinfo=datetime.UTC), tick=True):
        page.get_by_label("Date du rejet").fill("2026-12-14")
        page.get_by_label("Motif du rejet").select_option("AM04")
        page.get_by_role("button", name="Enregistrer le rejet").click()
        expect(page.get_by_text("Rejet enregistré")).to_be_visible()
        expect(
            page.get_by_role("cell", name="Rejeté — AM04 — Provision insuffisante")
        ).to_be_visible()
        axe(page)

        page.context.clear_cookies()
        login_as(page, live_server, family.subscriptions.get().user)
        page.goto(f"{live_server.url}/facturation/")
        expect(page.get_by_text("rejeté le 14/12/2026")).to_be_visible()
        expect(page.get_by_text(mandate.rum)).to_be_visible()
        axe(page)
    assert DirectDebitItem.objects.get().status == "rejected"
    assert Invoice.objects.get(pk=invoice.pk).status == "to_pay"
    assert BankDetails.objects.get(family=family).iban == IBANS[0]
