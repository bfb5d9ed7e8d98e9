"""Attendance marks: present, absent (billed when the activity says so), excused."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
import time_machine

from planning.errors import PlanningError
from planning.models import Booking, BookingEvent
from planning.services import attendance_mark
from tests.planning.factories import ActivityFactory, BookingFactory, ChildFactory, SlotFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Booking.State
# 23 November 2026, 08:30 in Paris.
NOW = datetime.datetime(2026, 11, 23, 7, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def slot(collectivity_a):
    return SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 23))


def book(slot, state=State.RESERVED, count=1):
    return [
        BookingFactory(
            slot=slot,
            state=state,
            child=ChildFactory(family__collectivity=slot.activity.collectivity),
        )
        for _ in range(count)
    ]


def test_marks_set_states_and_write_events(slot, agent_a):
    present, absent, excused = book(slot, count=3)
    report = attendance_mark(
        slot=slot,
        marks={present.child_id: "present", absent.child_id: "absent", excused.child_id: "excused"},
        agent=agent_a,
    )
    assert (report.changed, report.unchanged) == (3, 0)
    states = dict(Booking.objects.values_list("pk", "state"))
    assert states == {
        present.pk: State.PRESENT,
        absent.pk: State.ABSENT_BILLED,  # the activity bills late absences (default)
        excused.pk: State.ABSENT,
    }
    events = {e.booking_id: (e.verb, e.state, e.actor) for e in BookingEvent.objects.all()}
    assert events == {
        present.pk: ("present", "present", agent_a),
        absent.pk: ("absent", "absent_billed", agent_a),
        excused.pk: ("excused", "absent", agent_a),
    }
    assert all(b.attendance_marked_at == NOW for b in Booking.objects.all())


def test_unexcused_absence_not_billed_when_the_activity_does_not_bill(slot, agent_a):
    slot.activity.late_absence_billed = False
    slot.activity.save()
    (booking,) = book(slot)
    attendance_mark(slot=slot, marks={booking.child_id: "absent"}, agent=agent_a)
    booking.refresh_from_db()
    assert booking.state == State.ABSENT
    # Same state, different mark (the parent brought a note): recorded as excused.
    report = attendance_mark(slot=slot, marks={booking.child_id: "excused"}, agent=agent_a)
    assert report.changed == 1
    assert list(BookingEvent.objects.filter(booking=booking).values_list("verb", flat=True)) == [
        "absent",
        "excused",
    ]


def test_same_mark_again_changes_nothing(slot, agent_a):
    (booking,) = book(slot)
    attendance_mark(slot=slot, marks={booking.child_id: "present"}, agent=agent_a)
    report = attendance_mark(slot=slot, marks={str(booking.child_id): "present"}, agent=agent_a)
    assert (report.changed, report.unchanged) == (0, 1)
    assert BookingEvent.objects.filter(booking=booking).count() == 1
    # A correction is a change: present → absent.
    attendance_mark(slot=slot, marks={booking.child_id: "absent"}, agent=agent_a)
    booking.refresh_from_db()
    assert booking.state == State.ABSENT_BILLED


def test_future_slot_is_refused(collectivity_a, agent_a):
    tomorrow = SlotFactory(
        activity=ActivityFactory(collectivity=collectivity_a), date=D(2026, 11, 24)
    )
    (booking,) = book(tomorrow)
    with pytest.raises(PlanningError) as error:
        attendance_mark(slot=tomorrow, marks={booking.child_id: "present"}, agent=agent_a)
    assert error.value.message == "Le pointage n’est possible qu’à partir du jour de l’activité."
    booking.refresh_from_db()
    assert booking.state == State.RESERVED and not BookingEvent.objects.exists()


def test_children_without_a_place_refuse_the_whole_register(slot, agent_a):
    (reserved,) = book(slot)
    (waiting,) = book(slot, state=State.WAITING)
    stranger = ChildFactory(family__collectivity=slot.activity.collectivity)
    for intruder in (waiting.child_id, stranger.pk):
        with pytest.raises(PlanningError) as error:
            attendance_mark(
                slot=slot, marks={reserved.child_id: "present", intruder: "present"}, agent=agent_a
            )
        assert "n’ont pas de place sur ce créneau" in error.value.message
    assert set(Booking.objects.values_list("state", flat=True)) == {State.RESERVED, State.WAITING}
    assert not BookingEvent.objects.exists()


def test_bad_input_is_refused_in_french(slot, agent_a):
    (booking,) = book(slot)
    with pytest.raises(PlanningError, match="Pointage inconnu : malade"):
        attendance_mark(slot=slot, marks={booking.child_id: "malade"}, agent=agent_a)
    with pytest.raises(PlanningError, match="Aucun enfant n’est pointé"):
        attendance_mark(slot=slot, marks={}, agent=agent_a)
    with pytest.raises(PlanningError, match="Enfant inconnu"):
        attendance_mark(slot=slot, marks={"abc": "present"}, agent=agent_a)
    booking.refresh_from_db()
    assert booking.state == State.RESERVED


def test_past_day_can_be_marked_and_query_count_is_constant(collectivity_a, agent_a):
    counts = []
    for size, day in ((2, D(2026, 11, 19)), (12, D(2026, 11, 20))):
        slot = SlotFactory(activity=ActivityFactory(collectivity=collectivity_a), date=day)
        bookings = book(slot, count=size)
        with CaptureQueriesContext(connection) as queries:
            report = attendance_mark(
                slot=slot, marks={b.child_id: "present" for b in bookings}, agent=agent_a
            )
        assert report.changed == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
