"""The capacity engine under a rush: 20 families ask for the last 5 places of a slot at the
same time, each in its own thread and database connection. The slot lock lets exactly the
capacity through; the others wait, in the order they arrived (``tests/planning/fairness.py``).
PostgreSQL only (SQLite serialises writers, which would prove nothing).

Checked to fail without the lock: with ``select_for_update`` removed from
``planning.services.bookings._lock_slots``, the slot is oversold (``holders == CAPACITY``
fails), every time: ``rush_the_lock`` makes the 20 transactions reach the lock together."""

import datetime
import threading

from django.db import connection
from django.utils import timezone

import pytest

from planning.models import Activity, Booking, BookingRequest, BookingRequestLine
from planning.services import request_submit
from portal.scoping import tenant_scope
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
    SlotFactory,
)
from tests.planning.fairness import inversions, rush_the_lock, unexplained
from tests.portal.factories import FamilyFactory, SubscriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAMILIES = 20
CAPACITY = 8
ALREADY_HELD = 3  # so 5 places are left


def test_rush_on_the_last_places(collectivity_a, monkeypatch):
    day = timezone.localdate() + datetime.timedelta(days=10)
    activity = ActivityFactory(
        collectivity=collectivity_a,
        requires_approval=False,
        capacity=CAPACITY,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        opening=Activity.Opening.ALL_YEAR,
        start_date=day - datetime.timedelta(days=30),
        end_date=day + datetime.timedelta(days=30),
    )
    slot = SlotFactory(activity=activity, date=day)
    for _i in range(ALREADY_HELD):
        BookingFactory(
            slot=slot, child=ChildFactory(family=FamilyFactory(collectivity=collectivity_a))
        )
    parents = []
    for _i in range(FAMILIES):
        family = FamilyFactory(collectivity=collectivity_a)
        user = SubscriptionFactory(family=family).user
        child = ChildFactory(family=family)
        EnrolmentFactory(child=child, activity=activity)
        parents.append((family, user, child))

    barrier = threading.Barrier(FAMILIES)
    rush_the_lock(monkeypatch, FAMILIES)
    errors: list[BaseException] = []
    finished = {}

    def rush(family, user, child):
        try:
            barrier.wait(timeout=30)
            with tenant_scope(family.collectivity):  # a thread starts with no scope
                request_submit(
                    family=family,
                    user=user,
                    kind=BookingRequest.Kind.RESERVATION,
                    activity=activity,
                    children=[child],
                    date_from=day,
                    date_to=day,
                    weekdays=[day.weekday()],
                    submission_key=f"rush-{child.pk}",
                )
            finished[child.pk] = timezone.now()  # at or after the commit
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rush, args=parent) for parent in parents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    holders = Booking.objects.filter(slot=slot, state__in=Booking.HOLDS_PLACE).count()
    assert holders == CAPACITY
    rushed = Booking.objects.filter(slot=slot, child__in=[c for _f, _u, c in parents])
    assert rushed.filter(state=Booking.State.RESERVED).count() == CAPACITY - ALREADY_HELD
    waiting = list(rushed.filter(state=Booking.State.WAITING).order_by("queued_at", "pk"))
    assert len(waiting) == FAMILIES - (CAPACITY - ALREADY_HELD)
    queued = [b.queued_at for b in waiting]
    assert len(set(queued)) == len(queued)  # strictly increasing, no tie

    # One request per family; its line says what it got.
    assert BookingRequest.objects.count() == FAMILIES
    lines = BookingRequestLine.objects.filter(slot=slot)
    assert lines.filter(status=BookingRequestLine.Status.ACCEPTED).count() == 5
    assert lines.filter(status=BookingRequestLine.Status.WAITING).count() == len(waiting)

    # First come, first served: the waiting list follows arrival exactly, and a later arrival
    # holds a place while an earlier one waits only if the earlier one was still in progress.
    arrival = dict(BookingRequest.objects.values_list("lines__child_id", "received_at"))
    assert None not in arrival.values()
    waiting_children = [b.child_id for b in waiting]
    assert waiting_children == sorted(waiting_children, key=lambda child: arrival[child])
    assert [b.queued_at for b in waiting] == [arrival[c] for c in waiting_children]
    reserved_children = set(
        rushed.filter(state=Booking.State.RESERVED).values_list("child_id", flat=True)
    )
    pairs = inversions(arrival=arrival, holders=reserved_children, waiting=waiting_children)
    assert unexplained(pairs, arrival=arrival, finished=finished) == []
