"""Pre-enrolment pages (parent) and the agents' back office: scoping (another family's or
another collectivity's rows exist and answer 404 / are refused), double submission, bad input,
decisions one by one and in bulk, direct enrolment, query counts."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from notifications.models import OutboxEmail
from planning.models import Booking, Enrolment
from planning.services import enrolment_accept, enrolment_request
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
LIST = "/famille/pre-inscriptions/"
NEW = "/famille/pre-inscriptions/demander/"
QUEUE = "/admin/enfance/pre-inscriptions/"
DIRECT = "/admin/enfance/pre-inscriptions/inscrire/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.vues@example.test")


@pytest.fixture
def family(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    SubscriptionFactory(user=parent, family=family)
    return family


@pytest.fixture
def child(family):
    return ChildFactory(family=family, first_name="Léa", last_name="Martin")


@pytest.fixture
def activity(collectivity_a):
    return ActivityFactory(collectivity=collectivity_a, name="Restauration scolaire")


@pytest.fixture
def others(collectivity_a, collectivity_b):
    """Rows that must never leak: another family here, a family and activity in B."""
    other_family = FamilyFactory(collectivity=collectivity_a, name="Voisin")
    other_child = ChildFactory(family=other_family, first_name="Zoé", last_name="Voisin")
    activity_b = ActivityFactory(collectivity=collectivity_b, name="Cantine de Bêta")
    child_b = ChildFactory(family=FamilyFactory(collectivity=collectivity_b), first_name="Yanis")
    other_enrolment = EnrolmentFactory(
        child=other_child,
        activity=ActivityFactory(collectivity=collectivity_a, name="Accueil du soir"),
        status=Enrolment.Status.PENDING,
    )
    enrolment_b = EnrolmentFactory(
        child=child_b, activity=activity_b, status=Enrolment.Status.PENDING
    )
    return {
        "child": other_child,
        "enrolment": other_enrolment,
        "activity_b": activity_b,
        "child_b": child_b,
        "enrolment_b": enrolment_b,
    }


@pytest.fixture
def parent_client(client_a, parent, family):
    client_a.force_login(parent)
    return client_a


@pytest.fixture
def agent_client(client_a, agent_a):
    client_a.force_login(agent_a)
    return client_a


def _form(response):
    return response.context["form"]


def _post_new(client, **data):
    response = client.get(NEW)
    values = {"token": _form(response).initial["token"], "comment": "", **data}
    return client.post(NEW, values)


# --- parent pages


def test_list_shows_own_enrolments_only(parent_client, child, activity, others):
    EnrolmentFactory(
        child=child,
        activity=activity,
        status=Enrolment.Status.REFUSED,
        refusal_reason="Effectif complet",
        weekdays=[0, 1],
    )
    response = parent_client.get(LIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Léa Martin" in content
    assert "Restauration scolaire" in content
    assert "Refusée" in content and "Effectif complet" in content
    assert "lundi, mardi" in content
    assert "Zoé" not in content and "Accueil du soir" not in content
    assert "Yanis" not in content and "Cantine de Bêta" not in content


def test_list_query_count_constant(parent_client, family, activity):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert parent_client.get(LIST).status_code == 200
        return len(queries)

    ChildFactory(family=family)
    EnrolmentFactory(child=family.children.first(), activity=activity)
    count()  # warm the per-process caches (site, settings)
    small = count()
    for _ in range(5):
        kid = ChildFactory(family=family)
        for _ in range(3):
            EnrolmentFactory(
                child=kid, activity=ActivityFactory(collectivity=activity.collectivity)
            )
    assert count() == small


def test_request_form_creates_one_enrolment_even_if_sent_twice(parent_client, child, activity):
    response = parent_client.get(NEW)
    assert response.status_code == 200
    assert "Restauration scolaire" in response.content.decode()
    data = {
        "token": _form(response).initial["token"],
        "child": child.pk,
        "activity": activity.pk,
        "start_date": "",
        "end_date": "",
        "weekdays": ["0", "3"],
        "comment": "Merci",
    }
    first = parent_client.post(NEW, data)
    assert first.status_code == 302 and first["Location"] == LIST
    second = parent_client.post(NEW, data)
    assert second.status_code == 302
    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.PENDING
    assert (enrolment.start_date, enrolment.end_date) == (activity.start_date, activity.end_date)
    assert enrolment.weekdays == [0, 3]
    assert OutboxEmail.objects.count() == 1
    page = parent_client.get(LIST).content.decode()
    assert "En attente de validation" in page
    assert "déjà été envoyée" in page


def test_request_form_without_token_still_refuses_duplicate(parent_client, child, activity):
    data = {"child": child.pk, "activity": activity.pk}
    assert parent_client.post(NEW, data).status_code == 302
    response = parent_client.post(NEW, data)
    assert response.status_code == 400
    assert "déjà une pré-inscription" in response.content.decode()
    assert Enrolment.objects.count() == 1


def test_request_form_refuses_other_family_child_and_other_collectivity_activity(
    parent_client, child, activity, others
):
    response = _post_new(parent_client, child=others["child"].pk, activity=activity.pk)
    assert response.status_code == 400
    assert "Choisissez un de vos enfants" in response.content.decode()
    response = _post_new(parent_client, child=others["child_b"].pk, activity=activity.pk)
    assert response.status_code == 400
    response = _post_new(parent_client, child=child.pk, activity=others["activity_b"].pk)
    assert response.status_code == 400
    assert "Choisissez une activité de la liste" in response.content.decode()
    assert Enrolment.objects.filter(child=child).count() == 0
    assert "Cantine de Bêta" not in parent_client.get(NEW).content.decode()


def test_request_form_bad_period_shows_french_error(parent_client, child, activity):
    response = _post_new(
        parent_client,
        child=child.pk,
        activity=activity.pk,
        start_date="2027-03-01",
        end_date="2027-02-01",
    )
    assert response.status_code == 400
    assert "La date de fin de la période précède sa date de début" in response.content.decode()
    response = _post_new(parent_client, child=child.pk, activity=activity.pk, weekdays=["2"])
    assert response.status_code == 400
    assert "n’a pas lieu le mercredi" in response.content.decode()
    assert not Enrolment.objects.filter(child=child).exists()


def test_cancel_pending_then_not_again(parent_client, child, activity, parent):
    enrolment = enrolment_request(
        child=child,
        activity=activity,
        start_date=activity.start_date,
        end_date=activity.end_date,
        weekdays=[],
        user=parent,
    )
    url = reverse("planning:enrolment_cancel", args=[enrolment.pk])
    page = parent_client.get(url)
    assert page.status_code == 200
    assert "Oui, annuler la demande" in page.content.decode()
    assert parent_client.post(url).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED
    assert parent_client.get(url).status_code == 302
    parent_client.post(url)
    assert "ne peut plus être annulée" in parent_client.get(LIST).content.decode()


def test_cancel_other_family_or_collectivity_is_404(parent_client, child, others):
    for enrolment in (others["enrolment"], others["enrolment_b"]):
        url = reverse("planning:enrolment_cancel", args=[enrolment.pk])
        assert parent_client.get(url).status_code == 404
        assert parent_client.post(url).status_code == 404
        enrolment.refresh_from_db()
        assert enrolment.status == Enrolment.Status.PENDING


def test_pages_need_family_and_module(client_a, parent_client, collectivity_a, child):
    lonely = UserFactory()
    client_a.force_login(lonely)
    response = client_a.get(LIST)
    assert response.status_code == 200
    assert "pre-inscriptions" not in response.templates[0].name
    collectivity_a.module_enrolment = False
    collectivity_a.save()
    client_a.force_login(child.family.subscriptions.first().user)
    assert client_a.get(LIST).status_code == 404
    assert client_a.get(NEW).status_code == 404


# --- back office


def test_queue_lists_pending_of_collectivity_only(agent_client, child, activity, others, parent):
    enrolment_request(
        child=child,
        activity=activity,
        start_date=activity.start_date,
        end_date=activity.end_date,
        weekdays=[0],
        user=parent,
    )
    response = agent_client.get(QUEUE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Léa" in content and "Zoé" in content
    assert "Yanis" not in content and "Cantine de Bêta" not in content
    filtered = agent_client.get(QUEUE, {"activite": activity.pk}).content.decode()
    assert "Léa" in filtered and "Zoé" not in filtered
    accepted = agent_client.get(QUEUE, {"statut": "accepted"}).content.decode()
    assert "Léa" not in accepted


def test_queue_query_count_constant(agent_client, collectivity_a, activity):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(QUEUE).status_code == 200
        return len(queries)

    EnrolmentFactory(
        child=ChildFactory(family=FamilyFactory(collectivity=collectivity_a)),
        activity=activity,
        status=Enrolment.Status.PENDING,
    )
    count()  # warm the per-process caches (site, settings)
    small = count()
    for _ in range(10):
        EnrolmentFactory(
            child=ChildFactory(family=FamilyFactory(collectivity=collectivity_a)),
            activity=ActivityFactory(collectivity=collectivity_a),
            status=Enrolment.Status.PENDING,
        )
    assert count() == small


def test_detail_accept_and_refuse(agent_client, child, activity, parent, agent_a):
    slot = SlotFactory(activity=activity, date=datetime.date(2026, 11, 26))
    first = enrolment_request(
        child=child,
        activity=activity,
        start_date=activity.start_date,
        end_date=datetime.date(2026, 12, 18),
        weekdays=[3],
        user=parent,
    )
    detail = reverse("planning_admin:enrolment_detail", args=[first.pk])
    assert agent_client.get(detail).status_code == 200
    response = agent_client.post(reverse("planning_admin:enrolment_accept", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Enrolment.Status.ACCEPTED
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.RESERVED

    second = enrolment_request(
        child=child,
        activity=activity,
        start_date=datetime.date(2027, 1, 4),
        end_date=activity.end_date,
        weekdays=[],
        user=parent,
    )
    refuse = reverse("planning_admin:enrolment_refuse", args=[second.pk])
    response = agent_client.post(refuse, {"reason": " "})
    assert response.status_code == 400
    assert "Indiquez le motif du refus" in response.content.decode()
    second.refresh_from_db()
    assert second.status == Enrolment.Status.PENDING
    assert agent_client.post(refuse, {"reason": "Complet"}).status_code == 302
    second.refresh_from_db()
    assert second.status == Enrolment.Status.REFUSED
    # Deciding again: an error message, nothing changed.
    agent_client.post(reverse("planning_admin:enrolment_accept", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == Enrolment.Status.REFUSED


def test_other_collectivity_enrolment_is_404(agent_client, others):
    enrolment = others["enrolment_b"]
    for name in ("enrolment_detail",):
        assert (
            agent_client.get(reverse(f"planning_admin:{name}", args=[enrolment.pk])).status_code
            == 404
        )
    for name in ("enrolment_accept", "enrolment_refuse"):
        url = reverse(f"planning_admin:{name}", args=[enrolment.pk])
        assert agent_client.post(url, {"reason": "x"}).status_code == 404
    agent_client.post(
        reverse("planning_admin:enrolments_bulk"),
        {"action": "accept", "inscription": [enrolment.pk]},
    )
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.PENDING


def test_parent_cannot_reach_back_office(parent_client, others):
    assert parent_client.get(QUEUE).status_code == 403
    url = reverse("planning_admin:enrolment_accept", args=[others["enrolment"].pk])
    assert parent_client.post(url).status_code == 403
    others["enrolment"].refresh_from_db()
    assert others["enrolment"].status == Enrolment.Status.PENDING


def test_bulk_accept_and_refuse(agent_client, collectivity_a, activity, others):
    rows = [
        EnrolmentFactory(
            child=ChildFactory(family=FamilyFactory(collectivity=collectivity_a)),
            activity=activity,
            status=Enrolment.Status.PENDING,
        )
        for _ in range(3)
    ]
    bulk = reverse("planning_admin:enrolments_bulk")
    agent_client.post(bulk, {"action": "refuse", "inscription": [rows[0].pk], "reason": ""})
    rows[0].refresh_from_db()
    assert rows[0].status == Enrolment.Status.PENDING
    agent_client.post(bulk, {"action": "accept", "inscription": [rows[0].pk, rows[1].pk]})
    agent_client.post(
        bulk, {"action": "refuse", "inscription": [rows[1].pk, rows[2].pk], "reason": "Complet"}
    )
    statuses = [Enrolment.objects.get(pk=row.pk).status for row in rows]
    assert statuses == [
        Enrolment.Status.ACCEPTED,
        Enrolment.Status.ACCEPTED,  # already decided: reported, not changed
        Enrolment.Status.REFUSED,
    ]
    messages = [str(m) for m in agent_client.get(QUEUE).context["messages"]]
    assert any("1 pré-inscription(s) refusée(s)" in m for m in messages)
    assert any("non traitée" in m and "déjà été traitée" in m for m in messages)


def test_direct_enrolment_search_then_enrol(agent_client, child, activity, others, family):
    response = agent_client.get(DIRECT)
    assert response.status_code == 200
    response = agent_client.post(DIRECT, {"search": "Mart", "action": "search"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Léa Martin" in content
    response = agent_client.post(DIRECT, {"search": "Yanis", "action": "search"})
    assert "Aucun enfant de votre collectivité" in response.content.decode()
    # Another collectivity's child or activity is refused.
    response = agent_client.post(
        DIRECT,
        {"search": "", "child": others["child_b"].pk, "activity": activity.pk, "action": "enrol"},
    )
    assert response.status_code == 400
    response = agent_client.post(
        DIRECT,
        {"child": child.pk, "activity": others["activity_b"].pk, "action": "enrol"},
    )
    assert response.status_code == 400
    assert not Enrolment.objects.filter(child=child).exists()
    assert Enrolment.objects.filter(child=others["child_b"]).count() == 1  # the fixture's
    response = agent_client.post(
        DIRECT,
        {
            "search": "Mart",
            "child": child.pk,
            "activity": activity.pk,
            "start_date": "2026-11-23",
            "end_date": "",
            "weekdays": ["0"],
            "action": "enrol",
        },
    )
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(child=child)
    assert enrolment.status == Enrolment.Status.ACCEPTED
    assert enrolment.start_date == datetime.date(2026, 11, 23)
    assert enrolment.end_date == activity.end_date


def test_accept_by_service_shows_as_accepted_to_parent(
    parent_client, child, activity, parent, agent_a
):
    enrolment = enrolment_request(
        child=child,
        activity=activity,
        start_date=activity.start_date,
        end_date=activity.end_date,
        weekdays=[],
        user=parent,
    )
    enrolment_accept(enrolment=enrolment, agent=agent_a)
    content = parent_client.get(LIST).content.decode()
    assert "Acceptée" in content
    assert "Annuler la demande" not in content
