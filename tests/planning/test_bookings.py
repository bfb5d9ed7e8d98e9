"""The capacity engine: places, waiting list, promotion (automatic or by offer), expiry."""

import datetime

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning import tasks
from planning.errors import PlanningError
from planning.models import Activity, Booking, BookingEvent
from planning.services import bookings as engine
from tests.notifications.helpers import digest_for
from tests.planning.factories import ActivityFactory, ChildFactory, SlotFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

State = Booking.State
Verb = BookingEvent.Verb
NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def activity(collectivity_a):
    return ActivityFactory(collectivity=collectivity_a, capacity=3, requires_approval=False)


@pytest.fixture
def slot(activity):
    return SlotFactory(activity=activity, date=datetime.date(2026, 12, 3))


def make_children(collectivity, n):
    """n children of n families, each family with one subscribed account."""
    children = []
    for _i in range(n):
        family = FamilyFactory(collectivity=collectivity)
        SubscriptionFactory(family=family)
        children.append(ChildFactory(family=family))
    return children


def reserve(pairs, **kwargs):
    with transaction.atomic():
        return engine.reserve(pairs=pairs, **kwargs)


def states(slot):
    return dict(Booking.objects.filter(slot=slot).values_list("child_id", "state"))


def test_reserve_until_full_then_waiting_list(collectivity_a, slot):
    children = make_children(collectivity_a, 5)
    result = reserve([(c.pk, slot.pk) for c in children])
    assert [result[(c.pk, slot.pk)] for c in children] == [State.RESERVED] * 3 + [State.WAITING] * 2
    assert engine.holders_count([slot.pk]) == {slot.pk: 3}
    waiting = list(Booking.objects.filter(slot=slot, state=State.WAITING).order_by("queued_at"))
    assert [b.child_id for b in waiting] == [children[3].pk, children[4].pk]
    assert waiting[0].queued_at < waiting[1].queued_at
    assert engine.waiting_positions(waiting) == {waiting[0].pk: 1, waiting[1].pk: 2}
    events = list(BookingEvent.objects.filter(booking__slot=slot).values_list("verb", "state"))
    assert sorted(events) == sorted(
        [(Verb.BOOKED, State.RESERVED)] * 3 + [(Verb.WAITING, State.WAITING)] * 2
    )


def test_capacity_never_exceeded_over_several_calls(collectivity_a, slot):
    children = make_children(collectivity_a, 7)
    for child in children:
        reserve([(child.pk, slot.pk)])
    assert engine.holders_count([slot.pk])[slot.pk] == slot.capacity
    waiting = Booking.objects.filter(slot=slot, state=State.WAITING).order_by("queued_at", "pk")
    assert [b.child_id for b in waiting] == [c.pk for c in children[3:]]
    # queued_at strictly increasing in arrival order, even when the clock does not move.
    with time_machine.travel(NOW, tick=False):
        late = make_children(collectivity_a, 2)
        reserve([(late[0].pk, slot.pk)])
        reserve([(late[1].pk, slot.pk)])
    queued = list(waiting.values_list("queued_at", flat=True))
    assert queued == sorted(queued) and len(set(queued)) == len(queued)


def test_reserve_keeps_live_bookings_and_reuses_dead_rows(collectivity_a, slot):
    a, b, c = make_children(collectivity_a, 3)
    Booking.objects.create(child=a, slot=slot, state=State.RESERVED)
    Booking.objects.create(child=b, slot=slot, state=State.CANCELLED)
    Booking.objects.create(child=c, slot=slot, state=State.PENDING)
    result = reserve([(a.pk, slot.pk), (b.pk, slot.pk), (c.pk, slot.pk), (a.pk, slot.pk)])
    assert result == {
        (a.pk, slot.pk): State.RESERVED,
        (b.pk, slot.pk): State.RESERVED,
        (c.pk, slot.pk): State.RESERVED,
    }
    assert Booking.objects.filter(slot=slot).count() == 3
    # No event for the child who already had the place.
    assert not BookingEvent.objects.filter(booking__child=a).exists()
    assert BookingEvent.objects.filter(booking__child=b, verb=Verb.BOOKED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_reserve_needs_a_transaction(collectivity_a, slot):
    (child,) = make_children(collectivity_a, 1)
    with pytest.raises(RuntimeError):
        engine.reserve(pairs=[(child.pk, slot.pk)])
    assert not Booking.objects.exists()


def test_reserve_query_count_does_not_grow(collectivity_a, activity):
    slots = [
        SlotFactory(activity=activity, date=datetime.date(2026, 12, 1) + datetime.timedelta(d))
        for d in range(10)
    ]
    few = make_children(collectivity_a, 1)
    many = make_children(collectivity_a, 5)
    with CaptureQueriesContext(connection) as small:
        reserve([(few[0].pk, slots[0].pk)])
    with CaptureQueriesContext(connection) as large:
        reserve([(c.pk, s.pk) for c in many for s in slots])  # 50 pairs, some waiting
    assert Booking.objects.filter(state=State.WAITING).count() > 0
    # The large call also reuses no row; bulk writes keep it to the same statements.
    assert len(large) == len(small)


def test_set_pending(collectivity_a, slot):
    a, b = make_children(collectivity_a, 2)
    Booking.objects.create(child=b, slot=slot, state=State.RESERVED)
    with transaction.atomic():
        result = engine.set_pending(pairs=[(a.pk, slot.pk), (b.pk, slot.pk)], actor=None)
    assert result == {(a.pk, slot.pk): State.PENDING, (b.pk, slot.pk): State.RESERVED}
    assert engine.holders_count([slot.pk])[slot.pk] == 1
    event = BookingEvent.objects.get(booking__child=a)
    assert (event.verb, event.state) == (Verb.REQUESTED, State.PENDING)


def test_release_promotes_automatically_and_tells_the_family(collectivity_a, slot):
    children = make_children(collectivity_a, 5)
    reserve([(c.pk, slot.pk) for c in children])
    first_waiting = children[3]
    leaving = Booking.objects.get(child=children[0], slot=slot)
    with transaction.atomic():
        engine.release(bookings=[leaving], state=State.ABSENT, verb=Verb.ABSENCE)
    now = states(slot)
    assert now[children[0].pk] == State.ABSENT
    assert now[first_waiting.pk] == State.RESERVED
    assert now[children[4].pk] == State.WAITING
    assert engine.holders_count([slot.pk])[slot.pk] == 3
    promoted = Booking.objects.get(child=first_waiting, slot=slot)
    assert promoted.events.filter(verb=Verb.PROMOTED, state=State.RESERVED).exists()
    # The last one moved up.
    last = Booking.objects.get(child=children[4], slot=slot)
    assert engine.waiting_positions([last]) == {last.pk: 1}
    event = TimelineEvent.objects.get(verb="booking_promoted")
    assert event.family_id == first_waiting.family_id
    assert "Une place s’est libérée" in event.message
    assert event.digest  # told in the family's next digest
    assert not OutboxEmail.objects.filter(family_id=first_waiting.family_id).exists()
    email = digest_for(
        first_waiting.family.subscriptions.get().user.email, first_waiting.family.collectivity
    )
    assert "Une place s’est libérée" in email.body_text
    assert f"== {first_waiting.first_name} ==" in email.body_text


def test_release_of_waiting_or_pending_frees_nothing(collectivity_a, slot):
    children = make_children(collectivity_a, 5)
    reserve([(c.pk, slot.pk) for c in children])
    waiting = Booking.objects.get(child=children[3], slot=slot)
    with transaction.atomic():
        engine.release(bookings=[waiting], state=State.CANCELLED, verb=Verb.CANCELLED)
    assert states(slot)[children[4].pk] == State.WAITING
    assert not TimelineEvent.objects.exists()


def test_release_refuses_a_holding_state(collectivity_a, slot):
    (child,) = make_children(collectivity_a, 1)
    reserve([(child.pk, slot.pk)])
    booking = Booking.objects.get(child=child)
    with pytest.raises(ValueError), transaction.atomic():
        engine.release(bookings=[booking], state=State.RESERVED, verb=Verb.BOOKED)


def test_promotion_by_offer_accept_and_decline(collectivity_a, activity, slot):
    activity.waiting_list_mode = Activity.WaitingListMode.OFFER
    activity.offer_hours = 24
    activity.save()
    children = make_children(collectivity_a, 6)
    reserve([(c.pk, slot.pk) for c in children])
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        engine.release(
            bookings=[Booking.objects.get(child=children[0], slot=slot)],
            state=State.CANCELLED,
            verb=Verb.CANCELLED,
        )
    offered = Booking.objects.get(child=children[3], slot=slot)
    assert offered.state == State.OFFERED
    assert offered.offer_expires_at == NOW + datetime.timedelta(hours=24)
    # An offer holds the place: nobody else gets it meanwhile.
    assert engine.holders_count([slot.pk])[slot.pk] == 3
    assert TimelineEvent.objects.get(verb="booking_offered").family_id == children[3].family_id
    assert TimelineEvent.objects.get(verb="booking_offered").digest

    # Another family cannot answer this offer.
    stranger = children[4].family.subscriptions.get().user
    with pytest.raises(PlanningError):
        engine.offer_accept(booking=offered, user=stranger)

    owner = children[3].family.subscriptions.get().user
    with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
        engine.offer_decline(booking=offered, user=owner)
    offered.refresh_from_db()
    assert offered.state == State.CANCELLED
    assert offered.events.filter(verb=Verb.CANCELLED).exists()
    next_offer = Booking.objects.get(child=children[4], slot=slot)
    assert next_offer.state == State.OFFERED

    with time_machine.travel(NOW + datetime.timedelta(hours=3), tick=False):
        engine.offer_accept(
            booking=next_offer, user=next_offer.child.family.subscriptions.get().user
        )
    next_offer.refresh_from_db()
    assert next_offer.state == State.RESERVED
    assert next_offer.offer_expires_at is None
    assert states(slot)[children[5].pk] == State.WAITING
    # Twice: the offer is gone.
    with pytest.raises(PlanningError) as error:
        engine.offer_accept(
            booking=next_offer, user=next_offer.child.family.subscriptions.get().user
        )
    assert "n’est plus proposée" in error.value.message


def test_offer_cannot_be_accepted_after_expiry(collectivity_a, activity, slot):
    activity.waiting_list_mode = Activity.WaitingListMode.OFFER
    activity.offer_hours = 1
    activity.save()
    children = make_children(collectivity_a, 4)
    reserve([(c.pk, slot.pk) for c in children])
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        engine.release(
            bookings=[Booking.objects.get(child=children[0], slot=slot)],
            state=State.ABSENT,
            verb=Verb.ABSENCE,
        )
    offered = Booking.objects.get(child=children[3], slot=slot)
    user = children[3].family.subscriptions.get().user
    with (
        time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False),
        pytest.raises(PlanningError) as error,
    ):
        engine.offer_accept(booking=offered, user=user)
    assert "délai" in error.value.message
    offered.refresh_from_db()
    assert offered.state == State.OFFERED


def test_offers_expire_passes_the_place_on(collectivity_a, activity, slot):
    activity.waiting_list_mode = Activity.WaitingListMode.OFFER
    activity.offer_hours = 24
    activity.save()
    children = make_children(collectivity_a, 5)
    reserve([(c.pk, slot.pk) for c in children])
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        engine.release(
            bookings=[Booking.objects.get(child=children[0], slot=slot)],
            state=State.CANCELLED,
            verb=Verb.CANCELLED,
        )
    assert engine.offers_expire(now=NOW + datetime.timedelta(hours=23)) == 0
    assert states(slot)[children[3].pk] == State.OFFERED

    later = NOW + datetime.timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        assert tasks.offers_expire() == 1
    expired = Booking.objects.get(child=children[3], slot=slot)
    assert expired.state == State.CANCELLED
    assert expired.events.filter(verb=Verb.OFFER_EXPIRED, state=State.CANCELLED).exists()
    following = Booking.objects.get(child=children[4], slot=slot)
    assert following.state == State.OFFERED
    assert following.offer_expires_at == later + datetime.timedelta(hours=24)
    assert TimelineEvent.objects.filter(verb="booking_offer_expired").count() == 1
    assert engine.holders_count([slot.pk])[slot.pk] == 3


def test_promote_fills_a_capacity_increase(collectivity_a, slot):
    children = make_children(collectivity_a, 6)
    reserve([(c.pk, slot.pk) for c in children])
    slot.capacity = 5
    slot.save()
    with transaction.atomic():
        promoted = engine.promote(slot_ids=[slot.pk])
    assert [b.child_id for b in promoted] == [children[3].pk, children[4].pk]
    assert engine.holders_count([slot.pk])[slot.pk] == 5
    assert states(slot)[children[5].pk] == State.WAITING
    # Two families told, one event each (for their digests).
    assert TimelineEvent.objects.filter(verb="booking_promoted", digest=True).count() == 2


def test_waiting_positions_one_query_over_slots(collectivity_a, activity):
    slots = [SlotFactory(activity=activity, date=datetime.date(2026, 12, d)) for d in (1, 3)]
    children = make_children(collectivity_a, 6)
    reserve([(c.pk, s.pk) for s in slots for c in children])
    waiting = list(Booking.objects.filter(state=State.WAITING))
    assert len(waiting) == 6
    with CaptureQueriesContext(connection) as queries:
        positions = engine.waiting_positions(waiting)
    assert len(queries) == 1
    for booking in waiting:
        expected = [c.pk for c in children[3:]].index(booking.child_id) + 1
        assert positions[booking.pk] == expected
    assert engine.waiting_positions([]) == {}
    assert timezone.is_aware(waiting[0].queued_at)


def test_promote_leaves_an_orphan_slot_alone(collectivity_a, slot):
    children = make_children(collectivity_a, 4)
    reserve([(c.pk, slot.pk) for c in children])
    slot.is_orphan = True
    slot.capacity = 10
    slot.save()
    with transaction.atomic():
        assert engine.promote(slot_ids=[slot.pk]) == []
    assert states(slot)[children[3].pk] == State.WAITING


def test_offer_expiry_is_scheduled_every_ten_minutes():
    from django.core.management import call_command

    from django_q.models import Schedule

    call_command("schedules_install")
    schedule = Schedule.objects.get(func="planning.tasks.offers_expire")
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 10)
