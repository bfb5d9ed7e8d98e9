"""Slot generation from an activity's calendar: bulk creation, updates, orphans, capacity."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
import time_machine

from notifications.models import TimelineEvent
from planning.calendar import activity_open_dates
from planning.models import ActivityClosure, Booking, BookingEvent, Slot
from planning.services import slots_generate
from tests.planning.factories import ActivityFactory, BookingFactory, ChildFactory

pytestmark = pytest.mark.django_db
D = datetime.date
UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def activity(collectivity_a):
    return ActivityFactory(collectivity=collectivity_a)


def test_generation_creates_future_open_dates_in_bulk(activity, agent_a):
    report = slots_generate(activity=activity, actor=agent_a)
    expected = [day for day in activity_open_dates(activity) if day >= D(2026, 11, 23)]
    slots = list(Slot.objects.filter(activity=activity).order_by("date"))
    assert [slot.date for slot in slots] == expected
    assert report.created == len(expected) > 90
    assert (report.updated, report.removed, report.orphans) == (0, 0, [])
    assert all(
        (slot.start_time, slot.end_time, slot.capacity)
        == (activity.start_time, activity.end_time, activity.capacity)
        for slot in slots
    )
    assert D(2026, 11, 23) in {slot.date for slot in slots}  # today included
    event = TimelineEvent.objects.get(verb="activity_slots_generated")
    assert event.family_id is None and event.collectivity == activity.collectivity
    assert event.data["created"] == report.created
    # Idempotent: a second run changes nothing and records nothing.
    again = slots_generate(activity=activity, actor=agent_a)
    assert (again.created, again.updated, again.removed, again.orphans) == (0, 0, 0, [])
    assert TimelineEvent.objects.filter(verb="activity_slots_generated").count() == 1


def test_query_count_does_not_grow_with_dates(collectivity_a):
    short = ActivityFactory(
        collectivity=collectivity_a, start_date=D(2026, 11, 23), end_date=D(2026, 11, 30)
    )
    long = ActivityFactory(collectivity=collectivity_a)
    counts = []
    for activity in (short, long):
        with CaptureQueriesContext(connection) as queries:
            report = slots_generate(activity=activity)
        assert report.created
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12
    # Regenerating after a change of times and capacity: one more bulk update, no more.
    for activity in (short, long):
        activity.start_time = datetime.time(11, 45)
        activity.capacity = 40
        activity.save()
    update_counts = []
    for activity in (short, long):
        with CaptureQueriesContext(connection) as queries:
            report = slots_generate(activity=activity)
        assert report.updated == Slot.objects.filter(activity=activity).count()
        update_counts.append(len(queries))
    assert update_counts[0] == update_counts[1] <= 12


def test_calendar_change_keeps_bookings_and_reports_orphans(activity, agent_a):
    slots_generate(activity=activity)
    booked_slot = Slot.objects.get(activity=activity, date=D(2026, 12, 3))
    cancelled_slot = Slot.objects.get(activity=activity, date=D(2026, 12, 7))
    child = ChildFactory(family__collectivity=activity.collectivity)
    booking = BookingFactory(child=child, slot=booked_slot, state=Booking.State.RESERVED)
    BookingFactory(child=child, slot=cancelled_slot, state=Booking.State.CANCELLED)
    for day in (D(2026, 12, 3), D(2026, 12, 7), D(2026, 12, 8)):
        ActivityClosure.objects.create(activity=activity, date=day, reason="Grève")

    report = slots_generate(activity=activity, actor=agent_a)

    assert [slot.pk for slot in report.orphans] == [booked_slot.pk]
    assert report.removed == 2  # 7 and 8 December: no live booking
    assert not Slot.objects.filter(pk=cancelled_slot.pk).exists()
    booked_slot.refresh_from_db()
    assert booked_slot.is_orphan
    booking.refresh_from_db()
    assert booking.state == Booking.State.RESERVED  # nobody loses a place silently
    event = BookingEvent.objects.get(booking=booking)
    assert (event.verb, event.state, event.actor) == ("orphaned", "reserved", agent_a)
    timeline = TimelineEvent.objects.filter(verb="activity_slots_generated").latest("pk")
    assert timeline.data["new_orphans"] == ["2026-12-03"]

    # Still out of the calendar: reported again, no second ORPHANED event.
    again = slots_generate(activity=activity)
    assert [slot.pk for slot in again.orphans] == [booked_slot.pk]
    assert BookingEvent.objects.filter(booking=booking).count() == 1

    # The date comes back: the slot is un-orphaned, the booking untouched.
    ActivityClosure.objects.filter(activity=activity, date=D(2026, 12, 3)).delete()
    back = slots_generate(activity=activity)
    assert back.restored == 1 and back.orphans == []
    booked_slot.refresh_from_db()
    assert not booked_slot.is_orphan
    assert Booking.objects.get(pk=booking.pk).state == Booking.State.RESERVED


def test_past_slots_are_never_touched(activity):
    past = Slot.objects.create(
        activity=activity,
        date=D(2026, 11, 19),
        start_time=datetime.time(8, 0),
        end_time=datetime.time(9, 0),
        capacity=3,
    )
    ActivityClosure.objects.create(activity=activity, date=D(2026, 11, 19))
    slots_generate(activity=activity)
    past.refresh_from_db()
    assert (past.start_time, past.capacity, past.is_orphan) == (datetime.time(8, 0), 3, False)
    assert not Slot.objects.filter(activity=activity, date__lt=D(2026, 11, 19)).exists()


def test_capacity_decrease_is_reported_and_increase_promotes_the_waiting_list(activity):
    activity.capacity = 2
    activity.save()
    slots_generate(activity=activity)
    slot = Slot.objects.get(activity=activity, date=D(2026, 12, 3))
    children = [ChildFactory(family__collectivity=activity.collectivity) for _ in range(3)]
    for child in children[:2]:
        BookingFactory(child=child, slot=slot, state=Booking.State.RESERVED)
    waiting = BookingFactory(
        child=children[2], slot=slot, state=Booking.State.WAITING, queued_at=NOW
    )

    activity.capacity = 1
    activity.save()
    report = slots_generate(activity=activity)
    assert [s.pk for s in report.over_capacity] == [slot.pk]
    assert report.updated == Slot.objects.filter(activity=activity).count()
    assert Booking.objects.filter(slot=slot, state=Booking.State.RESERVED).count() == 2
    slot.refresh_from_db()
    assert slot.capacity == 1

    activity.capacity = 3
    activity.save()
    report = slots_generate(activity=activity)
    assert report.over_capacity == [] and report.promoted == 1
    waiting.refresh_from_db()
    assert waiting.state == Booking.State.RESERVED
    assert BookingEvent.objects.filter(booking=waiting, verb="promoted").exists()


def test_time_change_updates_future_slots(activity):
    slots_generate(activity=activity)
    activity.start_time = datetime.time(12, 0)
    activity.end_time = datetime.time(13, 45)
    activity.save()
    report = slots_generate(activity=activity)
    assert report.updated == Slot.objects.filter(activity=activity).count()
    assert set(Slot.objects.values_list("start_time", "end_time")) == {
        (datetime.time(12, 0), datetime.time(13, 45))
    }
