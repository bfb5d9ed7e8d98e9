"""« Mes demandes » in a browser: an agent refuses a parent's request with a reason in the
back office; the parent sees « 1 nouveau(x) message(s) », opens the request, reads the reason,
and the counter clears. The agent also writes a message without deciding. axe-core checks
« Mes demandes », the history and the preferences page."""

import pytest
from playwright.sync_api import expect

from family.models import ChangeRequest, Guardian
from family.services import change_request_submit
from tests.e2e.test_backoffice import login_as
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_parent_reads_the_refusal_and_the_counter_clears(
    live_server, page, axe, collectivity_a, agent_a
):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    guardian = Guardian.objects.create(
        family=family, rank=1, first_name="Claire", last_name="Dupont", address="1 rue A"
    )
    parent = UserFactory(email="claire.dupont@example.test", first_name="Claire")
    SubscriptionFactory(user=parent, family=family)
    request = change_request_submit(
        family=family,
        target=ChangeRequest.Target.GUARDIAN,
        object_id=guardian.pk,
        new_values={"address": "2 rue B"},
        by=parent,
    )

    login_as(page, live_server, agent_a)
    page.goto(f"{live_server.url}/admin/familles/demandes/{request.pk}/")
    page.get_by_label("Motif du refus").fill("Merci de joindre un justificatif de domicile.")
    page.get_by_role("button", name="Refuser").click()
    expect(page.get_by_text("Demande refusée")).to_be_visible()
    page.context.clear_cookies()

    login_as(page, live_server, parent)
    page.goto(live_server.url + "/mon-espace/")
    expect(page.get_by_text("1 nouveau(x) message(s)")).to_be_visible()
    page.get_by_role("link", name="Mes demandes").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes demandes")
    card = page.get_by_role("listitem").filter(has_text="Modification du dossier")
    expect(card.get_by_text("1 nouveau(x) message(s)")).to_be_visible()
    expect(card.get_by_text("Refusée")).to_be_visible()
    axe(page)

    card.get_by_role("link", name="Voir l’historique").click()
    expect(page.get_by_text("Merci de joindre un justificatif de domicile.")).to_be_visible()
    expect(page.get_by_text("Ville de Alpha").first).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Retour à mes demandes").click()
    expect(page.get_by_text("Aucun nouveau message sur vos demandes.")).to_be_visible()
    expect(page.get_by_text("nouveau(x) message(s)", exact=False)).to_have_count(0)

    # Without deciding, the agent writes to the family; the parent reads it in the history.
    page.context.clear_cookies()
    login_as(page, live_server, agent_a)
    page.goto(f"{live_server.url}/admin/familles/demandes/{request.pk}/")
    page.get_by_label("Message à la famille").fill("Le justificatif peut être déposé en mairie.")
    page.get_by_role("button", name="Envoyer le message").click()
    expect(page.get_by_text("Message envoyé à la famille")).to_be_visible()
    axe(page)
    page.context.clear_cookies()
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/mon-espace/demandes/")
    expect(page.get_by_text("1 nouveau(x) message(s)").first).to_be_visible()
    page.get_by_role("link", name="Voir l’historique").first.click()
    expect(page.get_by_text("Informations apportées par votre collectivité")).to_be_visible()
    expect(page.get_by_text("Le justificatif peut être déposé en mairie.")).to_be_visible()


def test_preferences_page(live_server, page, axe, collectivity_a):
    parent = UserFactory(email="marc@example.test")
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/mon-espace/")
    page.get_by_role("link", name="Mes préférences de notification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes préférences de notification")
    axe(page)
    page.get_by_label("À chaque décision, immédiatement").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Vos préférences ont été enregistrées.")).to_be_visible()
    expect(page.get_by_label("À chaque décision, immédiatement")).to_be_checked()
    axe(page)
