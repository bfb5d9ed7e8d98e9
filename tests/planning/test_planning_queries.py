"""The planning's query count does not grow with children, activities or bookings."""

import datetime
import itertools

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
import time_machine

from planning.models import Booking, BookingRequest, BookingRequestLine
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.portal.factories import FamilyFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
STATES = [
    Booking.State.RESERVED,
    Booking.State.PENDING,
    Booking.State.WAITING,
    Booking.State.OFFERED,
    Booking.State.PRESENT,
    Booking.State.ABSENT,
    Booking.State.ABSENT_BILLED,
    Booking.State.CANCELLED,
    None,
]
DECEMBER = [datetime.date(2026, 12, 1) + datetime.timedelta(days=n) for n in range(31)]


def build_family(collectivity, *, name, children, activities):
    """A family whose every child is enrolled in every activity, with a slot on every
    weekday of December 2026 and bookings cycling through every state (and no booking)."""
    family = FamilyFactory(collectivity=collectivity, name=name)
    parent = UserFactory(email=f"{name.lower()}@example.test")
    SubscriptionFactory(user=parent, family=family)
    kids = [ChildFactory(family=family, first_name=f"Enfant{n}") for n in range(children)]
    states = itertools.cycle(STATES)
    for index in range(activities):
        activity = ActivityFactory(collectivity=collectivity, name=f"{name} activité {index}")
        slots = [SlotFactory(activity=activity, date=day) for day in DECEMBER if day.weekday() < 5]
        for kid in kids:
            EnrolmentFactory(child=kid, activity=activity)
            for slot in slots:
                state = next(states)
                if state is None:
                    continue
                BookingFactory(
                    child=kid,
                    slot=slot,
                    state=state,
                    queued_at=NOW if state == Booking.State.WAITING else None,
                    offer_expires_at=NOW if state == Booking.State.OFFERED else None,
                )
        # A pending absence request on some reserved days.
        request = BookingRequest.objects.create(
            family=family,
            activity=activity,
            kind=BookingRequest.Kind.ABSENCE,
            date_from=DECEMBER[0],
            date_to=DECEMBER[-1],
            weekdays=[0, 1, 2, 3, 4],
        )
        BookingRequestLine.objects.bulk_create(
            BookingRequestLine(request=request, child=booking.child, slot=booking.slot)
            for booking in Booking.objects.filter(
                slot__activity=activity, state=Booking.State.RESERVED
            )
        )
    return parent


def month_queries(client, parent, view="mois", *, cold=True) -> tuple[int, int, list[str]]:
    """The queries of one planning page: computed (``cold``: the cached grid cleared) or
    served from the cache."""
    client.force_login(parent)
    url = reverse("planning:index")
    params = {"vue": view, "date": "2026-12-10"}
    client.get(url, params)  # warm the per-process caches (site, content types)
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    # The grid's cells (the agenda of narrow screens repeats them, its tooltips prefixed).
    cells = response.content.decode().count('aria-describedby="infobulle-')
    return len(queries), cells, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("view", ["mois", "semaine", "semaine5", "jour"])
def test_query_count_is_the_same_for_1x1_and_4x4(client_a, collectivity_a, view):
    small = build_family(collectivity_a, name="Petit", children=1, activities=1)
    large = build_family(collectivity_a, name="Grand", children=4, activities=4)
    with time_machine.travel(NOW, tick=False):
        small_count, small_cells, _sql = month_queries(client_a, small, view)
        large_count, large_cells, sql = month_queries(client_a, large, view)
    assert large_cells > small_cells  # 16 times as many cells…
    if view == "mois":
        assert (small_cells, large_cells) == (23, 16 * 23)
    assert small_count == large_count, "\n".join(sql)  # …and not one more query.
    assert large_count <= 20, "\n".join(sql)


@pytest.mark.parametrize("view", ["mois", "semaine", "semaine5", "jour"])
def test_the_cached_grid_costs_fewer_queries(client_a, collectivity_a, view):
    small = build_family(collectivity_a, name="Petit", children=1, activities=1)
    large = build_family(collectivity_a, name="Grand", children=4, activities=4)
    with time_machine.travel(NOW, tick=False):
        cold, _cells, _sql = month_queries(client_a, large, view)
        warm, warm_cells, sql = month_queries(client_a, large, view, cold=False)
        small_warm, _cells, _sql = month_queries(client_a, small, view, cold=False)
    assert warm_cells > 0
    # Enrolments, slots, bookings and request lines come from the cache; only the waiting
    # list's positions (another family's moves change them) are read again, when shown.
    # The key reads the account's families and the entry's activities as plain rows: never
    # the children, the enrolments or the activities as models (``family_required``'s check
    # is the families' query).
    assert warm <= cold - 4, "\n".join(sql)
    assert small_warm <= warm
    assert not [q for q in sql if '"family_child"' in q or '"planning_enrolment"' in q], sql
