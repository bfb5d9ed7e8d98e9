"""Read paths of the parent's planning: the state of each (child, slot) cell, the legend, the
cells of a period and a slot's history.

A cell's *display state* is what the legend of the guides shows ("Inscrit, réservable",
"Inscrit, non réservable", "Demande en attente de validation", "Réservé / présent", "En liste d’attente", "Absent",
"Absence facturée"): each has its own colour, symbol AND text, never colour alone.

``planning_cells`` reads a whole period in a fixed number of queries (enrolments, slots, then
bookings with their waiting-list position, then pending request lines), whatever the number of
children, activities or bookings; ``planning_grid_cells`` gives the planning page the same
cells as plain rows in three.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NamedTuple

from django.db import router
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from family.models import Child, Subscription
from portal.compiled import compiled_rows
from portal.formats import time_fr

from ..models import (
    Activity,
    Booking,
    BookingEvent,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
    Slot,
)
from ..rules import local_now, reservation_closed_reason

BOOKABLE = "bookable"
CLOSED = "closed"
PENDING = "pending"
RESERVED = "reserved"
WAITING = "waiting"
ABSENT = "absent"
ABSENT_BILLED = "absent_billed"


# The legend's words for a day the child is enrolled in and may ask for; the help guide
# (cms_pages.demo_content.SLOT_STATES) prints the same label.
BOOKABLE_LABEL = gettext_lazy("Inscrit, réservable")
# Enrolled that day, no booking, and a reservation can no longer (or not yet) be asked for
# (``planning.rules.reservation_closed_reason``: the same rule as the slot page's option).
CLOSED_LABEL = gettext_lazy("Inscrit, non réservable")


@dataclass(frozen=True)
class LegendEntry:
    code: str
    label: str
    symbol: str
    css_class: str
    description: str


def _entry(code, label, symbol, description) -> LegendEntry:
    return LegendEntry(
        code=code,
        label=label,
        symbol=symbol,
        css_class=f"state--{code.replace('_', '-')}",
        description=description,
    )


# Same order, colours and symbols as the help guide (cms_pages.demo_content.SLOT_STATES).
STATE_LEGEND: dict[str, LegendEntry] = {
    entry.code: entry
    for entry in (
        _entry(
            BOOKABLE,
            BOOKABLE_LABEL,
            "+",
            gettext_lazy(
                "Votre enfant est inscrit à l’activité ce jour-là ; vous pouvez demander "
                "une réservation."
            ),
        ),
        _entry(
            CLOSED,
            CLOSED_LABEL,
            "🔒",
            gettext_lazy(
                "Votre enfant est inscrit ce jour-là, mais le délai de réservation est dépassé "
                "ou la réservation n’est pas encore ouverte : aucune demande n’est possible."
            ),
        ),
        _entry(
            PENDING,
            gettext_lazy("Demande en attente de validation"),
            "⧗",
            gettext_lazy(
                "Vous avez envoyé une demande ; la collectivité ne l’a pas encore traitée."
            ),
        ),
        _entry(
            RESERVED,
            gettext_lazy("Réservé / présent"),
            "✓",
            gettext_lazy("La réservation est acceptée, ou votre enfant a été pointé présent."),
        ),
        _entry(
            WAITING,
            gettext_lazy("En liste d’attente"),
            "◷",
            gettext_lazy(
                "L’activité est complète ; votre enfant attend qu’une place se libère, sa "
                "position est indiquée."
            ),
        ),
        _entry(
            ABSENT,
            gettext_lazy("Absent"),
            "−",
            gettext_lazy("L’absence est enregistrée et n’est pas facturée."),
        ),
        _entry(
            ABSENT_BILLED,
            gettext_lazy("Absence facturée"),
            "€",
            gettext_lazy(
                "L’absence a été signalée trop tard ou n’a pas été justifiée : le créneau "
                "reste facturé."
            ),
        ),
    )
}

# Children are told apart by a colour (and always by their first name too). Every colour of
# this palette gives white text a contrast of at least 4.5:1, and none is one of the states'.
CHILD_PALETTE = ("#6a1b9a", "#005f73", "#a4161a", "#7a4100", "#283593", "#5b5b00", "#ad1457")


def child_colour(index: int) -> str:
    return CHILD_PALETTE[index % len(CHILD_PALETTE)]


def child_colour_class(index: int) -> str:
    """The CSS class that gives a child's colour (``static/css/planning.css`` defines one per
    colour of ``CHILD_PALETTE``): a class, not a ``style`` attribute, which the content
    security policy refuses."""
    return f"child-colour-{index % len(CHILD_PALETTE)}"


_State = Booking.State


def display_state(
    booking_state: str | None,
    pending_absence: bool,
    *,
    pending_reservation: bool = False,
    closed: bool = False,
) -> str:
    """The legend code of a (child, slot) cell.

    ``booking_state`` is the child's Booking state on the slot (None: no booking row);
    ``pending_absence``: a pending absence request line exists on the slot (the booking stays
    RESERVED until an agent decides); ``pending_reservation``: a pending reservation line
    exists while no live booking does (a request not yet turned into a PENDING booking);
    ``closed``: a reservation can no longer be asked for on the slot
    (``planning.rules.reservation_closed_reason`` gave a reason).
    """
    if booking_state in (None, "", _State.CANCELLED):
        if pending_reservation:
            return PENDING
        return CLOSED if closed else BOOKABLE
    if booking_state == _State.PENDING:
        return PENDING
    if booking_state == _State.RESERVED:
        return PENDING if pending_absence else RESERVED
    if booking_state == _State.PRESENT:
        return RESERVED
    if booking_state in (_State.WAITING, _State.OFFERED):
        return WAITING
    if booking_state == _State.ABSENT:
        return ABSENT
    if booking_state == _State.ABSENT_BILLED:
        return ABSENT_BILLED
    raise ValueError(f"Unknown booking state: {booking_state!r}")


def state_text(
    *,
    state: str,
    booking_state: str | None = None,
    position: int | None = None,
    offer_expires_at: datetime | None = None,
    pending_absence: bool = False,
) -> str:
    """The words shown on a cell: the legend label, made precise where it helps."""
    if booking_state == _State.OFFERED:
        if offer_expires_at is not None:
            local = timezone.localtime(offer_expires_at)
            return _("Place proposée jusqu’au %(date)s à %(time)s") % {
                "date": formats.date_format(local, "j F"),
                "time": time_fr(local),
            }
        return _("Place proposée")
    if state == WAITING and position:
        return _("En liste d’attente (position %(position)d)") % {"position": position}
    if state == PENDING and pending_absence:
        return _("Absence en attente de validation")
    return str(STATE_LEGEND[state].label)


def booking_state_label(booking_state: str | None, *, closed: bool = False) -> str:
    """The legend's words for a booking state, so that a slot's history says what its card
    says (« Inscrit, réservable », never « Non réservé »); ``closed`` as in
    ``display_state``."""
    if booking_state == _State.OFFERED:
        return _("Place proposée")
    return str(STATE_LEGEND[display_state(booking_state, False, closed=closed)].label)


@dataclass
class Cell:
    """One child on one slot of an activity the child is enrolled in, on that date."""

    date: date
    slot: Slot
    child: Child
    activity: Activity
    state: str
    label: str
    legend: LegendEntry
    booking_id: int | None = None
    booking_state: str | None = None
    position: int | None = None
    offer_expires_at: datetime | None = None
    pending_absence: bool = False
    closed_reason: str | None = None  # CLOSED: why no reservation can be asked for

    @property
    def symbol(self) -> str:
        return self.legend.symbol

    @property
    def css_class(self) -> str:
        return self.legend.css_class


def _waiting_position():
    """Position on the slot's waiting list (order of arrival, then pk), for a WAITING row."""
    own_queued = Coalesce(OuterRef("queued_at"), OuterRef("updated_at"))
    ahead = (
        Booking.objects.filter(slot_id=OuterRef("slot_id"), state=_State.WAITING)
        .annotate(sort_at=Coalesce("queued_at", "updated_at"))
        .filter(Q(sort_at__lt=own_queued) | Q(sort_at=own_queued, pk__lte=OuterRef("pk")))
        .order_by()
        .values("slot_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Only WAITING rows need it: the CASE spares the correlated count on the others.
    return Case(
        When(
            state=_State.WAITING,
            then=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)),
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


def planning_cells(
    *, family_children, activity_ids, start: date, end: date, activities=None
) -> list[Cell]:
    """Every (child, slot) pair of [start, end] where the child holds an accepted enrolment
    of the slot's activity covering the date, booked or not; ordered by date, time, activity
    and child order.

    ``family_children``: the children to show (already reached through the request's scope);
    ``activity_ids``: the activities to show (None: all). ``activities``: the Activity rows the
    caller already read through its scope (the planning's filter), shared by the slots instead
    of one copy per slot row (a month has ~80 slots). Four queries at most.
    """
    children = list(family_children)
    if not children or (activity_ids is not None and not list(activity_ids)):
        return []
    child_by_id = {child.pk: child for child in children}

    enrolments = Enrolment.objects.filter(
        child_id__in=child_by_id,
        status=Enrolment.Status.ACCEPTED,
        start_date__lte=end,
        end_date__gte=start,
    )
    if activity_ids is not None:
        enrolments = enrolments.filter(activity_id__in=list(activity_ids))
    periods: dict[tuple[int, int], list[tuple[date, date]]] = defaultdict(list)
    for child_id, activity_id, from_date, to_date in enrolments.values_list(
        "child_id", "activity_id", "start_date", "end_date"
    ):
        periods[(child_id, activity_id)].append((from_date, to_date))
    if not periods:
        return []
    enrolled_activity_ids = {activity_id for _child_id, activity_id in periods}

    slots = Slot.objects.filter(
        activity_id__in=enrolled_activity_ids, date__range=(start, end)
    ).order_by("date", "start_time", "activity__name", "pk")
    known = {activity.pk: activity for activity in activities or ()}
    if enrolled_activity_ids <= known.keys():
        slots = list(slots)
        for slot in slots:
            slot.activity = known[slot.activity_id]
    else:
        slots = list(slots.select_related("activity"))
    if not slots:
        return []

    bookings = _bookings(child_by_id, enrolled_activity_ids, start, end)
    build = _CellBuilder(
        bookings=bookings,
        pending_kinds=_pending_kinds(child_by_id, enrolled_activity_ids, start, end),
    )
    slots_by_activity: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        slots_by_activity[slot.activity_id].append(slot)
    cells = []
    for (child_id, activity_id), ranges in periods.items():
        for slot in slots_by_activity.get(activity_id, ()):
            if any(from_date <= slot.date <= to_date for from_date, to_date in ranges):
                cell = build.cell(slot=slot, child=child_by_id[child_id])
                if cell is not None:
                    cells.append(cell)
    return _in_order(cells, children)


class SlotRow(NamedTuple):
    """A slot as the planning page reads it (``planning_grid_cells``): what its cells, the
    rules of ``planning.rules`` and the cache of ``planning.grid_cache`` read of a slot,
    without a model instance."""

    pk: int
    activity_id: int
    date: date
    start_time: time
    end_time: time
    is_orphan: bool
    activity: Activity


_SLOT_FIELDS = ("pk", "date", "start_time", "end_time", "is_orphan")


def planning_slot_rows(*, children, activities, start: date, end: date) -> list[tuple]:
    """The children's slots of [start, end] in the activities they hold an accepted
    enrolment of, within its period, read in one query compiled once a period
    (``portal.compiled``): (child id, activity id, (the slot's ``_SLOT_FIELDS``)).
    ``children`` and ``activities``: the rows the caller read through its scope
    (``planning_choices``). Plain tuples: the cached planning keeps them while the families'
    rosters and the activities stay as they were (``planning.grid_cache``)."""
    if not children or not activities:
        return []
    rows = compiled_rows(
        ("planning.grid_slots", start, end),
        functools.partial(_grid_slots_query, start=start, end=end),
        child_ids=[child.pk for child in children],
        activity_ids=[activity.pk for activity in activities],
    )
    # One tuple of a slot's fields for all its rows (a slot has a row per child): pickled
    # once in the cached entry instead of once a row.
    fields_of: dict[int, tuple] = {}
    return [
        (child_id, activity_id, fields_of.setdefault(slot_id, (slot_id, *fields)))
        for child_id, activity_id, slot_id, *fields in rows
    ]


def planning_grid_cells(
    *, children, activities, start: date, end: date, slot_rows: list[tuple] | None = None
) -> list[Cell]:
    """The cells of ``planning_cells`` for the planning page, read as rows in two queries
    instead of four: the children's enrolments joined with their activities' slots of
    [start, end] (``planning_slot_rows``, unless the caller has them: ``slot_rows``; no
    ``Slot`` instance: a cell's slot is a ``SlotRow``), then the bookings with their
    waiting-list positions and the pending request lines (``_bookings_and_kinds``).
    ``children`` and ``activities``: the rows the caller read through its scope
    (``planning_choices``); only those activities are shown."""
    children = list(children)
    activity_by_id = {activity.pk: activity for activity in activities}
    if not children or not activity_by_id:
        return []
    child_by_id = {child.pk: child for child in children}
    rows = slot_rows
    if rows is None:
        rows = planning_slot_rows(children=children, activities=activities, start=start, end=end)
    slots: dict[int, SlotRow] = {}
    pairs: set[tuple[int, int]] = set()  # two enrolments of one period give the same pair
    for child_id, activity_id, (slot_id, *fields) in rows:
        if slot_id not in slots:
            slots[slot_id] = SlotRow(slot_id, activity_id, *fields, activity_by_id[activity_id])
        pairs.add((child_id, slot_id))
    if not pairs:
        return []
    bookings, pending_kinds = _bookings_and_kinds(list(child_by_id), list(slots))
    build = _CellBuilder(bookings=bookings, pending_kinds=pending_kinds)
    cells = []
    for child_id, slot_id in pairs:
        cell = build.cell(slot=slots[slot_id], child=child_by_id[child_id])
        if cell is not None:
            cells.append(cell)
    return _in_order(cells, children)


def _grid_slots_query(*, child_ids, activity_ids, start, end):
    """``planning_slot_rows``'s query (``portal.compiled``: built and compiled once a
    period): (child id, activity id, *the slot's ``_SLOT_FIELDS``) of each accepted
    enrolment's slots of [start, end] within its period. One filter() call: the slot's date is
    compared with the same enrolment row's period. The children and activities were read
    through the scope: their enrolments and slots are read by those ids, without the scope's
    joins and the default ordering."""
    return (
        Enrolment._base_manager.filter(
            child_id__any_of=child_ids,
            activity_id__any_of=activity_ids,
            status=Enrolment.Status.ACCEPTED,
            activity__slots__date__range=(start, end),
            activity__slots__date__gte=F("start_date"),
            activity__slots__date__lte=F("end_date"),
        )
        .order_by()
        .values_list(
            "child_id", "activity_id", *(f"activity__slots__{name}" for name in _SLOT_FIELDS)
        )
    )


def _bookings(child_ids, activity_ids, start, end) -> dict:
    """The children's bookings on the activities' slots of [start, end]: (child id, slot id)
    → [pk, state, waiting-list position or None, offer_expires_at]."""
    rows = Booking.objects.filter(
        child_id__in=child_ids, slot__activity_id__in=activity_ids, slot__date__range=(start, end)
    ).annotate(position=_waiting_position())
    return {
        (child_id, slot_id): booking
        for child_id, slot_id, *booking in rows.values_list(
            "child_id", "slot_id", "pk", "state", "position", "offer_expires_at"
        )
    }


# The three halves of ``_bookings_and_kinds``'s query.
_BOOKING_ROW, _LINE_ROW, _WAITING_ROW = 0, 1, 2


def _bookings_and_kinds(child_ids: list[int], slot_ids: list[int]) -> tuple[dict, dict]:
    """What ``_bookings`` and ``_pending_kinds`` read, in one query: the children's bookings
    on the slots with their waiting-list positions, (child id, slot id) → [pk, state,
    position or None, offer_expires_at], and the request kinds of their pending request lines
    there, (child id, slot id) → kinds.

    A UNION ALL of three halves of the same columns (row kind, child, slot, id, state or
    request kind, instant): the bookings, the pending lines, and every WAITING row of the
    slots where one of the children waits, ranked here by arrival then id as
    ``_waiting_position`` counts them (cheaper to build than that correlated count).

    ``child_ids`` and ``slot_ids``: rows the caller read through its scope (the account's
    children, the slots of their activities here), so the rows of those ids are read without
    the scope's joins (``_base_manager``) and without the models' default ordering: no join
    but the request line's request (its kind)."""
    rows = compiled_rows(
        ("planning.bookings_and_kinds",),
        _bookings_and_kinds_query,
        child_ids=child_ids,
        slot_ids=slot_ids,
    )
    found: dict[tuple[int, int], list] = {}
    kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    queues = []
    for kind, child_id, slot_id, pk, word, instant in rows:
        if kind == _BOOKING_ROW:
            found[(child_id, slot_id)] = [pk, word, None, instant]
        elif kind == _LINE_ROW:
            kinds[(child_id, slot_id)].add(word)
        else:
            queues.append((slot_id, instant, pk))
    positions = waiting_ranks(queues)
    for booking in found.values():
        if booking[1] == _State.WAITING:
            booking[2] = positions.get(booking[0], 0)
    return found, kinds


def _bookings_and_kinds_query(*, child_ids, slot_ids):
    """``_bookings_and_kinds``'s query (``portal.compiled``: built and compiled once)."""
    ours = {"child_id__any_of": child_ids, "slot_id__any_of": slot_ids}
    bookings = Booking._base_manager.filter(**ours).order_by()
    no_id, no_instant = Value(None, IntegerField()), Value(None, DateTimeField())
    halves = (
        bookings.annotate(row_kind=Value(_BOOKING_ROW)).values_list(
            "row_kind", "child_id", "slot_id", "pk", "state", "offer_expires_at"
        ),
        BookingRequestLine._base_manager.filter(status=BookingRequestLine.Status.PENDING, **ours)
        .order_by()
        .annotate(row_kind=Value(_LINE_ROW), no_id=no_id, no_instant=no_instant)
        .values_list("row_kind", "child_id", "slot_id", "no_id", "request__kind", "no_instant"),
        Booking._base_manager.filter(
            state=_State.WAITING,
            slot_id__in=bookings.filter(state=_State.WAITING).values("slot_id"),
        )
        .order_by()
        .annotate(row_kind=Value(_WAITING_ROW), sort_at=Coalesce("queued_at", "updated_at"))
        .values_list("row_kind", "child_id", "slot_id", "pk", "state", "sort_at"),
    )
    return halves[0].union(*halves[1:], all=True)


def waiting_ranks(rows) -> dict[int, int]:
    """The waiting-list position of each booking of ``rows``, ``(slot id, arrival, booking
    id)`` of every WAITING booking of their slots: by arrival then id on each slot, as
    ``_waiting_position`` counts them."""
    positions, rank, current = {}, 0, None
    for slot_id, _instant, pk in sorted(rows):
        rank = rank + 1 if slot_id == current else 1
        current = slot_id
        positions[pk] = rank
    return positions


def _pending_kinds(child_ids, activity_ids, start, end) -> dict[tuple[int, int], set[str]]:
    """The kinds of the pending request lines of the children on the activities' slots of
    [start, end], by (child id, slot id)."""
    kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    for child_id, slot_id, kind in BookingRequestLine.objects.filter(
        status=BookingRequestLine.Status.PENDING,
        child_id__in=child_ids,
        slot__activity_id__in=activity_ids,
        slot__date__range=(start, end),
    ).values_list("child_id", "slot_id", "request__kind"):
        kinds[(child_id, slot_id)].add(kind)
    return kinds


class _CellBuilder:
    """A (child, slot) pair made into its ``Cell`` from the period's bookings and pending
    request kinds (``_bookings``, ``_pending_kinds``); each slot's closing reason and each
    cell's words computed once a page (most cells say the same few words)."""

    def __init__(self, *, bookings: dict, pending_kinds: dict):
        self.bookings = bookings
        self.pending_kinds = pending_kinds
        self.now = local_now()
        self.closed_reasons: dict[int, str | None] = {}
        self.texts: dict[tuple, str] = {}

    def cell(self, *, slot, child) -> Cell | None:
        """The cell, or None for a date removed from the calendar and not booked there."""
        booking_id, booking_state, position, offer_expires_at = self.bookings.get(
            (child.pk, slot.pk), (None, None, None, None)
        )
        if slot.is_orphan and booking_state in (None, _State.CANCELLED):
            return None  # a date removed from the calendar stays visible only where booked
        kinds = self.pending_kinds.get((child.pk, slot.pk), ())
        pending_absence = BookingRequest.Kind.ABSENCE in kinds
        if slot.pk not in self.closed_reasons:
            self.closed_reasons[slot.pk] = reservation_closed_reason(slot.activity, slot, self.now)
        closed_reason = self.closed_reasons[slot.pk]
        state = display_state(
            booking_state,
            pending_absence,
            pending_reservation=BookingRequest.Kind.RESERVATION in kinds,
            closed=closed_reason is not None,
        )
        if booking_state != _State.WAITING:
            position = None
        return Cell(
            date=slot.date,
            slot=slot,
            child=child,
            activity=slot.activity,
            state=state,
            label=self.text(state, booking_state, position, offer_expires_at, pending_absence),
            legend=STATE_LEGEND[state],
            booking_id=booking_id,
            booking_state=booking_state,
            position=position,
            offer_expires_at=offer_expires_at,
            pending_absence=pending_absence,
            closed_reason=closed_reason if state == CLOSED else None,
        )

    def text(self, state, booking_state, position, offer_expires_at, pending_absence) -> str:
        key = (
            state,
            booking_state,
            position,
            offer_expires_at,
            pending_absence and booking_state == _State.RESERVED,
        )
        if key not in self.texts:
            self.texts[key] = state_text(
                state=state,
                booking_state=booking_state,
                position=position,
                offer_expires_at=offer_expires_at,
                pending_absence=key[4],
            )
        return self.texts[key]


def _in_order(cells: list[Cell], children: list) -> list[Cell]:
    """By date, time, activity and child order."""
    child_order = {child.pk: index for index, child in enumerate(children)}
    cells.sort(
        key=lambda cell: (
            cell.date,
            cell.slot.start_time,
            cell.activity.name,
            cell.slot.activity_id,
            child_order[cell.child.pk],
        )
    )
    return cells


def child_cell(*, child, slot) -> Cell | None:
    """The cell of one child on one slot (None when the child is not enrolled that day)."""
    cells = planning_cells(
        family_children=[child], activity_ids=[slot.activity_id], start=slot.date, end=slot.date
    )
    return next((cell for cell in cells if cell.slot.pk == slot.pk), None)


# --- history of a slot ------------------------------------------------------------------------

FAMILY, AGENT, SYSTEM = "family", "agent", "system"
ACTOR_ROLES = {
    FAMILY: gettext_lazy("famille"),
    AGENT: gettext_lazy("agent"),
    SYSTEM: gettext_lazy("automatique"),
}

_DECISION_VERBS = {
    BookingEvent.Verb.ACCEPTED,
    BookingEvent.Verb.REFUSED,
    BookingEvent.Verb.CANCELLED,
    BookingEvent.Verb.WAITING,
}
_LINE_DECISION_TEXT = {
    BookingRequestLine.Status.ACCEPTED: gettext_lazy("Demande acceptée"),
    BookingRequestLine.Status.WAITING: gettext_lazy("Inscrit en liste d’attente"),
    BookingRequestLine.Status.REFUSED: gettext_lazy("Demande refusée"),
    BookingRequestLine.Status.CANCELLED: gettext_lazy("Demande annulée"),
}


@dataclass
class HistoryEntry:
    at: datetime
    text: str
    actor_role: str
    state_label: str = ""
    request: BookingRequest | None = None
    note: str = ""
    order: tuple = ()

    @property
    def actor_label(self) -> str:
        return str(ACTOR_ROLES[self.actor_role])


@dataclass
class SlotHistory:
    events: list
    lines: list
    entries: list[HistoryEntry]


def _request_text(kind: str) -> str:
    if kind == BookingRequest.Kind.ABSENCE:
        return _("Demande d’absence envoyée")
    return _("Demande de réservation envoyée")


def slot_history(*, child, slot) -> SlotHistory:
    """Every request and decision about ``child`` on ``slot``: the BookingEvent rows (with
    their request line and request), the request lines, and both merged into one timeline
    (a line with no event of its own still shows its sending and its decision). Three
    queries."""
    closed = reservation_closed_reason(slot.activity, slot) is not None
    events = list(
        BookingEvent.objects.filter(booking__child=child, booking__slot=slot)
        .select_related("request_line__request")
        .order_by("created_at", "pk")
    )
    lines = list(
        BookingRequestLine.objects.filter(child=child, slot=slot)
        .select_related("request")
        .order_by("request__created_at", "pk")
    )
    family_user_ids = set(
        Subscription.objects.filter(family_id=child.family_id).values_list("user_id", flat=True)
    )

    def role(user_id) -> str:
        if user_id is None:
            return SYSTEM
        return FAMILY if user_id in family_user_ids else AGENT

    entries = []
    verbs_by_line: dict[int, set[str]] = defaultdict(set)
    for event in events:
        if event.request_line_id:
            verbs_by_line[event.request_line_id].add(event.verb)
        entries.append(
            HistoryEntry(
                at=event.created_at,
                text=event.get_verb_display(),
                actor_role=role(event.actor_id),
                state_label=booking_state_label(event.state, closed=closed),
                request=event.request_line.request if event.request_line else None,
                note=event.note,
                order=(event.created_at, 1, event.pk),
            )
        )
    for line in lines:
        verbs = verbs_by_line.get(line.pk, set())
        request = line.request
        if BookingEvent.Verb.REQUESTED not in verbs:
            entries.append(
                HistoryEntry(
                    at=request.created_at,
                    text=_request_text(request.kind),
                    actor_role=role(request.created_by_id),
                    state_label=line.get_status_display()
                    if line.status == BookingRequestLine.Status.PENDING
                    else "",
                    request=request,
                    note=request.comment,
                    order=(request.created_at, 0, line.pk),
                )
            )
        decided = line.status != BookingRequestLine.Status.PENDING
        if decided and not (verbs & _DECISION_VERBS):
            at = line.decided_at or request.decided_at or request.created_at
            entries.append(
                HistoryEntry(
                    at=at,
                    text=str(_LINE_DECISION_TEXT[line.status]),
                    actor_role=role(line.decided_by_id)
                    if line.decided_by_id
                    else (FAMILY if line.status == line.Status.CANCELLED else SYSTEM),
                    state_label=line.get_status_display(),
                    request=request,
                    note=line.refusal_reason,
                    order=(at, 2, line.pk),
                )
            )
    entries.sort(key=lambda entry: entry.order)
    return SlotHistory(events=events, lines=lines, entries=entries)


# --- activities offered ------------------------------------------------------------------------


def activities_for_family(scope, family):
    """The active activities the family's children hold an accepted enrolment in."""
    enrolled = (
        scope.parent(Enrolment)
        .filter(child__family=family, status=Enrolment.Status.ACCEPTED)
        .values("activity_id")
    )
    return scope.rows(Activity).filter(pk__in=enrolled, is_active=True).order_by("name", "pk")


class ChildRow(NamedTuple):
    """A child as the planning page lists it (``planning_choices``): what its filter and its
    cells print, without a model instance."""

    pk: int
    first_name: str


def planning_choices(scope, *, school_year: tuple[date, date], family_ids) -> tuple[list, list]:
    """(children, activities) of the parent's planning: the account's children (by family,
    then age) as ``ChildRow``, and the activities they hold an accepted enrolment in during
    the school year (the activity filter's window). ``family_ids``: the account's families
    here, as the caller has just read them through ``scope.families``
    (``planning_families``, or the cached grid's check). Two queries compiled once a
    collectivity (``portal.compiled``)."""
    collectivity_id = scope.collectivity.pk
    children = [
        ChildRow(*row)
        for row in compiled_rows(
            ("planning.choices.children", collectivity_id),
            functools.partial(_children_query, scope=scope),
            family_ids=family_ids,
        )
    ]
    if not children:
        return children, []
    activities = [
        Activity.from_db(router.db_for_read(Activity), _ACTIVITY_FIELDS, row)
        for row in compiled_rows(
            ("planning.choices.activities", collectivity_id, *school_year),
            functools.partial(_activities_query, scope=scope, school_year=school_year),
            child_ids=[child.pk for child in children],
        )
    ]
    return children, activities


def _children_query(*, scope, family_ids):
    return (
        scope.rows(Child)
        .filter(family_id__any_of=family_ids)
        .order_by("family__name", "family_id", "birth_date", "first_name", "pk")
        .values_list("pk", "first_name")
    )


_ACTIVITY_FIELDS = tuple(field.attname for field in Activity._meta.concrete_fields)


def _activities_query(*, scope, school_year, child_ids):
    """The activities of the children's accepted enrolments of the school year. The
    children were read through the scope: their enrolments are read by their ids."""
    year_start, year_end = school_year
    enrolments = Enrolment._base_manager.filter(
        child_id__any_of=child_ids,
        status=Enrolment.Status.ACCEPTED,
        start_date__lte=year_end,
        end_date__gte=year_start,
    ).order_by()
    return (
        scope.rows(Activity)
        .filter(pk__in=enrolments.values("activity_id"))
        .order_by("name", "pk")
        .values_list(*_ACTIVITY_FIELDS)
    )


def planning_families(scope) -> list[tuple]:
    """The account's families here as the cached planning records them: ``(pk,
    planning_version, roster_version, created_at)`` by pk, in one small query (no model
    instances)."""
    return list(
        scope.families.order_by("pk").values_list(
            "pk", "planning_version", "roster_version", "created_at"
        )
    )
