"""Which days an activity opens: public and school holidays from the maintained libraries,
closures, weekdays and the activity's period."""

import datetime

import pytest

from planning.calendar import (
    activity_calendar,
    activity_open_dates,
    closed_reason,
    public_holidays,
    school_holidays,
)
from planning.models import Activity, ActivityClosure
from tests.planning.factories import ActivityFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def zone_a(collectivity_a):
    collectivity_a.school_zone = "A"
    collectivity_a.save(update_fields=["school_zone"])
    return collectivity_a


def test_public_holidays_have_french_names():
    found = public_holidays(D(2026, 11, 1), D(2027, 1, 1))
    assert found[D(2026, 11, 11)] == "Armistice"
    assert found[D(2026, 12, 25)] == "Noël"
    assert found[D(2027, 1, 1)] == "Jour de l’an"
    assert D(2026, 11, 12) not in found
    assert list(found) == sorted(found)


def test_school_holidays_of_zone_a_for_christmas_and_winter():
    christmas = school_holidays("A", D(2026, 12, 1), D(2027, 1, 10))
    assert christmas[D(2026, 12, 21)] == "Vacances de Noël"
    assert christmas[D(2027, 1, 1)] == "Vacances de Noël"
    assert D(2026, 12, 18) not in christmas and D(2027, 1, 4) not in christmas
    # Winter holidays differ by zone: the zone matters.
    winter_a = school_holidays("A", D(2027, 2, 1), D(2027, 3, 31))
    winter_c = school_holidays("C", D(2027, 2, 1), D(2027, 3, 31))
    assert winter_a and set(winter_a.values()) == {"Vacances d’hiver"}
    assert set(winter_a) != set(winter_c)
    # A year the official data does not cover yet is simply empty, not an error.
    assert school_holidays("A", D(2040, 1, 1), D(2040, 12, 31)) == {}
    assert school_holidays("Z", D(2026, 1, 1), D(2026, 12, 31)) == {}


def test_term_time_activity_skips_public_holiday_and_christmas(zone_a):
    canteen = ActivityFactory(collectivity=zone_a, weekdays=[0, 1, 2, 3, 4])
    assert closed_reason(canteen, D(2026, 11, 11)) == "Jour férié : Armistice"
    assert closed_reason(canteen, D(2026, 11, 12)) is None
    assert closed_reason(canteen, D(2026, 12, 21)) == "Vacances scolaires : Vacances de Noël"
    assert closed_reason(canteen, D(2026, 11, 14)) == "Fermé ce jour de la semaine"
    assert closed_reason(canteen, D(2027, 8, 2)) == "Hors calendrier de l’activité"

    dates = activity_open_dates(canteen)
    assert D(2026, 11, 11) not in dates
    assert not [day for day in dates if D(2026, 12, 19) <= day <= D(2027, 1, 3)]
    assert D(2026, 12, 18) in dates and D(2027, 1, 4) in dates
    assert all(day.weekday() < 5 for day in dates)
    assert dates == sorted(dates)


def test_holiday_centre_opens_only_in_school_holidays(zone_a):
    centre = ActivityFactory(
        collectivity=zone_a,
        kind=Activity.Kind.HOLIDAY_CENTRE,
        opening=Activity.Opening.SCHOOL_HOLIDAYS,
        weekdays=[0, 1, 2, 3, 4],
    )
    assert closed_reason(centre, D(2026, 11, 12)) == "Hors vacances scolaires"
    assert closed_reason(centre, D(2026, 12, 21)) is None
    assert closed_reason(centre, D(2026, 12, 25)) == "Jour férié : Noël"
    dates = activity_open_dates(centre)
    holidays = school_holidays("A", centre.start_date, centre.end_date)
    assert dates and all(day in holidays for day in dates)
    assert D(2026, 12, 21) in dates and D(2026, 12, 25) not in dates


def test_closures_and_all_year_opening(collectivity_a):
    activity = ActivityFactory(
        collectivity=collectivity_a, opening=Activity.Opening.ALL_YEAR, weekdays=[2]
    )
    ActivityClosure.objects.create(
        activity=activity, date=D(2026, 12, 2), reason="Journée pédagogique"
    )
    ActivityClosure.objects.create(activity=activity, date=D(2026, 12, 9))
    assert closed_reason(activity, D(2026, 12, 2)) == "Jour sans activité : Journée pédagogique"
    assert closed_reason(activity, D(2026, 12, 9)) == "Jour sans activité"
    # All year: open in the school holidays too.
    assert closed_reason(activity, D(2026, 12, 23)) is None
    assert D(2026, 12, 23) in activity_open_dates(activity)


def test_open_dates_cost_constant_queries(collectivity_a, django_assert_max_num_queries):
    activity = ActivityFactory(collectivity=collectivity_a)
    for offset in range(20):
        ActivityClosure.objects.create(
            activity=activity, date=D(2026, 9, 7) + datetime.timedelta(days=offset)
        )
    activity = Activity.objects.select_related("collectivity").get(pk=activity.pk)
    with django_assert_max_num_queries(1):
        calendar = activity_calendar(activity)
    assert len(calendar) == (activity.end_date - activity.start_date).days + 1
    assert calendar[D(2026, 9, 7)] == "Jour sans activité"
