"""Slot generation: the activity's calendar turned into ``Slot`` rows ("créneaux").

``slots_generate`` is idempotent: run it after any change of an activity or of its closures.
It only touches slots from today on (Europe/Paris): past slots are history (attendance,
billing) and never change. A date that leaves the calendar while children are booked on it
is kept as an orphan (``is_orphan``), reported, and its bookings get an ORPHANED event; nobody
loses a place silently. The number of queries does not depend on the number of dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from notifications.services import event_record
from portal.formats import actor_or_none

from ..calendar import activity_open_dates
from ..models import Activity, Booking, BookingEvent, Slot
from ..versions import bump
from . import bookings

CREATE_BATCH_SIZE = 500


@dataclass
class SlotReport:
    """What a generation did (counts) and what needs an agent's attention (lists)."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    # Future slots out of the calendar but kept because children are booked on them.
    orphans: list[Slot] = field(default_factory=list)
    # Orphans whose date came back into the calendar.
    restored: int = 0
    # Slots whose new capacity is below the places already held (nobody was removed).
    over_capacity: list[Slot] = field(default_factory=list)
    # Children moved up from a waiting list because places were added.
    promoted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.restored) or bool(
            self.orphans
        )


def _today() -> date:
    return timezone.localdate()


@transaction.atomic
def slots_for_dates(activity: Activity, days) -> list[Slot]:
    """Unsaved slots of the activity on these dates, with its times and capacity."""
    return [
        Slot(
            activity=activity,
            date=day,
            start_time=activity.start_time,
            end_time=activity.end_time,
            capacity=activity.capacity,
        )
        for day in days
    ]


def slots_generate(*, activity: Activity, actor=None) -> SlotReport:
    """Create, update, remove or orphan the activity's future slots to match its calendar."""
    activity = (
        Activity.objects.select_for_update(of=("self",))
        .select_related("collectivity")
        .get(pk=activity.pk)
    )
    today = _today()
    open_dates = {day for day in activity_open_dates(activity) if day >= today}

    # Lock the future slots in a fixed order (as the capacity engine does), then count their
    # bookings in one aggregate query (FOR UPDATE cannot be combined with GROUP BY).
    future = Slot.objects.filter(activity=activity, date__gte=today)
    list(future.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    slots = list(
        future.annotate(
            live=Count(
                "bookings", filter=~Q(bookings__state=Booking.State.CANCELLED), distinct=True
            ),
            holders=Count(
                "bookings", filter=Q(bookings__state__in=Booking.HOLDS_PLACE), distinct=True
            ),
            waiting=Count(
                "bookings", filter=Q(bookings__state=Booking.State.WAITING), distinct=True
            ),
            lines=Count("request_lines", distinct=True),
        ).order_by("date")
    )

    report = SlotReport()
    existing_dates = set()
    to_update, to_delete, new_orphans, to_promote = [], [], [], []
    for slot in slots:
        existing_dates.add(slot.date)
        if slot.date in open_dates:
            differs = (
                slot.start_time != activity.start_time
                or slot.end_time != activity.end_time
                or slot.capacity != activity.capacity
            )
            if slot.is_orphan:
                report.restored += 1
            elif differs:
                report.updated += 1
            if slot.waiting and (slot.is_orphan or activity.capacity > slot.capacity):
                to_promote.append(slot.pk)
            if differs or slot.is_orphan:
                slot.start_time = activity.start_time
                slot.end_time = activity.end_time
                slot.capacity = activity.capacity
                slot.is_orphan = False
                to_update.append(slot)
            if slot.holders > slot.capacity:
                report.over_capacity.append(slot)
        elif slot.live or slot.lines:
            # Bookings or request history hang on this date: keep it, out of the calendar.
            if not slot.is_orphan:
                slot.is_orphan = True
                new_orphans.append(slot)
            report.orphans.append(slot)
        else:
            to_delete.append(slot.pk)

    if to_update:
        Slot.objects.bulk_update(
            to_update, ["start_time", "end_time", "capacity", "is_orphan"], batch_size=500
        )
    if new_orphans:
        Slot.objects.filter(pk__in=[slot.pk for slot in new_orphans]).update(is_orphan=True)
        live_bookings = list(
            Booking.objects.filter(slot__in=new_orphans).exclude(state=Booking.State.CANCELLED)
        )
        BookingEvent.objects.bulk_create(
            [
                BookingEvent(
                    booking=booking,
                    verb=BookingEvent.Verb.ORPHANED,
                    state=booking.state,
                    actor=actor_or_none(actor),
                )
                for booking in live_bookings
            ],
            batch_size=CREATE_BATCH_SIZE,
        )
    if to_delete:
        # Only CANCELLED bookings (no place, no request) can remain on these slots.
        Slot.objects.filter(pk__in=to_delete).delete()
        report.removed = len(to_delete)

    if to_promote:
        # More places (or a date back in the calendar): the waiting lists move up, through
        # the capacity engine like any freed place.
        report.promoted = len(bookings.promote(slot_ids=to_promote, actor=actor))

    missing = sorted(open_dates - existing_dates)
    if missing:
        Slot.objects.bulk_create(slots_for_dates(activity, missing), batch_size=CREATE_BATCH_SIZE)
        report.created = len(missing)
    if to_update or new_orphans or to_delete or missing:
        # Bulk writes send no signal: the cached plannings showing the activity are stale.
        bump(activity_ids=[activity.pk])

    if report.changed:
        event_record(
            collectivity=activity.collectivity,
            verb="activity_slots_generated",
            subject=activity,
            actor=actor,
            data={
                "created": report.created,
                "updated": report.updated,
                "removed": report.removed,
                "restored": report.restored,
                "orphans": [slot.date.isoformat() for slot in report.orphans],
                "new_orphans": [slot.date.isoformat() for slot in new_orphans],
                "over_capacity": [slot.date.isoformat() for slot in report.over_capacity],
                "promoted": report.promoted,
            },
        )
    return report


def orphan_slots(activity: Activity):
    """The activity's future slots out of the calendar, each with ``live_bookings`` (the
    children concerned, ordered by name): three queries whatever their number."""
    return (
        Slot.objects.filter(activity=activity, is_orphan=True, date__gte=_today())
        .order_by("date")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.exclude(state=Booking.State.CANCELLED)
                .select_related("child", "child__family")
                .order_by("child__last_name", "child__first_name", "pk"),
                to_attr="live_bookings",
            )
        )
    )
