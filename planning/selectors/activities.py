"""Reads of the back office's activity pages: the list, the occupancy of the slots and the
day's attendance registers. Callers pass ``request.scope`` (agents only)."""

from itertools import groupby

from django.db.models import Count, Q

from ..models import Activity, Booking, Slot
from ..services.attendance import EXPECTED_STATES

State = Booking.State


def activities_listed(scope):
    """The collectivity's activities with their number of slots, active ones first."""
    return (
        scope.agent(Activity)
        .annotate(slot_count=Count("slots"))
        .order_by("-is_active", "name", "pk")
    )


def occupancy_rows(slots_queryset):
    """Slots with ``booked`` (places held), ``waiting`` and ``pending`` counts: one query."""
    return (
        slots_queryset.select_related("activity")
        .annotate(
            booked=Count("bookings", filter=Q(bookings__state__in=Booking.HOLDS_PLACE)),
            waiting=Count("bookings", filter=Q(bookings__state=State.WAITING)),
            pending=Count("bookings", filter=Q(bookings__state=State.PENDING)),
        )
        .order_by("date", "activity__name", "start_time", "pk")
    )


def occupancy_days(scope, *, start, end, activity_id=None) -> list:
    """[(day, its slots with their counts and ``free`` places)] of the period."""
    slots = scope.agent(Slot).filter(date__range=(start, end))
    if activity_id:
        slots = slots.filter(activity_id=activity_id)
    rows = list(occupancy_rows(slots))
    for slot in rows:
        slot.free = max(slot.capacity - slot.booked, 0)
    return [(day, list(day_rows)) for day, day_rows in groupby(rows, key=lambda slot: slot.date)]


def attendance_slots(scope, day) -> list[Slot]:
    """The day's slots with how many children are expected and how many are marked."""
    return list(
        scope.agent(Slot)
        .filter(date=day)
        .select_related("activity")
        .annotate(
            expected=Count("bookings", filter=Q(bookings__state__in=EXPECTED_STATES)),
            marked=Count("bookings", filter=Q(bookings__attendance_marked_at__isnull=False)),
        )
        .order_by("start_time", "activity__name", "pk")
    )
