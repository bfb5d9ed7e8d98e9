"""The request services run a fixed number of queries: one child for a month costs the same
as three children for the whole school year."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest
import time_machine

from family.models import Family
from planning.calendar import activity_open_dates
from planning.models import Activity, Booking, BookingRequest, Slot
from planning.services import request_accept, request_preview, request_submit
from tests.planning.factories import ActivityFactory, ChildFactory, EnrolmentFactory
from tests.portal.factories import FamilyFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=datetime.UTC)
MONTH = (D(2026, 12, 1), D(2026, 12, 31))  # includes Christmas holidays and Noël
YEAR = (D(2026, 11, 30), D(2027, 7, 3))
WEEKDAYS = [0, 1, 3, 4]


@pytest.fixture(autouse=True)
def frozen_now(django_db_setup):
    with time_machine.travel(NOW, tick=False):
        yield


def make_activity(collectivity, *, requires_approval):
    activity = ActivityFactory(
        collectivity=collectivity, requires_approval=requires_approval, capacity=200
    )
    Slot.objects.bulk_create(
        [
            Slot(
                activity=activity,
                date=day,
                start_time=activity.start_time,
                end_time=activity.end_time,
                capacity=activity.capacity,
            )
            for day in activity_open_dates(activity)
        ]
    )
    return activity


def make_family(collectivity, activity, n_children):
    family = FamilyFactory(collectivity=collectivity)
    user = SubscriptionFactory(family=family).user
    children = [ChildFactory(family=family) for _i in range(n_children)]
    for child in children:
        EnrolmentFactory(child=child, activity=activity)
    return family, user, children


def fresh(family):
    # A family as a view gets it: nothing cached on the instance.
    return Family.objects.get(pk=family.pk)


def count_submit(family, user, activity, children, period, key):
    activity = Activity.objects.get(pk=activity.pk)
    with CaptureQueriesContext(connection) as queries:
        request = request_submit(
            family=fresh(family),
            user=user,
            kind=BookingRequest.Kind.RESERVATION,
            activity=activity,
            children=children,
            date_from=period[0],
            date_to=period[1],
            weekdays=WEEKDAYS,
            submission_key=key,
        )
    return len(queries), request


@pytest.mark.parametrize("requires_approval", [False, True])
def test_submit_query_count_does_not_grow(collectivity_a, requires_approval):
    activity = make_activity(collectivity_a, requires_approval=requires_approval)
    warm_family, warm_user, warm_children = make_family(collectivity_a, activity, 1)
    count_submit(warm_family, warm_user, activity, warm_children, MONTH, "warm-up")

    small_family, small_user, small_children = make_family(collectivity_a, activity, 1)
    large_family, large_user, large_children = make_family(collectivity_a, activity, 3)
    small, small_request = count_submit(
        small_family, small_user, activity, small_children, MONTH, "small"
    )
    large, large_request = count_submit(
        large_family, large_user, activity, large_children, YEAR, "large"
    )
    assert small_request.lines.count() < 20
    assert large_request.lines.count() > 250
    assert Booking.objects.filter(child__in=large_children).count() > 250
    assert large == small, f"{small} queries for a month, {large} for a school year"
    assert small <= 30


def test_preview_and_accept_query_count_does_not_grow(collectivity_a, agent_a):
    activity = make_activity(collectivity_a, requires_approval=True)
    small_family, small_user, small_children = make_family(collectivity_a, activity, 1)
    large_family, large_user, large_children = make_family(collectivity_a, activity, 3)

    def count_preview(family, children, period):
        with CaptureQueriesContext(connection) as queries:
            preview = request_preview(
                family=fresh(family),
                kind=BookingRequest.Kind.RESERVATION,
                activity=Activity.objects.get(pk=activity.pk),
                children=children,
                date_from=period[0],
                date_to=period[1],
                weekdays=WEEKDAYS,
            )
        return len(queries), preview

    count_preview(small_family, small_children, MONTH)  # warm-up
    small, small_preview = count_preview(small_family, small_children, MONTH)
    large, large_preview = count_preview(large_family, large_children, YEAR)
    assert len(large_preview.days) > 10 * len(small_preview.days)
    assert large == small

    _n, small_request = count_submit(small_family, small_user, activity, small_children, MONTH, "s")
    _n, large_request = count_submit(large_family, large_user, activity, large_children, YEAR, "l")
    counts = []
    for request in (small_request, large_request):
        request = BookingRequest.objects.get(pk=request.pk)
        with CaptureQueriesContext(connection) as queries:
            request_accept(request=request, agent=agent_a)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert (
        Booking.objects.filter(child__in=large_children, state=Booking.State.RESERVED).count()
        == large_request.lines.count()
    )
