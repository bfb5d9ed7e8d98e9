"""Agents' queue of reservation and absence requests (/admin/enfance/demandes/): filters, bulk
decisions, per-day decisions, scoping (another collectivity's request exists and answers 404)
and a fixed number of queries in the list."""

import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning.models import Activity, Booking, BookingRequest, BookingRequestLine
from planning.services import request_submit
from tests.conftest import HOST_B
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
MONDAYS = [datetime.date(2026, 11, 30), datetime.date(2026, 12, 7), datetime.date(2026, 12, 14)]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def family_with_child(collectivity, activity, name, first_name):
    family = FamilyFactory(collectivity=collectivity, name=name)
    parent = UserFactory(email=f"parent.{name.lower()}@example.test")
    SubscriptionFactory(user=parent, family=family)
    child = ChildFactory(family=family, first_name=first_name, last_name=name)
    EnrolmentFactory(child=child, activity=activity)
    return family, parent, child


def period_request(family, parent, child, activity, *, kind="reservation", days=MONDAYS):
    return request_submit(
        family=family,
        user=parent,
        kind=kind,
        activity=activity,
        children=[child],
        date_from=days[0],
        date_to=days[-1],
        weekdays=[days[0].weekday()],
    )


@pytest.fixture
def queue(collectivity_a, collectivity_b, agent_a):
    canteen = ActivityFactory(collectivity=collectivity_a, name="Cantine", capacity=30)
    wednesday = ActivityFactory(
        collectivity=collectivity_a,
        name="Mercredi loisirs",
        kind=Activity.Kind.WEDNESDAY,
        weekdays=[0, 2],
    )
    for day in MONDAYS:
        SlotFactory(activity=canteen, date=day)
        SlotFactory(activity=wednesday, date=day)
    dupont = family_with_child(collectivity_a, canteen, "Dupont", "Léa")
    martin = family_with_child(collectivity_a, canteen, "Martin", "Hugo")
    petit = family_with_child(collectivity_a, wednesday, "Petit", "Zoé")
    requests = {
        "dupont": period_request(*dupont, canteen),
        "martin": period_request(*martin, canteen, days=MONDAYS[:1]),
        "petit": period_request(*petit, wednesday, days=MONDAYS[2:]),
    }
    # Another collectivity's pending request, which must never show.
    other_activity = ActivityFactory(collectivity=collectivity_b, name="Cantine Bêta")
    SlotFactory(activity=other_activity, date=MONDAYS[0])
    other = family_with_child(collectivity_b, other_activity, "Bêta", "Noé")
    requests["other"] = period_request(*other, other_activity, days=MONDAYS[:1])
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent_a)
    return {
        "client": client,
        "requests": requests,
        "canteen": canteen,
        "wednesday": wednesday,
        "dupont": dupont,
        "collectivity_b": collectivity_b,
    }


QUEUE_URL = "/admin/enfance/demandes/"


def test_queue_lists_pending_requests_of_this_collectivity(queue):
    assert reverse("planning_admin:requests") == QUEUE_URL
    response = queue["client"].get(QUEUE_URL)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Dupont", "Martin", "Petit"):
        assert name in page
    assert "Bêta" not in page and "Noé" not in page
    assert "3 jours" in page and "1 jour" in page
    assert "Léa Dupont" in page
    assert "Accepter la sélection" in page and "Refuser la sélection" in page


def test_queue_filters(queue):
    client = queue["client"]
    page = client.get(QUEUE_URL, {"activite": queue["wednesday"].pk}).content.decode()
    assert "Petit" in page and "Dupont" not in page
    page = client.get(QUEUE_URL, {"date": "2026-12-07"}).content.decode()
    assert "Dupont" in page and "Martin" not in page and "Petit" not in page
    page = client.get(QUEUE_URL, {"enfant": "hugo"}).content.decode()
    assert "Martin" in page and "Dupont" not in page
    page = client.get(QUEUE_URL, {"type": "absence"}).content.decode()
    assert "Aucune demande en attente ne correspond à ces filtres." in page
    page = client.get(QUEUE_URL, {"date": "pas une date"}).content.decode()
    assert "Indiquez une date valide" in page


def test_queue_query_count_does_not_grow(queue, collectivity_a):
    client = queue["client"]
    client.get(QUEUE_URL)
    with CaptureQueriesContext(connection) as small:
        client.get(QUEUE_URL)
    for index in range(8):
        family = family_with_child(
            collectivity_a, queue["canteen"], f"Famille{index}", f"Enfant{index}"
        )
        period_request(*family, queue["canteen"])
    with CaptureQueriesContext(connection) as large:
        response = client.get(QUEUE_URL)
    assert response.content.decode().count('name="request"') == 11
    assert len(large.captured_queries) == len(small.captured_queries)


def test_bulk_accept(queue):
    requests = queue["requests"]
    response = queue["client"].post(
        reverse("planning_admin:requests_bulk"),
        {"action": "accept", "request": [requests["dupont"].pk, requests["martin"].pk]},
        follow=True,
    )
    assert "2 demandes acceptées." in response.content.decode()
    for name in ("dupont", "martin"):
        requests[name].refresh_from_db()
        assert requests[name].status == BookingRequest.Status.ACCEPTED
    child = queue["dupont"][2]
    assert set(Booking.objects.filter(child=child).values_list("state", flat=True)) == {
        Booking.State.RESERVED
    }
    requests["petit"].refresh_from_db()
    assert requests["petit"].status == BookingRequest.Status.PENDING
    # One decision per request, for the family's digest; no e-mail of its own (only the
    # acknowledgement reached the parent).
    decisions = TimelineEvent.objects.filter(verb="booking_request_decided", digest=True)
    assert decisions.filter(family_id=requests["dupont"].family_id).count() == 1
    assert OutboxEmail.objects.filter(to=["parent.dupont@example.test"]).count() == 1


def test_bulk_refuse_needs_a_reason(queue):
    requests = queue["requests"]
    url = reverse("planning_admin:requests_bulk")
    response = queue["client"].post(
        url, {"action": "refuse", "request": [requests["dupont"].pk]}, follow=True
    )
    assert "Indiquez le motif du refus." in response.content.decode()
    requests["dupont"].refresh_from_db()
    assert requests["dupont"].status == BookingRequest.Status.PENDING
    response = queue["client"].post(
        url,
        {"action": "refuse", "request": [requests["dupont"].pk], "reason": "Complet"},
        follow=True,
    )
    assert "1 demande refusée." in response.content.decode()
    requests["dupont"].refresh_from_db()
    assert requests["dupont"].status == BookingRequest.Status.REFUSED
    assert set(requests["dupont"].lines.values_list("refusal_reason", flat=True)) == {"Complet"}


def test_bulk_ignores_another_collectivity_request(queue):
    other = queue["requests"]["other"]
    response = queue["client"].post(
        reverse("planning_admin:requests_bulk"),
        {"action": "accept", "request": [other.pk]},
        follow=True,
    )
    assert "1 demande introuvable dans votre collectivité." in response.content.decode()
    other.refresh_from_db()
    assert other.status == BookingRequest.Status.PENDING


def test_detail_per_day_decisions(queue):
    request = queue["requests"]["dupont"]
    url = reverse("planning_admin:request_detail", args=[request.pk])
    page = queue["client"].get(url).content.decode()
    assert "Jours demandés" in page and "Historique" in page
    assert "Accepter les jours cochés" in page
    lines = list(request.lines.order_by("slot__date"))
    decide = reverse("planning_admin:request_decide", args=[request.pk])

    response = queue["client"].post(decide, {"action": "accept_selected", "line": [lines[0].pk]})
    assert response.status_code == 302
    lines[0].refresh_from_db()
    assert lines[0].status == BookingRequestLine.Status.ACCEPTED

    # Refusing without a reason: the page again with the French error, nothing changed.
    response = queue["client"].post(decide, {"action": "refuse_selected", "line": [lines[1].pk]})
    assert response.status_code == 400
    assert "Indiquez le motif du refus : la famille le lira." in response.content.decode()
    lines[1].refresh_from_db()
    assert lines[1].status == BookingRequestLine.Status.PENDING

    response = queue["client"].post(
        decide, {"action": "refuse_all", "reason": "Plus de places ce jour-là"}, follow=True
    )
    assert "Statut de la demande : Acceptée en partie" in response.content.decode()
    request.refresh_from_db()
    assert request.status == BookingRequest.Status.PARTIAL
    assert list(request.lines.order_by("slot__date").values_list("status", flat=True)) == [
        "accepted",
        "refused",
        "refused",
    ]

    # Deciding again a decided request: a French error, nothing changes.
    response = queue["client"].post(decide, {"action": "accept_all"}, follow=True)
    assert "Cette demande a déjà été traitée." in response.content.decode()
    request.refresh_from_db()
    assert request.status == BookingRequest.Status.PARTIAL


def test_line_of_another_request_is_refused(queue):
    request = queue["requests"]["dupont"]
    foreign = queue["requests"]["martin"].lines.get()
    decide = reverse("planning_admin:request_decide", args=[request.pk])
    response = queue["client"].post(
        decide, {"action": "accept_selected", "line": [foreign.pk]}, follow=True
    )
    assert "n’appartient pas à cette demande" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.status == BookingRequestLine.Status.PENDING


def test_another_collectivity_request_answers_404(queue):
    other = queue["requests"]["other"]
    assert (
        queue["client"].get(reverse("planning_admin:request_detail", args=[other.pk])).status_code
        == 404
    )
    response = queue["client"].post(
        reverse("planning_admin:request_decide", args=[other.pk]), {"action": "accept_all"}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == BookingRequest.Status.PENDING


def test_a_parent_is_refused(queue):
    parent = queue["dupont"][1]
    client = Client(HTTP_HOST="localhost")
    client.force_login(parent)
    response = client.get(QUEUE_URL)
    assert response.status_code in (302, 403)
    response = client.post(
        reverse("planning_admin:requests_bulk"),
        {"action": "accept", "request": [queue["requests"]["dupont"].pk]},
    )
    assert response.status_code in (302, 403)
    queue["requests"]["dupont"].refresh_from_db()
    assert queue["requests"]["dupont"].status == BookingRequest.Status.PENDING


def test_agent_of_b_does_not_see_a(queue):
    from portal.models import Membership
    from portal.services import membership_grant

    agent_b = UserFactory(email="agent.b@example.test")
    membership_grant(user=agent_b, collectivity=queue["collectivity_b"], role=Membership.Role.AGENT)
    client = Client(HTTP_HOST=HOST_B)
    client.force_login(agent_b)
    page = client.get(QUEUE_URL).content.decode()
    assert "Noé" in page
    assert "Dupont" not in page
    dupont = queue["requests"]["dupont"]
    detail = reverse("planning_admin:request_detail", args=[dupont.pk])
    assert client.get(detail).status_code == 404
