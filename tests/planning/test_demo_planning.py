"""The planning demo: both collectivities get a school year of activities, enrolments in every
status and bookings in a mix of states around today; loading twice changes nothing."""

import datetime

from django.core.management import call_command

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from planning.models import Activity, Booking, BookingEvent, BookingRequest, Enrolment, Slot
from portal.models import Collectivity

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def loaders(settings):
    loaders = [path for path in settings.PORTAL_DEMO_LOADERS if path != "planning.demo.load"]
    settings.PORTAL_DEMO_LOADERS = [*loaders, "planning.demo.load"]


def _counts():
    return (
        Activity.objects.count(),
        Slot.objects.count(),
        tuple(Enrolment.objects.order_by("pk").values_list("status", flat=True)),
        tuple(Booking.objects.order_by("pk").values_list("state", flat=True)),
        BookingEvent.objects.count(),
        BookingRequest.objects.count(),
        TimelineEvent.objects.count(),
        OutboxEmail.objects.count(),
    )


def test_demo_planning_complete_and_idempotent():
    with time_machine.travel(NOW, tick=False):
        call_command("demo_load", quiet=True)
        first = _counts()
        call_command("demo_load", quiet=True)
        assert _counts() == first

    collectivities = list(Collectivity.objects.all())
    assert len(collectivities) == 2
    for collectivity in collectivities:
        activities = Activity.objects.filter(collectivity=collectivity)
        assert activities.count() == 5
        assert len(set(activities.values_list("color", flat=True))) == 5
        assert activities.filter(requires_approval=False).count() == 1
        holiday = activities.get(kind=Activity.Kind.HOLIDAY_CENTRE)
        assert holiday.opening == Activity.Opening.SCHOOL_HOLIDAYS
        assert (holiday.start_date, holiday.end_date) == (
            datetime.date(2026, 12, 19),
            datetime.date(2027, 1, 3),
        )
        holiday_dates = set(Slot.objects.filter(activity=holiday).values_list("date", flat=True))
        assert datetime.date(2026, 12, 21) in holiday_dates
        assert datetime.date(2026, 12, 25) not in holiday_dates  # Noël, public holiday
        canteen = activities.get(kind=Activity.Kind.CANTEEN)
        canteen_dates = set(Slot.objects.filter(activity=canteen).values_list("date", flat=True))
        assert datetime.date(2026, 11, 16) in canteen_dates  # past: history
        assert datetime.date(2026, 11, 24) in canteen_dates
        assert datetime.date(2026, 11, 18) not in canteen_dates  # Wednesday
        assert datetime.date(2026, 12, 22) not in canteen_dates  # school holidays

        enrolments = Enrolment.objects.filter(activity__collectivity=collectivity)
        statuses = set(enrolments.values_list("status", flat=True))
        assert statuses == {
            Enrolment.Status.ACCEPTED,
            Enrolment.Status.PENDING,
            Enrolment.Status.REFUSED,
        }
        assert enrolments.filter(status=Enrolment.Status.PENDING).count() == 1

        bookings = Booking.objects.filter(slot__activity__collectivity=collectivity)
        today = NOW.date()
        past = bookings.filter(slot__date__lt=today)
        assert past.filter(state=Booking.State.PRESENT).exists()
        assert past.filter(state=Booking.State.ABSENT).count() == 1
        assert past.filter(state=Booking.State.ABSENT_BILLED).count() == 1
        future = bookings.filter(slot__date__gt=today)
        assert future.filter(state=Booking.State.RESERVED).exists()
        assert future.filter(state=Booking.State.PENDING).exists()
        waiting = future.filter(state=Booking.State.WAITING, slot__activity=holiday)
        assert waiting.count() >= 2
        for slot_id in waiting.values_list("slot_id", flat=True):
            held = bookings.filter(slot_id=slot_id, state__in=Booking.HOLDS_PLACE).count()
            assert held == holiday.capacity
        assert BookingRequest.objects.filter(
            family__collectivity=collectivity, status=BookingRequest.Status.PENDING
        ).exists()
        # Every booking has its history.
        assert not bookings.filter(events__isnull=True).exists()
