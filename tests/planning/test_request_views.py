"""Parents' reservation and absence requests through HTTP: one day, a period with its preview,
the « Liste », one request and its cancellation, a place offered from the waiting list.

Every bad input of issue #6 answers a French message and changes nothing; another family's
child, request or booking, and another collectivity's slot, exist and answer 404."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning.models import Booking, BookingRequest, BookingRequestLine, Enrolment
from planning.services import request_accept, request_submit
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
DAY = datetime.date(2026, 12, 3)  # a Thursday, 10 days ahead


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setup(collectivity_a, collectivity_b, client_a):
    family = FamilyFactory(collectivity=collectivity_a, name="Dupont")
    parent = UserFactory(email="parent.dupont@example.test")
    SubscriptionFactory(user=parent, family=family)
    activity = ActivityFactory(collectivity=collectivity_a, name="Cantine Jules-Ferry")
    child = ChildFactory(family=family, first_name="Léa")
    brother = ChildFactory(family=family, first_name="Hugo")
    EnrolmentFactory(child=child, activity=activity)
    EnrolmentFactory(child=brother, activity=activity)
    slot = SlotFactory(activity=activity, date=DAY)
    # Data that could leak: another family here, another collectivity's activity and slot.
    other_family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    other_child = ChildFactory(family=other_family, first_name="Zoé")
    EnrolmentFactory(child=other_child, activity=activity)
    other_activity = ActivityFactory(collectivity=collectivity_b, name="Cantine Bêta")
    other_slot = SlotFactory(activity=other_activity, date=DAY)
    EnrolmentFactory(
        child=ChildFactory(family=FamilyFactory(collectivity=collectivity_b)),
        activity=other_activity,
    )
    client_a.force_login(parent)
    return {
        "client": client_a,
        "family": family,
        "parent": parent,
        "activity": activity,
        "child": child,
        "brother": brother,
        "slot": slot,
        "other_family": other_family,
        "other_child": other_child,
        "other_slot": other_slot,
    }


def day_url(slot, child, kind="reservation"):
    return reverse("planning:request_day", args=[slot.pk, child.pk, kind])


def submission_key(response) -> str:
    match = re.search(r'name="submission_key" value="([0-9a-f]+)"', response.content.decode())
    assert match, "no one-time submission key in the form"
    return match.group(1)


def nothing_created():
    return (
        not BookingRequest.objects.exists()
        and not BookingRequestLine.objects.exists()
        and not Booking.objects.exists()
    )


# --- one day --------------------------------------------------------------------------------


def test_one_day_reservation_needs_approval(setup):
    client, slot, child = setup["client"], setup["slot"], setup["child"]
    response = client.get(day_url(slot, child))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Demande de réservation" in page
    assert "soumise à validation" in page
    assert "Confirmer la demande" in page
    assert f'action="{day_url(slot, child)}"' in page

    response = client.post(day_url(slot, child), {"submission_key": submission_key(response)})
    assert response.status_code == 302
    assert response["Location"] == reverse("planning:index") + "?vue=semaine&date=2026-12-03"
    request = BookingRequest.objects.get()
    assert (request.kind, request.status) == ("reservation", "pending")
    assert request.date_from == request.date_to == DAY
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.PENDING
    assert TimelineEvent.objects.filter(subject_id=request.pk).count() == 1
    assert OutboxEmail.objects.filter(to=["parent.dupont@example.test"]).count() == 1
    followed = client.get(response["Location"])
    assert "soumise à validation par la collectivité" in followed.content.decode()


def test_one_day_reservation_accepted_at_once(setup):
    client, slot, child, activity = (
        setup["client"],
        setup["slot"],
        setup["child"],
        setup["activity"],
    )
    activity.requires_approval = False
    activity.save()
    response = client.get(day_url(slot, child))
    assert "La réservation sera acceptée immédiatement." in response.content.decode()
    response = client.post(
        day_url(slot, child), {"submission_key": submission_key(response)}, follow=True
    )
    assert "Réservation acceptée pour Léa le" in response.content.decode()
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.RESERVED
    assert BookingRequest.objects.get().status == BookingRequest.Status.ACCEPTED


def test_one_day_reservation_on_a_full_slot_goes_to_the_waiting_list(setup):
    client, slot, child, activity = (
        setup["client"],
        setup["slot"],
        setup["child"],
        setup["activity"],
    )
    activity.requires_approval = False
    activity.save()
    slot.capacity = 1
    slot.save()
    BookingFactory(child=setup["other_child"], slot=slot, state=Booking.State.RESERVED)
    response = client.get(day_url(slot, child))
    assert "liste d’attente (position 1)" in response.content.decode()
    response = client.post(
        day_url(slot, child), {"submission_key": submission_key(response)}, follow=True
    )
    assert "en liste d’attente le" in response.content.decode()
    assert "position 1" in response.content.decode()
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.WAITING


def test_the_same_post_twice_makes_one_request(setup):
    client, slot, child = setup["client"], setup["slot"], setup["child"]
    key = submission_key(client.get(day_url(slot, child)))
    first = client.post(day_url(slot, child), {"submission_key": key})
    second = client.post(day_url(slot, child), {"submission_key": key})
    assert first.status_code == second.status_code == 302
    assert BookingRequest.objects.count() == 1
    assert BookingRequestLine.objects.count() == 1
    assert OutboxEmail.objects.count() == 1


def test_absence_on_a_reserved_day(setup):
    client, slot, child, activity = (
        setup["client"],
        setup["slot"],
        setup["child"],
        setup["activity"],
    )
    activity.requires_approval = False
    activity.save()
    BookingFactory(child=child, slot=slot, state=Booking.State.RESERVED)
    response = client.get(day_url(slot, child, "absence"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Demande d’absence" in page
    assert "L’absence ne sera pas facturée." in page
    response = client.post(
        day_url(slot, child, "absence"), {"submission_key": submission_key(response)}, follow=True
    )
    assert "Absence enregistrée pour Léa" in response.content.decode()
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.ABSENT
    request = BookingRequest.objects.get()
    assert (request.kind, request.status) == ("absence", "accepted")


def test_late_absence_is_announced_as_billed(setup):
    client, slot, child, activity = (
        setup["client"],
        setup["slot"],
        setup["child"],
        setup["activity"],
    )
    activity.unit_price = Decimal("3.50")
    activity.save()
    BookingFactory(child=child, slot=slot, state=Booking.State.RESERVED)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=PARIS), tick=False):
        response = client.get(day_url(slot, child, "absence"))
    assert "l’absence sera facturée 3,50" in response.content.decode()


def test_absence_without_reservation_is_refused(setup):
    client, slot, child = setup["client"], setup["slot"], setup["child"]
    response = client.get(day_url(slot, child, "absence"))
    page = response.content.decode()
    assert "Pas de réservation ce jour" in page
    assert "Confirmer la demande" not in page
    response = client.post(day_url(slot, child, "absence"), {"submission_key": "a" * 32})
    assert response.status_code == 400
    assert "Aucun jour de la période ne peut être demandé." in response.content.decode()
    assert nothing_created()


def test_reservation_on_a_day_without_enrolment_is_refused(setup):
    client, slot, child = setup["client"], setup["slot"], setup["child"]
    Enrolment.objects.filter(child=child).update(end_date=datetime.date(2026, 11, 30))
    page = client.get(day_url(slot, child)).content.decode()
    assert "Enfant non inscrit à cette date" in page
    assert "Confirmer la demande" not in page
    response = client.post(day_url(slot, child), {"submission_key": "b" * 32})
    assert response.status_code == 400
    assert "Aucun jour de la période ne peut être demandé." in response.content.decode()
    assert nothing_created()


def test_reservation_after_the_notice_is_refused(setup):
    client, slot, child = setup["client"], setup["slot"], setup["child"]
    # Deadline: D-2 at 23:59, i.e. Tuesday 1 December 23:59 (Paris).
    with time_machine.travel(datetime.datetime(2026, 12, 2, 8, 0, tzinfo=PARIS), tick=False):
        page = client.get(day_url(slot, child)).content.decode()
        response = client.post(day_url(slot, child), {"submission_key": "c" * 32})
    assert "Délai de réservation dépassé" in page
    assert response.status_code == 400
    assert "Aucun jour de la période ne peut être demandé." in response.content.decode()
    assert nothing_created()


def test_other_family_child_and_other_collectivity_slot_answer_404(setup):
    client, slot = setup["client"], setup["slot"]
    for url in (
        day_url(slot, setup["other_child"]),
        day_url(setup["other_slot"], setup["child"]),
        day_url(slot, setup["child"], "inconnu"),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"submission_key": "d" * 32}).status_code == 404
    assert nothing_created()


def test_request_pages_need_a_logged_in_parent(setup, collectivity_a):
    from django.test import Client

    anonymous = Client(HTTP_HOST="localhost")
    response = anonymous.get(day_url(setup["slot"], setup["child"]))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"] or "login" in response["Location"]


# --- a period -------------------------------------------------------------------------------


def period_data(setup, **overrides):
    data = {
        "famille": setup["family"].pk,
        "children": [setup["child"].pk, setup["brother"].pk],
        "activity": setup["activity"].pk,
        "date_from": "2026-11-30",
        "date_to": "2026-12-13",
        "weekdays": ["0", "3"],
        "comment": "Merci",
        "action": "preview",
    }
    data.update(overrides)
    return data


def test_period_preview_then_submit(setup):
    client, activity = setup["client"], setup["activity"]
    # Slots on Mondays and Thursdays of two weeks; Hugo already has Thursday 3 reserved.
    for day in (30, 7, 10):
        month = 11 if day == 30 else 12
        SlotFactory(activity=activity, date=datetime.date(2026, month, day))
    BookingFactory(child=setup["brother"], slot=setup["slot"], state=Booking.State.RESERVED)
    url = reverse("planning:request_period", args=["reservation"])
    page = client.get(url).content.decode()
    assert "Faire une demande sur une longue période" in page
    assert "Voir les jours concernés" in page

    response = client.post(url, period_data(setup))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jours demandés pour Léa" in page
    assert "Jours non retenus pour Hugo" in page
    assert "Déjà réservé" in page
    # 30/11 is within the notice (D-2 at 23:59 = 28/11 23:59): still fine at 23/11.
    assert "Soumise à validation" in page
    assert "Envoyer la demande" in page
    assert nothing_created() or not BookingRequest.objects.exists()

    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert hidden["submission_key"]
    data = period_data(setup, action="submit", submission_key=hidden["submission_key"])
    response = client.post(url, data)
    assert response.status_code == 302
    request = BookingRequest.objects.get()
    assert response["Location"] == reverse("planning:request_detail", args=[request.pk])
    # Léa: 4 days (30/11, 3/12, 7/12, 10/12); Hugo: 3 (3/12 already reserved).
    assert request.lines.count() == 7
    assert request.comment == "Merci"
    assert request.weekdays == [0, 3]
    # Replaying the same submission does not create a second request.
    assert client.post(url, data).status_code == 302
    assert BookingRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"date_from": "2026-12-10", "date_to": "2026-12-01"},
            "La date de fin doit être postérieure ou égale à la date de début.",
        ),
        ({"weekdays": []}, "Cochez au moins un jour de la semaine."),
        ({"children": []}, "Cochez au moins un enfant."),
        ({"date_to": "2026-13-01"}, "Indiquez une date valide"),
    ],
)
def test_period_bad_input(setup, overrides, message):
    url = reverse("planning:request_period", args=["reservation"])
    for action in ("preview", "submit"):
        response = setup["client"].post(
            url, period_data(setup, action=action, submission_key="e" * 32, **overrides)
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page
        assert "Le formulaire contient" in page
    assert nothing_created()


def test_period_starting_in_year_1_is_refused_at_once(setup):
    """Issue #11, item 5: ``date_from=0001-01-01`` answered after 37 s with 43 MB of HTML (the
    preview walked every day since year 1). A period starting before today is refused."""
    url = reverse("planning:request_period", args=["reservation"])
    for action in ("preview", "submit"):
        response = setup["client"].post(
            url, period_data(setup, action=action, submission_key="f" * 32, date_from="0001-01-01")
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "La période commence avant aujourd’hui" in page
        assert len(page) < 200_000
    assert nothing_created()


def test_period_beyond_horizon(setup):
    activity = setup["activity"]
    activity.booking_horizon_days = 30
    activity.save()
    url = reverse("planning:request_period", args=["reservation"])
    response = setup["client"].post(url, period_data(setup, date_to="2027-01-15"))
    assert response.status_code == 400
    assert (
        "La période dépasse la date limite de réservation (23/12/2026)."
        in response.content.decode()
    )
    assert nothing_created()


def test_period_with_another_family_child_is_refused(setup):
    url = reverse("planning:request_period", args=["reservation"])
    data = period_data(setup, children=[setup["other_child"].pk])
    response = setup["client"].post(url, data)
    assert response.status_code == 400
    assert "Cochez au moins un enfant." not in response.content.decode()
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert nothing_created()


def test_period_with_no_day_possible(setup):
    url = reverse("planning:request_period", args=["absence"])
    response = setup["client"].post(
        url, period_data(setup, action="submit", submission_key="f" * 32)
    )
    assert response.status_code == 400
    assert "Aucun jour de la période ne peut être demandé." in response.content.decode()
    assert nothing_created()


# --- the list, one request, cancellation ---------------------------------------------------


def make_request(setup, *, child=None, family=None, user=None, day=DAY, kind="reservation"):
    family = family or setup["family"]
    child = child or setup["child"]
    slot = setup["activity"].slots.filter(date=day).first() or SlotFactory(
        activity=setup["activity"], date=day
    )
    return request_submit(
        family=family,
        user=user or setup["parent"],
        kind=kind,
        activity=setup["activity"],
        children=[child],
        date_from=slot.date,
        date_to=slot.date,
        weekdays=[slot.date.weekday()],
    )


def test_list_filters_and_isolation(setup, agent_a):
    lea = make_request(setup)
    hugo = make_request(setup, child=setup["brother"], day=datetime.date(2026, 12, 7))
    request_accept(request=hugo, agent=agent_a)
    make_request(
        setup, child=setup["other_child"], family=setup["other_family"], user=UserFactory()
    )
    client = setup["client"]
    url = reverse("planning:list")
    page = client.get(url).content.decode()
    assert "2 demandes" in page
    assert reverse("planning:request_detail", args=[lea.pk]) in page
    assert reverse("planning:request_detail", args=[hugo.pk]) in page
    assert "Zoé" not in page
    assert 'href="' + reverse("planning:index") in page  # « Planning / Liste » switch
    assert "En attente de validation" in page and "Acceptée" in page

    page = client.get(url, {"enfant": setup["brother"].pk}).content.decode()
    assert "1 demande" in page
    assert reverse("planning:request_detail", args=[hugo.pk]) in page
    assert reverse("planning:request_detail", args=[lea.pk]) not in page

    page = client.get(url, {"statut": "pending"}).content.decode()
    assert reverse("planning:request_detail", args=[lea.pk]) in page
    assert reverse("planning:request_detail", args=[hugo.pk]) not in page

    # Another family's child as a filter: not a choice, so no filter, never its rows.
    page = client.get(url, {"enfant": setup["other_child"].pk}).content.decode()
    assert "Zoé" not in page


def test_list_query_count_does_not_grow(setup):
    client = setup["client"]
    url = reverse("planning:list")
    make_request(setup)
    client.get(url)  # warm caches (site, session)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    day = datetime.date(2026, 12, 7)
    for offset in range(12):
        current = day + datetime.timedelta(days=offset)
        if current.weekday() in (0, 1, 3, 4):
            make_request(setup, day=current)
            make_request(setup, child=setup["brother"], day=current)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count("planning/demandes/") > 10
    assert len(large.captured_queries) == len(small.captured_queries)


def test_request_detail_and_history(setup):
    request = make_request(setup)
    response = setup["client"].get(reverse("planning:request_detail", args=[request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jours demandés" in page
    assert "Historique de la demande" in page
    assert "Demande envoyée" in page  # the line's BookingEvent
    assert "Annuler la demande" in page
    other = make_request(
        setup, child=setup["other_child"], family=setup["other_family"], user=UserFactory()
    )
    for name in ("planning:request_detail", "planning:request_cancel"):
        assert setup["client"].get(reverse(name, args=[other.pk])).status_code == 404
    assert (
        setup["client"].post(reverse("planning:request_cancel", args=[other.pk])).status_code == 404
    )
    other.refresh_from_db()
    assert other.status == BookingRequest.Status.PENDING


def test_cancel_a_pending_request(setup):
    request = make_request(setup)
    url = reverse("planning:request_cancel", args=[request.pk])
    page = setup["client"].get(url).content.decode()
    assert "Confirmer l’annulation" in page
    response = setup["client"].post(url, follow=True)
    assert "Votre demande est annulée." in response.content.decode()
    request.refresh_from_db()
    assert request.status == BookingRequest.Status.CANCELLED
    assert Booking.objects.get(child=setup["child"]).state == Booking.State.CANCELLED


def test_cancelling_a_decided_request_is_refused(setup, agent_a):
    request = make_request(setup)
    request_accept(request=request, agent=agent_a)
    url = reverse("planning:request_cancel", args=[request.pk])
    page = setup["client"].get(url).content.decode()
    assert "Cette demande a déjà été traitée ; elle ne peut plus être annulée." in page
    assert "Confirmer l’annulation" not in page
    response = setup["client"].post(url)
    assert response.status_code == 400
    assert (
        "Cette demande a déjà été traitée ; elle ne peut plus être annulée."
        in response.content.decode()
    )
    request.refresh_from_db()
    assert request.status == BookingRequest.Status.ACCEPTED
    assert Booking.objects.get(child=setup["child"]).state == Booking.State.RESERVED


# --- a place offered ------------------------------------------------------------------------


def test_offer_accept_and_decline(setup):
    slot = setup["slot"]
    expires = NOW + datetime.timedelta(hours=24)
    offered = BookingFactory(
        child=setup["child"], slot=slot, state=Booking.State.OFFERED, offer_expires_at=expires
    )
    url = reverse("planning:offer_respond", args=[offered.pk])
    page = setup["client"].get(url).content.decode()
    assert "Accepter la place" in page and "Refuser la place" in page
    response = setup["client"].post(url, {"action": "accept"})
    assert response.status_code == 302
    offered.refresh_from_db()
    assert offered.state == Booking.State.RESERVED
    # Answering again: the place is no longer offered.
    response = setup["client"].post(url, {"action": "decline"})
    assert response.status_code == 400
    assert "Cette place n’est plus proposée." in response.content.decode()
    offered.refresh_from_db()
    assert offered.state == Booking.State.RESERVED

    declined = BookingFactory(
        child=setup["brother"], slot=slot, state=Booking.State.OFFERED, offer_expires_at=expires
    )
    url = reverse("planning:offer_respond", args=[declined.pk])
    assert setup["client"].post(url, {"action": "decline"}).status_code == 302
    declined.refresh_from_db()
    assert declined.state == Booking.State.CANCELLED


def test_offer_of_another_family_answers_404(setup):
    other = BookingFactory(
        child=setup["other_child"],
        slot=setup["slot"],
        state=Booking.State.OFFERED,
        offer_expires_at=NOW + datetime.timedelta(hours=24),
    )
    url = reverse("planning:offer_respond", args=[other.pk])
    assert setup["client"].get(url).status_code == 404
    assert setup["client"].post(url, {"action": "accept"}).status_code == 404
    other.refresh_from_db()
    assert other.state == Booking.State.OFFERED
