"""« Pièces justificatives » in a browser: the parent filters by state and « Obligatoire
uniquement », sends a PDF for a document « A compléter » (« En cours de validation »), the agent
refuses it with a reason (« Invalide », the parent reads the reason), the parent sends another
one, the agent accepts it (« Transmis »). axe-core checks every page, at 320 px for the parent.
Screenshots land in ``$E2E_SCREENSHOTS`` when it is set."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from family.models import Guardian
from pieces.models import DocumentType, SupportingDocument
from tests.e2e.test_backoffice import login_as
from tests.pieces.factories import PDF_BYTES, DocumentTypeFactory
from tests.planning.factories import ChildFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("E2E_SCREENSHOTS")
URL = "/famille/pieces-justificatives/"


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _as(page, live_server, user, width):
    page.context.clear_cookies()
    page.set_viewport_size({"width": width, "height": 900})
    login_as(page, live_server, user)


def _send_pdf(page, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(PDF_BYTES)
    page.get_by_label("Fichier(s)").set_input_files(str(path))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_text("Document envoyé")).to_be_visible()


def test_parent_sends_a_document_the_agent_refuses_then_accepts(
    live_server, page, axe, collectivity_a, agent_a, tmp_path
):
    collectivity_a.module_documents = True
    collectivity_a.save()
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    Guardian.objects.create(family=family, rank=1, first_name="Léa", last_name="Dupont")
    parent = UserFactory(email="lea@example.test")
    SubscriptionFactory(user=parent, family=family)
    ChildFactory(family=family, first_name="Emma")
    insurance = DocumentTypeFactory(
        collectivity=collectivity_a, name="Attestation d’assurance", mandatory=True
    )
    DocumentTypeFactory(
        collectivity=collectivity_a,
        name="Carnet de vaccination",
        mandatory=False,
        holder=DocumentType.Holder.CHILD,
    )

    _as(page, live_server, parent, 320)
    page.goto(live_server.url + "/famille/")
    page.get_by_role("link", name="Pièces justificatives").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pièces justificatives")
    expect(page.get_by_role("heading", name="Carnet de vaccination")).to_be_visible()
    axe(page)
    _shot(page, "documents-320")
    page.get_by_label("Obligatoire uniquement").check()
    page.get_by_label("Etat").select_option(label="A compléter")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("heading", name="Attestation d’assurance")).to_be_visible()
    expect(page.get_by_role("heading", name="Carnet de vaccination")).to_have_count(0)
    axe(page)

    page.get_by_role("link", name="Ajouter : Attestation d’assurance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attestation d’assurance")
    axe(page)
    _send_pdf(page, tmp_path, "assurance.pdf")
    expect(page.locator(".document-state", has_text="En cours de validation").first).to_be_visible()
    axe(page)
    _shot(page, "document-pending-320")
    document = SupportingDocument.objects.get(family=family, document_type=insurance)

    _as(page, live_server, agent_a, 1280)
    page.goto(live_server.url + "/admin/pieces/")
    expect(page.get_by_role("cell", name="Dupont", exact=True)).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Voir Attestation d’assurance de la famille Dupont").click()
    # The PDF opens in its own tab (Chromium draws no PDF in a sandbox, and a framed viewer
    # takes the page's focus); images are shown in a sandboxed frame.
    expect(page.get_by_role("link", name="Afficher le PDF dans un nouvel onglet")).to_have_count(1)
    axe(page)
    _shot(page, "backoffice-document")
    page.get_by_label("Motif du refus (la famille le lira)").fill(
        "Attestation de l’an dernier : envoyez celle de cette année."
    )
    page.get_by_role("button", name="Refuser").click()
    expect(page.get_by_text("Pièce refusée")).to_be_visible()
    axe(page)

    _as(page, live_server, parent, 320)
    page.goto(live_server.url + URL + "?etat=refused")
    expect(page.locator(".document-state", has_text="Invalide").first).to_be_visible()
    expect(
        page.get_by_text("Attestation de l’an dernier : envoyez celle de cette année.")
    ).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Envoyer un nouveau document : Attestation d’assurance").click()
    _send_pdf(page, tmp_path, "assurance-2026.pdf")
    expect(page.locator(".document-state", has_text="En cours de validation").first).to_be_visible()

    _as(page, live_server, agent_a, 1280)
    page.goto(live_server.url + f"/admin/pieces/documents/{document.pk}/")
    page.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Pièce validée")).to_be_visible()
    axe(page)

    _as(page, live_server, parent, 1280)
    page.goto(live_server.url + URL)
    expect(page.locator(".document-state", has_text="Transmis").first).to_be_visible()
    axe(page)
    _shot(page, "documents-1280")
    document.refresh_from_db()
    assert document.status == "accepted"
    assert [f.original_name for f in document.files.filter(current=True)] == ["assurance-2026.pdf"]
