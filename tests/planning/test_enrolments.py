"""Enrolment services: request, accept (typical week booked through the capacity engine),
refuse, cancel, direct enrolment; every rule refused with a French message and nothing
changed; timeline events and e-mails written with the change."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning.errors import PlanningError
from planning.models import Booking, BookingEvent, Enrolment
from planning.services import (
    creation_choices,
    enrolment_accept,
    enrolment_cancel,
    enrolment_create,
    enrolment_refuse,
    enrolment_request,
    enrolments_decide_bulk,
)
from portal.scoping import tenant_scope
from tests.notifications.helpers import digest_for
from tests.planning.factories import ActivityFactory, ChildFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def parent(collectivity_a):
    return UserFactory(email="parent.enrol@example.test")


@pytest.fixture
def family(collectivity_a, parent):
    family = FamilyFactory(collectivity=collectivity_a, name="Martin")
    SubscriptionFactory(user=parent, family=family)
    return family


@pytest.fixture
def child(family):
    return ChildFactory(family=family, first_name="Léa", birth_date=datetime.date(2018, 5, 4))


@pytest.fixture
def activity(collectivity_a):
    return ActivityFactory(collectivity=collectivity_a, name="Restauration scolaire")


def _request(child, activity, user, **overrides):
    values = {
        "child": child,
        "activity": activity,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "weekdays": [],
        "user": user,
    }
    values.update(overrides)
    return enrolment_request(**values)


def _counts():
    return (
        Enrolment.objects.count(),
        TimelineEvent.objects.count(),
        OutboxEmail.objects.count(),
        Booking.objects.count(),
    )


def test_request_creates_pending_with_event_and_acknowledgement(child, activity, parent):
    enrolment = _request(child, activity, parent, weekdays=["3", 0], comment=" Merci ")
    assert enrolment.status == Enrolment.Status.PENDING
    assert enrolment.weekdays == [0, 3]
    assert enrolment.comment == "Merci"
    assert enrolment.requested_by == parent
    event = TimelineEvent.objects.get(verb="enrolment_requested")
    assert event.family_id == child.family_id
    assert event.subject_id == enrolment.pk
    email = OutboxEmail.objects.get()
    assert email.to == [parent.email]
    assert "Accusé de réception de votre demande" in email.subject
    assert "Restauration scolaire" in email.body_text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"start_date": datetime.date(2027, 3, 1), "end_date": datetime.date(2027, 2, 1)},
            "précède",
        ),
        ({"start_date": datetime.date(2026, 8, 1)}, "comprise entre le 01/09/2026"),
        ({"end_date": datetime.date(2027, 8, 1)}, "comprise entre"),
        ({"start_date": None}, "Indiquez la période"),
        ({"weekdays": [2]}, "n’a pas lieu le mercredi"),
        ({"weekdays": [9]}, "Jour de la semaine type invalide"),
        ({"weekdays": ["x"]}, "Jour de la semaine type invalide"),
    ],
)
def test_request_bad_input_changes_nothing(child, activity, parent, overrides, message):
    before = _counts()
    with pytest.raises(PlanningError) as error:
        _request(child, activity, parent, **overrides)
    assert message in error.value.message
    assert _counts() == before


def test_request_refuses_inactive_activity(child, activity, parent):
    activity.is_active = False
    activity.save()
    with pytest.raises(PlanningError, match="n’est pas proposée aux familles"):
        _request(child, activity, parent)
    assert not Enrolment.objects.exists()


def test_request_refuses_other_collectivity_activity(child, collectivity_b, parent):
    other = ActivityFactory(collectivity=collectivity_b)
    with pytest.raises(PlanningError, match="n’appartient pas à une famille de cette collectivité"):
        _request(child, other, parent)
    assert not Enrolment.objects.exists()


def test_request_checks_age_range_at_start(child, activity, parent):
    # Léa, born 04/05/2018, is 8 on 01/09/2026.
    activity.age_min, activity.age_max = 3, 6
    activity.save()
    with pytest.raises(PlanningError) as error:
        _request(child, activity, parent)
    assert "aura 8 ans le 01/09/2026" in error.value.message
    assert "de 3 à 6 ans" in error.value.message
    activity.age_min, activity.age_max = 8, 11
    activity.save()
    assert _request(child, activity, parent).status == Enrolment.Status.PENDING


def test_request_refuses_overlap_but_not_after_refusal(child, activity, parent, agent_a):
    first = _request(child, activity, parent, end_date=datetime.date(2026, 12, 18))
    with pytest.raises(PlanningError, match="déjà une pré-inscription"):
        _request(child, activity, parent, start_date=datetime.date(2026, 12, 1))
    # A period that does not overlap is fine.
    _request(child, activity, parent, start_date=datetime.date(2027, 1, 4))
    enrolment_refuse(enrolment=first, agent=agent_a, reason="Complet")
    # Refused: asking again is allowed.
    _request(child, activity, parent, end_date=datetime.date(2026, 12, 18))
    assert Enrolment.objects.filter(status=Enrolment.Status.PENDING).count() == 2


def test_accept_books_typical_week_through_capacity_engine(child, activity, parent, agent_a):
    # Slots: a past Monday, tomorrow (Tuesday), Thursday, next Monday (full), an orphan Monday.
    past = SlotFactory(activity=activity, date=datetime.date(2026, 11, 16))
    tuesday = SlotFactory(activity=activity, date=datetime.date(2026, 11, 24))
    thursday = SlotFactory(activity=activity, date=datetime.date(2026, 11, 26))
    full = SlotFactory(activity=activity, date=datetime.date(2026, 11, 30), capacity=1)
    orphan = SlotFactory(activity=activity, date=datetime.date(2026, 12, 7), is_orphan=True)
    other = ChildFactory(family=FamilyFactory(collectivity=activity.collectivity))
    Booking.objects.create(child=other, slot=full, state=Booking.State.RESERVED)
    enrolment = _request(child, activity, parent, weekdays=[0, 1])
    enrolment_accept(enrolment=enrolment, agent=agent_a)

    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACCEPTED
    assert enrolment.decided_by == agent_a
    states = dict(Booking.objects.filter(child=child).values_list("slot_id", "state"))
    assert states == {tuesday.pk: Booking.State.RESERVED, full.pk: Booking.State.WAITING}
    assert past.pk not in states and thursday.pk not in states and orphan.pk not in states
    verbs = set(BookingEvent.objects.filter(booking__child=child).values_list("verb", flat=True))
    assert verbs == {BookingEvent.Verb.BOOKED, BookingEvent.Verb.WAITING}
    event = TimelineEvent.objects.get(verb="enrolment_accepted")
    assert event.data["reserved"] == 1 and event.data["waiting"] == 1
    # No e-mail of its own: the decision waits for the family's digest.
    assert event.digest and "acceptée" in event.message
    assert not OutboxEmail.objects.filter(subject__contains="Réponse").exists()


def test_accept_keeps_existing_bookings(child, activity, parent, agent_a):
    slot = SlotFactory(activity=activity, date=datetime.date(2026, 11, 24))
    Booking.objects.create(child=child, slot=slot, state=Booking.State.ABSENT)
    enrolment = _request(child, activity, parent, weekdays=[1])
    enrolment_accept(enrolment=enrolment, agent=agent_a)
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.ABSENT


def test_accept_query_count_does_not_grow_with_slots(collectivity_a, parent, agent_a):
    def accept_with(slot_count):
        family = FamilyFactory(collectivity=collectivity_a)
        SubscriptionFactory(user=parent, family=family)
        child = ChildFactory(family=family)
        activity = ActivityFactory(collectivity=collectivity_a, weekdays=[0, 1, 2, 3, 4, 5, 6])
        for offset in range(slot_count):
            SlotFactory(
                activity=activity, date=datetime.date(2026, 12, 1) + datetime.timedelta(offset)
            )
        enrolment = _request(child, activity, parent, weekdays=[0, 1, 2, 3, 4])
        with CaptureQueriesContext(connection) as queries:
            enrolment_accept(enrolment=enrolment, agent=agent_a)
        assert Booking.objects.filter(child=child).count() == len(
            [
                o
                for o in range(slot_count)
                if (datetime.date(2026, 12, 1) + datetime.timedelta(o)).weekday() < 5
            ]
        )
        return len(queries)

    assert accept_with(3) == accept_with(40)


def test_accept_twice_refused(child, activity, parent, agent_a):
    enrolment = _request(child, activity, parent)
    enrolment_accept(enrolment=enrolment, agent=agent_a)
    before = _counts()
    with pytest.raises(PlanningError, match="déjà été traitée"):
        enrolment_accept(enrolment=enrolment, agent=agent_a)
    with pytest.raises(PlanningError, match="déjà été traitée"):
        enrolment_refuse(enrolment=enrolment, agent=agent_a, reason="Non")
    with pytest.raises(PlanningError, match="ne peut plus être annulée"):
        enrolment_cancel(enrolment=enrolment, user=parent)
    assert _counts() == before


def test_refuse_needs_reason_and_tells_family(child, activity, parent, agent_a):
    enrolment = _request(child, activity, parent)
    before = _counts()
    with pytest.raises(PlanningError, match="motif du refus"):
        enrolment_refuse(enrolment=enrolment, agent=agent_a, reason="  ")
    assert _counts() == before
    enrolment_refuse(enrolment=enrolment, agent=agent_a, reason="Plus de place à la cantine")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.REFUSED
    assert enrolment.refusal_reason == "Plus de place à la cantine"
    assert TimelineEvent.objects.filter(verb="enrolment_refused", subject_id=enrolment.pk).exists()
    decision = TimelineEvent.objects.get(verb="enrolment_refused", subject_id=enrolment.pk)
    assert decision.digest and "Plus de place à la cantine" in decision.message


def test_cancel_while_pending(child, activity, parent):
    enrolment = _request(child, activity, parent)
    enrolment_cancel(enrolment=enrolment, user=parent)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED
    assert TimelineEvent.objects.filter(verb="enrolment_cancelled").exists()
    assert OutboxEmail.objects.filter(subject__contains="Annulation").count() == 1
    # Cancelled: the child may be asked for again.
    assert _request(child, activity, parent).status == Enrolment.Status.PENDING


def test_direct_enrolment_accepts_and_tells_subscribed_accounts(child, activity, agent_a, family):
    second = UserFactory(email="second.parent@example.test")
    SubscriptionFactory(user=second, family=family)
    slot = SlotFactory(activity=activity, date=datetime.date(2026, 11, 26))
    enrolment = enrolment_create(
        child=child,
        activity=activity,
        start_date=datetime.date(2026, 11, 23),
        end_date=activity.end_date,
        weekdays=[3],
        agent=agent_a,
    )
    assert enrolment.status == Enrolment.Status.ACCEPTED
    assert Booking.objects.get(child=child, slot=slot).state == Booking.State.RESERVED
    event = TimelineEvent.objects.get(subject_id=enrolment.pk)
    assert event.verb == "enrolment_created"
    # Told to every subscribed account in their digest.
    assert event.digest
    email = digest_for("second.parent@example.test", family.collectivity)
    assert email.to == ["parent.enrol@example.test", "second.parent@example.test"]
    with pytest.raises(PlanningError, match="déjà une pré-inscription"):
        enrolment_create(
            child=child,
            activity=activity,
            start_date=activity.start_date,
            end_date=activity.end_date,
            weekdays=[],
            agent=agent_a,
        )


def test_creation_choices(collectivity_a, collectivity_b):
    mine = ActivityFactory(collectivity=collectivity_a, name="Accueil du mercredi", age_min=3)
    ActivityFactory(collectivity=collectivity_a, is_active=False)
    ActivityFactory(
        collectivity=collectivity_a,
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2026, 7, 3),
    )
    ActivityFactory(collectivity=collectivity_b)
    choices = creation_choices(collectivity_a)
    assert [c["id"] for c in choices] == [mine.pk]
    assert choices[0]["age_label"] == "à partir de 3 ans"
    assert choices[0]["start_date"] == "2026-09-01"
    collectivity_a.module_enrolment = False
    collectivity_a.save()
    assert creation_choices(collectivity_a) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_identical_requests_give_one_enrolment(collectivity_a):
    """Two submissions of the same form at the same time (double click on two tabs): the
    child's row lock serialises them and the second one is refused as a duplicate."""
    import threading

    from django.db import connections

    parent = UserFactory(email="parent.course@example.test")
    family = FamilyFactory(collectivity=collectivity_a)
    SubscriptionFactory(user=parent, family=family)
    child = ChildFactory(family=family)
    activity = ActivityFactory(collectivity=collectivity_a)
    barrier = threading.Barrier(4)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            with tenant_scope(collectivity_a):  # a thread starts with no scope, like a worker
                _request(child, activity, parent)
            outcomes.append("created")
        except PlanningError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
    assert Enrolment.objects.filter(child=child).count() == 1


def test_decide_bulk_accepts_each_and_reports_the_others(child, activity, parent, agent_a):
    first = _request(child, activity, parent)
    other_activity = ActivityFactory(collectivity=activity.collectivity, name="Mercredis")
    second = _request(child, other_activity, parent)
    enrolment_refuse(enrolment=second, agent=agent_a, reason="Complet")
    decided, failures = enrolments_decide_bulk(
        enrolments=[first, second], agent=agent_a, accept=True
    )
    assert decided == 1
    assert [enrolment.pk for enrolment, _why in failures] == [second.pk]
    assert "déjà été traitée" in failures[0][1]
    first.refresh_from_db()
    assert first.status == Enrolment.Status.ACCEPTED


def test_decide_bulk_refusal_needs_a_reason(child, activity, parent, agent_a):
    enrolment = _request(child, activity, parent)
    with pytest.raises(PlanningError, match="motif du refus"):
        enrolments_decide_bulk(enrolments=[enrolment], agent=agent_a, accept=False, reason=" ")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.PENDING
