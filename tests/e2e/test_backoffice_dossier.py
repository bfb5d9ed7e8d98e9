"""An agent processes dossier change requests in a browser: the queue with « ancien →
nouveau », one acceptance, then two refusals at once with one reason."""

import pytest
from playwright.sync_api import expect

from family.models import ChangeRequest, Guardian
from family.services import change_request_submit
from tests.e2e.test_backoffice import login_as
from tests.portal.factories import FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_processes_change_requests(live_server, page, axe, collectivity_a, agent_a):
    requests = {}
    for index, name in enumerate(("Dupont", "Martin", "Petit"), 1):
        family = FamilyFactory(collectivity=collectivity_a, name=name)
        guardian = Guardian.objects.create(
            family=family, rank=1, first_name="Claire", last_name=name, address="1 rue A"
        )
        requests[name] = change_request_submit(
            family=family,
            target=ChangeRequest.Target.GUARDIAN,
            object_id=guardian.pk,
            new_values={"address": f"{index + 1} rue B"},
            by=UserFactory(email=f"parent.{name.lower()}@example.test"),
        )
    login_as(page, live_server, agent_a)

    page.goto(live_server.url + "/admin/familles/demandes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demandes à traiter")
    expect(page.get_by_text("1 rue A → 2 rue B")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Traiter la demande Dupont : Claire Dupont").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demande de modification")
    axe(page)
    page.get_by_role("button", name="Refuser").click()  # no reason: refused, nothing changes
    expect(page.get_by_role("alert").filter(has_text="Indiquez le motif du refus")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Demande acceptée")).to_be_visible()
    # The whole page, Wagtail's success message included (static/css/admin.css fixes its
    # contrast).
    axe(page)
    assert Guardian.objects.get(family__name="Dupont").address == "2 rue B"

    page.get_by_label("Sélectionner la demande Martin : Claire Martin").check()
    page.get_by_label("Sélectionner la demande Petit : Claire Petit").check()
    page.get_by_label("Motif du refus (pour « Refuser la sélection »)").fill(
        "Merci de joindre un justificatif de domicile."
    )
    page.get_by_role("button", name="Refuser la sélection").click()
    expect(page.get_by_text("2 demande(s) refusée(s).")).to_be_visible()
    expect(page.get_by_text("Aucune demande de modification en attente.")).to_be_visible()
    axe(page)
    for name in ("Martin", "Petit"):
        refused = ChangeRequest.objects.get(pk=requests[name].pk)
        assert refused.status == ChangeRequest.Status.REFUSED
        assert refused.refusal_reason == "Merci de joindre un justificatif de domicile."

    page.goto(live_server.url + f"/admin/familles/{requests['Martin'].family_id}/")
    expect(page.get_by_text("Merci de joindre un justificatif de domicile.").first).to_be_visible()
    axe(page)
