"""Notice rules: booking and absence deadlines in Paris time, in calendar or working days."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from planning.rules import (
    PARIS,
    absence_deadline,
    booking_deadline,
    horizon_end,
    local_now,
    slot_starts_at,
)
from tests.planning.factories import ActivityFactory, SlotFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def activity(collectivity_a):
    return ActivityFactory(
        collectivity=collectivity_a,
        booking_notice_days=2,
        cancellation_notice_days=1,
        notice_deadline_time=datetime.time(10, 0),
        booking_horizon_days=60,
    )


def test_paris_zone_and_local_now():
    assert ZoneInfo("Europe/Paris") == PARIS
    with time_machine.travel(datetime.datetime(2026, 11, 23, 23, 30, tzinfo=UTC), tick=False):
        now = local_now()
    # 23:30 UTC in winter is already the next day in Paris.
    assert now == paris(2026, 11, 24, 0, 30)
    assert now.utcoffset() == datetime.timedelta(hours=1)
    summer = local_now(datetime.datetime(2027, 6, 1, 12, 0, tzinfo=UTC))
    assert summer.hour == 14


def test_calendar_days_deadline(activity):
    # Thursday 3 December 2026, 2 calendar days before, at 10:00 Paris time.
    day = datetime.date(2026, 12, 3)
    assert booking_deadline(activity, day) == paris(2026, 12, 1, 10, 0)
    assert absence_deadline(activity, day) == paris(2026, 12, 2, 10, 0)
    # Aware: comparable with UTC instants (10:00 Paris = 09:00 UTC in winter).
    assert booking_deadline(activity, day) == datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_calendar_days_deadline_crosses_weekend(activity):
    # Monday 7 December: the deadline falls on Saturday 5 (calendar days count weekends).
    assert booking_deadline(activity, datetime.date(2026, 12, 7)) == paris(2026, 12, 5, 10, 0)


def test_working_days_skip_weekend(activity):
    activity.notice_in_working_days = True
    # Monday 7 December 2026: Friday 4 is D-1, Thursday 3 is D-2 (working days).
    assert booking_deadline(activity, datetime.date(2026, 12, 7)) == paris(2026, 12, 3, 10, 0)
    assert absence_deadline(activity, datetime.date(2026, 12, 7)) == paris(2026, 12, 4, 10, 0)


def test_working_days_skip_public_holiday(activity):
    activity.notice_in_working_days = True
    # Monday 28 December 2026: Sunday 27, Saturday 26 and Friday 25 (Noël) do not count:
    # Thursday 24 is D-1, Wednesday 23 is D-2.
    assert booking_deadline(activity, datetime.date(2026, 12, 28)) == paris(2026, 12, 23, 10, 0)
    # Thursday 12 November 2026: Wednesday 11 (Armistice) does not count, Tuesday 10 is D-1.
    assert absence_deadline(activity, datetime.date(2026, 11, 12)) == paris(2026, 11, 10, 10, 0)


def test_working_days_long_notice(activity):
    activity.notice_in_working_days = True
    activity.booking_notice_days = 15
    # Friday 8 January 2027, 15 working days back, over Christmas and New Year's Day:
    # 7,6,5,4 Jan (4) · 31,30,29,28 Dec (8) · 24,23,22,21 Dec (12) · 18,17,16 Dec (15).
    assert booking_deadline(activity, datetime.date(2027, 1, 8)) == paris(2026, 12, 16, 10, 0)


def test_zero_notice_is_the_day_itself(activity):
    activity.booking_notice_days = 0
    activity.notice_in_working_days = True
    assert booking_deadline(activity, datetime.date(2026, 12, 5)) == paris(2026, 12, 5, 10, 0)


def test_deadline_in_summer_time(activity):
    # 10:00 Paris in June is 08:00 UTC.
    deadline = booking_deadline(activity, datetime.date(2027, 6, 10))
    assert deadline.astimezone(UTC) == datetime.datetime(2027, 6, 8, 8, 0, tzinfo=UTC)


def test_default_deadline_time_on_unsaved_activity(collectivity_a):
    activity = ActivityFactory.build(collectivity=collectivity_a, booking_notice_days=2)
    assert activity.notice_deadline_time == "23:59"  # the field default, not saved yet
    assert booking_deadline(activity, datetime.date(2026, 12, 3)) == paris(2026, 12, 1, 23, 59)


def test_before_and_after_deadline_with_time_machine(activity):
    day = datetime.date(2026, 12, 3)
    deadline = booking_deadline(activity, day)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 8, 59, tzinfo=UTC), tick=False):
        assert local_now() <= deadline
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 1, tzinfo=UTC), tick=False):
        assert local_now() > deadline


def test_horizon_end(activity):
    assert horizon_end(activity, datetime.date(2026, 11, 23)) == datetime.date(2027, 1, 22)


def test_slot_starts_at(activity):
    slot = SlotFactory(activity=activity, date=datetime.date(2026, 12, 3))
    starts = slot_starts_at(slot)
    assert starts == paris(2026, 12, 3, 11, 30)
    assert starts.astimezone(UTC).hour == 10
