"""Pre-enrolment in a browser: the parent asks (a first try with errors, then a valid one with
a typical week), the agent accepts it in the back office, the parent reads « Acceptée » and the
typical week is booked. axe-core runs on every page."""

import datetime

import pytest
from playwright.sync_api import expect

from planning.models import Booking, Enrolment
from tests.e2e.test_backoffice import login_as
from tests.planning.factories import ActivityFactory, ChildFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_parent_asks_agent_accepts(live_server, page, axe, collectivity_a, agent_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    child = ChildFactory(family=family, first_name="Léa", last_name="Dupont")
    parent = UserFactory(email="parent.preinscription@example.test")
    SubscriptionFactory(user=parent, family=family)
    activity = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil périscolaire soir",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 3),
    )
    # A Thursday far enough ahead to be booked by the typical week whatever the run date.
    thursday = SlotFactory(activity=activity, date=datetime.date(2027, 6, 3))
    ActivityFactory(collectivity=collectivity_a, name="Séjour ancien", is_active=False)

    login_as(page, live_server, parent)
    page.goto(live_server.url + "/famille/pre-inscriptions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pré-inscriptions")
    expect(page.get_by_text("Aucune inscription ni demande pour cet enfant.")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Demander une pré-inscription", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demander une pré-inscription")
    expect(page.locator("#id_activity")).not_to_contain_text("Séjour ancien")
    axe(page)

    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert").first).to_contain_text("Le formulaire contient")
    axe(page, context="formulaire avec erreurs")
    assert not Enrolment.objects.exists()

    page.locator("#id_child").select_option(label="Léa Dupont")
    page.locator("#id_activity").select_option(str(activity.pk))
    page.get_by_label("Lundi").check()
    page.get_by_label("Jeudi").check()
    page.get_by_label("Commentaire (facultatif)").fill("Nous finissons tard le lundi et le jeudi.")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pré-inscriptions")
    expect(page.get_by_text("Votre demande de pré-inscription de Léa")).to_be_visible()
    expect(page.locator(".enrolment-status")).to_contain_text("En attente de validation")
    axe(page, context="liste avec demande en attente")
    enrolment = Enrolment.objects.get()
    assert enrolment.weekdays == [0, 3]

    page.context.clear_cookies()
    login_as(page, live_server, agent_a)
    page.goto(live_server.url + "/admin/enfance/pre-inscriptions/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pré-inscriptions")
    axe(page)
    page.get_by_role(
        "link", name="Traiter la pré-inscription de Léa, Accueil périscolaire soir"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pré-inscription")
    expect(page.get_by_text("lundi, jeudi")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Pré-inscription acceptée : Léa")).to_be_visible()
    expect(page.get_by_text("Aucune pré-inscription en attente.")).to_be_visible()
    axe(page, context="file après acceptation")

    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACCEPTED
    assert Booking.objects.get(child=child, slot=thursday).state == Booking.State.RESERVED

    page.context.clear_cookies()
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/famille/pre-inscriptions/")
    status = page.locator(f"#inscription-{enrolment.pk} .enrolment-status")
    expect(status).to_contain_text("Acceptée")
    expect(page.get_by_role("link", name="Annuler la demande")).to_have_count(0)
    axe(page, context="liste avec inscription acceptée")


def test_cancel_direct_enrolment_and_creation_step3(
    live_server, page, axe, collectivity_a, agent_a
):
    from family.models import FamilyCreationRequest
    from family.services import creation_draft_get, creation_step_save
    from planning.services import enrolment_request

    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    child = ChildFactory(family=family, first_name="Tom", last_name="Martin")
    parent = UserFactory(email="parent.annulation@example.test")
    SubscriptionFactory(user=parent, family=family)
    canteen = ActivityFactory(collectivity=collectivity_a, name="Restauration scolaire")
    wednesday = ActivityFactory(
        collectivity=collectivity_a, name="Accueil du mercredi", weekdays=[2], age_min=3
    )
    pending = enrolment_request(
        child=child,
        activity=canteen,
        start_date=canteen.start_date,
        end_date=canteen.end_date,
        weekdays=[],
        user=parent,
    )

    # The parent withdraws the request through the confirmation page.
    login_as(page, live_server, parent)
    page.goto(live_server.url + "/famille/pre-inscriptions/")
    page.get_by_role("link", name="Annuler la demande de Tom à Restauration scolaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Annuler la demande de pré-inscription"
    )
    axe(page)
    page.get_by_role("button", name="Oui, annuler la demande").click()
    expect(page.locator(f"#inscription-{pending.pk} .enrolment-status")).to_contain_text("Annulée")
    axe(page, context="liste avec demande annulée")

    # The agent enrols Tom directly in the Wednesday activity.
    page.context.clear_cookies()
    login_as(page, live_server, agent_a)
    page.goto(live_server.url + "/admin/enfance/pre-inscriptions/inscrire/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inscrire un enfant")
    axe(page)
    page.get_by_label("Rechercher un enfant (nom ou prénom)").fill("Mart")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label("Tom Martin").check()
    page.get_by_label("Activité").select_option(str(wednesday.pk))
    page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_text("Tom Martin est inscrit(e) à « Accueil du mercredi »")).to_be_visible()
    axe(page, context="file des inscriptions acceptées")
    assert Enrolment.objects.get(child=child, activity=wednesday).status == "accepted"

    # A new parent chooses activities on step 3 of the family-space creation form.
    newcomer = UserFactory(email="nouveau.parent@example.test")
    draft = creation_draft_get(user=newcomer, collectivity=collectivity_a)
    creation_step_save(
        request=draft,
        step=1,
        data={
            "guardians": [{"last_name": "Petit", "first_name": "Anne"}],
            "children": [{"last_name": "Petit", "first_name": "Jules", "birth_date": "2018-02-03"}],
        },
    )
    creation_step_save(request=draft, step=2, data={"payer": 1, "bank": {}, "fiscal": {}})
    page.context.clear_cookies()
    login_as(page, live_server, newcomer)
    page.goto(live_server.url + "/famille/creation/etape-3/")
    expect(page.get_by_role("group", name="Activités souhaitées pour Jules Petit")).to_be_visible()
    axe(page)
    page.get_by_label("Restauration scolaire").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == FamilyCreationRequest.Status.PENDING
    assert [row["activity_id"] for row in draft.data["enrolments"]] == [canteen.pk]
