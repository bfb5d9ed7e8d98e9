"""The capacity engine: the only code that gives a place (RESERVED), a waiting-list position
(WAITING) or a freed place offer (OFFERED).

Every function locks the slots it touches first (``SELECT … FOR UPDATE`` on the slot rows, in
primary-key order so that two transactions never wait for each other in a cycle), then counts
the holders from the real booking rows in one aggregate query, decides, and writes the bookings
and their history (``BookingEvent``) in bulk. The number of queries does not depend on the
number of children or days. Callers run them inside their own ``transaction.atomic()``: the
request services (``planning.services.requests``), enrolment acceptance, attendance and tasks.
"""

import datetime
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from family.models import Subscription
from notifications.services import event_record
from portal.formats import actor_or_none, date_long, datetime_long

from .. import lock_stats
from ..errors import PlanningError
from ..models import Activity, Booking, BookingEvent, Slot
from ..versions import bump

State = Booking.State
Verb = BookingEvent.Verb

# A booking in one of these states is "live": a new reservation of the same child on the same
# slot is pointless (or already asked for).
LIVE_STATES = (State.RESERVED, State.OFFERED, State.PRESENT, State.WAITING, State.PENDING)
RELEASE_STATES = (State.ABSENT, State.ABSENT_BILLED, State.CANCELLED)

Pair = tuple[int, int]  # (child_id, slot_id)

ONE_MICROSECOND = datetime.timedelta(microseconds=1)


def bulk_limit_lift() -> None:
    """On SQLite, let bulk writes use the library's real variable limit instead of Django
    5.2's fixed 999 (Django 6.0 reads the limit the same way): a school year of days for
    several children is then one INSERT, not one per 140 rows, and the query count of the
    request services does not grow with the number of days. No effect on other databases."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if connection.features.max_query_params < limit:
        connection.features.max_query_params = limit


def _assert_atomic() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("The capacity engine must run inside transaction.atomic().")
    bulk_limit_lift()


def _lock_slots(
    slot_ids: Iterable[int], *, path: str = "locked", activity: bool = True
) -> dict[int, Slot]:
    """Lock the slot rows (one query, pk order) and return them, with their activity unless
    ``activity`` is False (the caller needs only the slots' own columns)."""
    ids = sorted(set(slot_ids))
    if not ids:
        return {}
    asked_at = time.perf_counter()
    slots = Slot.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    if activity:
        slots = slots.select_related("activity")
    slots = {slot.pk: slot for slot in slots}
    lock_stats.locked(asked_at=asked_at, path=path)
    return slots


def _slot_counters(slot_ids: Iterable[int]) -> dict[int, tuple[int, datetime.datetime | None]]:
    """Per slot: (places held, latest queued_at) in one aggregate query."""
    rows = (
        Booking.objects.filter(slot_id__in=list(slot_ids))
        .values("slot_id")
        .annotate(
            holders=Count("pk", filter=Q(state__in=Booking.HOLDS_PLACE)),
            last_queued=Max("queued_at"),
        )
        .order_by()
    )
    return {row["slot_id"]: (row["holders"], row["last_queued"]) for row in rows}


def holders_count(slot_ids: Iterable[int]) -> dict[int, int]:
    """Places held (RESERVED, OFFERED, PRESENT) per slot, in one query; 0 for empty slots.

    The engine's callers give slots they have just locked (read through the scope): every
    booking of those slots is that collectivity's, so the count goes without the scope's
    joins through the slot and the activity."""
    ids = list(slot_ids)
    counts = dict.fromkeys(ids, 0)
    rows = (
        Booking._base_manager.filter(slot_id__in=ids, state__in=Booking.HOLDS_PLACE)
        .values("slot_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["slot_id"]] = row["n"]
    return counts


def waiting_positions(bookings: Iterable[Booking]) -> dict[int, int]:
    """booking id → 1-based position on its slot's waiting list (WAITING bookings only), in
    one query whatever the number of bookings."""
    bookings = list(bookings)
    wanted = {b.pk for b in bookings if b.state == State.WAITING}
    slot_ids = {b.slot_id for b in bookings if b.state == State.WAITING}
    if not wanted:
        return {}
    rows = (
        Booking.objects.filter(slot_id__in=slot_ids, state=State.WAITING)
        .order_by("slot_id", "queued_at", "pk")
        .values_list("pk", "slot_id")
    )
    positions: dict[int, int] = {}
    current_slot, position = None, 0
    for pk, slot_id in rows:
        if slot_id != current_slot:
            current_slot, position = slot_id, 0
        position += 1
        if pk in wanted:
            positions[pk] = position
    return positions


def _unique_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    seen: dict[Pair, None] = {}
    for child_id, slot_id in pairs:
        seen.setdefault((int(child_id), int(slot_id)), None)
    return list(seen)


def bookings_by_pair(pairs: Iterable[Pair]) -> dict[Pair, Booking]:
    """(child_id, slot_id) → its Booking row, for the pairs that have one (one query)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = Booking.objects.filter(
        child_id__in={c for c, _s in wanted}, slot_id__in={s for _c, s in wanted}
    )
    return {(b.child_id, b.slot_id): b for b in rows if (b.child_id, b.slot_id) in wanted}


def _row(pair: Pair, booking: Booking | None, *, new: list, changed: list) -> Booking:
    """The pair's booking row to write: the existing one (listed as changed) or a new one."""
    if booking is None:
        booking = Booking(child_id=pair[0], slot_id=pair[1])
        new.append(booking)
    else:
        changed.append(booking)
    return booking


def _save(
    new: list[Booking], changed: list[Booking], now: datetime.datetime, *, bump_families=True
) -> None:
    if new:
        for booking in new:
            booking.updated_at = now
        Booking.objects.bulk_create(new)
    if changed:
        for booking in changed:
            booking.updated_at = now
        Booking.objects.bulk_update(
            changed, ["state", "queued_at", "offer_expires_at", "updated_at"]
        )
    if (new or changed) and bump_families:
        # Bulk writes send no signal: the families' cached plannings are dropped here.
        bump(child_ids={booking.child_id for booking in (*new, *changed)})


def _events(rows: list[tuple[Booking, str, object]], *, actor, note: str = "") -> None:
    """rows: (booking, verb, request line or None); the state after is the booking's."""
    if not rows:
        return
    actor = actor_or_none(actor)
    BookingEvent.objects.bulk_create(
        [
            BookingEvent(
                booking_id=booking.pk,
                verb=verb,
                state=booking.state,
                request_line=line,
                actor=actor,
                note=note,
            )
            for booking, verb, line in rows
        ]
    )


def _queue_time(slot_id, last_queued, *, now, arrival) -> datetime.datetime:
    """A waiting booking's place in its queue: its request's arrival when known (the waiting
    list follows arrival), else just after the slot's last waiting booking."""
    if arrival is not None:
        return arrival
    queued_at = now
    previous = last_queued[slot_id]
    if previous is not None and queued_at <= previous:
        queued_at = previous + ONE_MICROSECOND
    last_queued[slot_id] = queued_at
    return queued_at


def reserve(
    *,
    pairs: Iterable[Pair],
    actor=None,
    verb: str = Verb.BOOKED,
    lines: dict | None = None,
    now: datetime.datetime | None = None,
    queued_at: datetime.datetime | None = None,
) -> dict[Pair, str]:
    """Give each (child_id, slot_id) a place while the slot has some, else a waiting-list
    position, in the order of ``pairs``. A waiting booking queues at ``queued_at`` when given
    (the moment a family's request arrived), else after the slot's last one. A child already holding a live booking on the slot
    keeps it (its state is returned). Rows in PENDING, CANCELLED or ABSENT(_BILLED) are reused.

    ``lines`` maps a pair to the ``BookingRequestLine`` it answers (linked in the history).
    Returns the state of each pair after the call.
    """
    _assert_atomic()
    pairs = _unique_pairs(pairs)
    if not pairs:
        return {}
    lines = lines or {}
    slots = _lock_slots(s for _c, s in pairs)
    missing = {s for _c, s in pairs} - set(slots)
    if missing:
        raise PlanningError(_("Ce créneau n’existe plus."))
    # Read the clock once the locks are held: queued_at then follows the order of arrival.
    now = now or timezone.now()
    counters = _slot_counters(slots)
    existing = bookings_by_pair(pairs)
    held = {slot_id: counters.get(slot_id, (0, None))[0] for slot_id in slots}
    last_queued = {slot_id: counters.get(slot_id, (0, None))[1] for slot_id in slots}

    result: dict[Pair, str] = {}
    new, changed, events = [], [], []
    for pair in pairs:
        child_id, slot_id = pair
        booking = existing.get(pair)
        if booking is not None and booking.state in LIVE_STATES and booking.state != State.PENDING:
            result[pair] = booking.state
            continue
        slot = slots[slot_id]
        booking = _row(pair, booking, new=new, changed=changed)
        booking.offer_expires_at = None
        if held[slot_id] < slot.capacity:
            held[slot_id] += 1
            booking.state = State.RESERVED
            booking.queued_at = None
            events.append((booking, verb, lines.get(pair)))
        else:
            booking.state = State.WAITING
            booking.queued_at = _queue_time(slot_id, last_queued, now=now, arrival=queued_at)
            events.append((booking, Verb.WAITING, lines.get(pair)))
        result[pair] = booking.state
    _save(new, changed, now)
    _events(events, actor=actor)
    return result


class Mispredicted(Exception):
    """What a request wrote before taking the slot lock (``reserve_ahead``) is not what the
    lock decides (``places_confirm``): its transaction is rolled back and the request is
    made again the careful way, lock first (``reserve``)."""


def reserve_ahead(
    *,
    states: dict[Pair, str],
    actor=None,
    verb: str = Verb.BOOKED,
    lines: dict | None = None,
    queued_at: datetime.datetime,
    now: datetime.datetime | None = None,
    families_bumped: bool = False,
) -> list[Booking]:
    """Write new bookings in the states a preview predicted (RESERVED or WAITING), before any
    lock: the short critical section of a rush (``places_confirm`` then checks them under the
    slot lock, as the transaction's last statements). Only for pairs without a booking row:
    the unique (child, slot) constraint refuses a concurrent duplicate, which the caller
    treats as ``Mispredicted``. Waiting bookings queue at ``queued_at``, the moment the
    request arrived, so that the waiting list follows arrival. ``families_bumped``: the
    caller already raised the planning version of every family of these children in this
    transaction (a request row's save does), so no second ``UPDATE`` is run."""
    _assert_atomic()
    lines = lines or {}
    now = now or timezone.now()
    new, events = [], []
    for pair, state in states.items():
        booking = Booking(child_id=pair[0], slot_id=pair[1], state=state)
        if state == State.WAITING:
            booking.queued_at = queued_at
            events.append((booking, Verb.WAITING, lines.get(pair)))
        elif state == State.RESERVED:
            events.append((booking, verb, lines.get(pair)))
        else:
            raise ValueError(f"reserve_ahead() cannot predict {state!r}.")
        new.append(booking)
    _save(new, [], now, bump_families=not families_bumped)
    _events(events, actor=actor)
    return new


def places_confirm(*, taken: Iterable[int], queued: Iterable[int]) -> None:
    """Under the slot lock, as the transaction's last statements (two: lock, count): the
    places ``reserve_ahead`` took on the ``taken`` slots fit their capacity, and the ``queued``
    slots are still full. Raises ``Mispredicted`` otherwise (or when a slot left the
    calendar meanwhile)."""
    _assert_atomic()
    taken, queued = set(taken), set(queued)
    slots = _lock_slots(taken | queued, path="ahead", activity=False)
    if len(slots) != len(taken | queued) or any(slot.is_orphan for slot in slots.values()):
        raise Mispredicted
    held = holders_count(slots)
    if any(held[slot_id] > slots[slot_id].capacity for slot_id in taken):
        raise Mispredicted
    if any(held[slot_id] < slots[slot_id].capacity for slot_id in queued):
        raise Mispredicted


def set_pending(*, pairs: Iterable[Pair], actor, lines: dict | None = None) -> dict[Pair, str]:
    """Mark each (child_id, slot_id) as asked for and awaiting an agent (PENDING). Live
    bookings are left as they are. Returns the state of each pair after the call."""
    _assert_atomic()
    pairs = _unique_pairs(pairs)
    if not pairs:
        return {}
    lines = lines or {}
    _lock_slots(s for _c, s in pairs)
    now = timezone.now()
    existing = bookings_by_pair(pairs)
    result: dict[Pair, str] = {}
    new, changed, events = [], [], []
    for pair in pairs:
        booking = existing.get(pair)
        if booking is not None and booking.state in LIVE_STATES:
            result[pair] = booking.state
            continue
        booking = _row(pair, booking, new=new, changed=changed)
        booking.state, booking.queued_at, booking.offer_expires_at = State.PENDING, None, None
        events.append((booking, Verb.REQUESTED, lines.get(pair)))
        result[pair] = booking.state
    _save(new, changed, now)
    _events(events, actor=actor)
    return result


def release(
    *,
    bookings: Iterable[Booking],
    state: str,
    actor=None,
    verb: str,
    lines: dict | None = None,
    note: str = "",
) -> None:
    """Move bookings to ABSENT, ABSENT_BILLED or CANCELLED, then give the freed places to
    the waiting lists (``promote``). ``lines`` maps (child_id, slot_id) to request lines."""
    _assert_atomic()
    if state not in RELEASE_STATES:
        raise ValueError(f"release() cannot move a booking to {state!r}.")
    ids = [b.pk for b in bookings]
    if not ids:
        return
    lines = lines or {}
    slot_ids = {b.slot_id for b in bookings}
    _lock_slots(slot_ids)
    now = timezone.now()
    # Re-read under the lock: the caller's objects may be stale.
    current = list(Booking.objects.filter(pk__in=ids))
    freed, changed, events = set(), [], []
    for booking in current:
        if booking.state == state:
            continue
        if booking.state in Booking.HOLDS_PLACE:
            freed.add(booking.slot_id)
        booking.state = state
        booking.offer_expires_at = None
        if state == State.CANCELLED:
            booking.queued_at = None
        changed.append(booking)
        events.append((booking, verb, lines.get((booking.child_id, booking.slot_id))))
    _save([], changed, now)
    _events(events, actor=actor, note=note)
    if freed:
        promote(slot_ids=freed, actor=actor, now=now)


def _tell_families(bookings: list[Booking], *, verb: str, actor=None) -> None:
    """One timeline event per family whose child got (or was offered) a place: a decision,
    read in the family's next digest (or at once, by the account's choice).

    ``bookings`` carry ``child__family__collectivity`` and ``slot__activity``."""
    by_family: dict[int, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_family[booking.child.family_id].append(booking)
    for family_id, family_bookings in by_family.items():
        collectivity = family_bookings[0].child.family.collectivity
        details = []
        for booking in family_bookings:
            what = _("%(child)s — %(activity)s, %(day)s") % {
                "child": booking.child.first_name,
                "activity": booking.slot.activity.name,
                "day": date_long(booking.slot.date),
            }
            if booking.state == State.OFFERED:
                what += " " + _("(place proposée jusqu’au %(until)s)") % {
                    "until": datetime_long(booking.offer_expires_at)
                }
            details.append(what)
        if verb == "booking_offered":
            message = _(
                "Une place s’est libérée et vous est proposée : %(what)s. Acceptez-la ou "
                "refusez-la dans votre planning avant son expiration."
            ) % {"what": "; ".join(details)}
        else:
            message = _(
                "Une place s’est libérée : votre enfant passe de la liste d’attente à la "
                "réservation. %(what)s."
            ) % {"what": "; ".join(details)}
        event_record(
            collectivity=collectivity,
            family_id=family_id,
            subject=family_bookings[0],
            actor=actor,
            verb=verb,
            message=message,
            data={
                "bookings": [b.pk for b in family_bookings],
                "children": sorted({b.child.first_name for b in family_bookings}),
                "title": str(_("Liste d’attente")),
            },
            digest=True,
        )


def promote(
    *, slot_ids: Iterable[int], actor=None, now: datetime.datetime | None = None
) -> list[Booking]:
    """Give the free places of these slots to their waiting lists, first come first served
    (``queued_at``, then pk): RESERVED at once when the activity's waiting list is automatic,
    OFFERED until ``now + offer_hours`` when it works by offers. Tells each family once."""
    _assert_atomic()
    slots = _lock_slots(slot_ids)
    if not slots:
        return []
    now = now or timezone.now()
    held = holders_count(slots)
    waiting = (
        Booking.objects.filter(slot_id__in=list(slots), state=State.WAITING)
        .select_related("child__family__collectivity", "slot__activity")
        .order_by("slot_id", "queued_at", "pk")
    )
    promoted: list[Booking] = []
    events = []
    for booking in waiting:
        slot = slots[booking.slot_id]
        # A date that left the calendar is not bookable: its waiting list stays as it is.
        if slot.is_orphan or held[slot.pk] >= slot.capacity:
            continue
        held[slot.pk] += 1
        if slot.activity.waiting_list_mode == Activity.WaitingListMode.OFFER:
            booking.state = State.OFFERED
            booking.offer_expires_at = now + datetime.timedelta(hours=slot.activity.offer_hours)
            events.append((booking, Verb.OFFERED, None))
        else:
            booking.state = State.RESERVED
            booking.offer_expires_at = None
            events.append((booking, Verb.PROMOTED, None))
        promoted.append(booking)
    if not promoted:
        return []
    _save([], promoted, now)
    _events(events, actor=actor)
    offered = [b for b in promoted if b.state == State.OFFERED]
    reserved = [b for b in promoted if b.state == State.RESERVED]
    if offered:
        _tell_families(offered, verb="booking_offered", actor=actor)
    if reserved:
        _tell_families(reserved, verb="booking_promoted", actor=actor)
    return promoted


def _locked_offer(booking: Booking, user) -> Booking:
    _lock_slots([booking.slot_id])
    current = (
        Booking.objects.select_related("child__family__collectivity", "slot__activity")
        .filter(pk=booking.pk)
        .first()
    )
    if current is None or current.state != State.OFFERED:
        raise PlanningError(_("Cette place n’est plus proposée."))
    if (
        user is not None
        and not Subscription.objects.filter(user=user, family_id=current.child.family_id).exists()
    ):
        raise PlanningError(_("Cette place n’est pas proposée à votre famille."))
    return current


# The family's answer to a place offered: (booking state, history verb and note, timeline
# verb, timeline message).
OFFER_ANSWERS = {
    "accept": (
        State.RESERVED,
        Verb.BOOKED,
        _lazy("Place proposée acceptée."),
        "booking_offer_accepted",
        _lazy("Place acceptée : %(child)s — %(activity)s, %(day)s."),
    ),
    "decline": (
        State.CANCELLED,
        Verb.CANCELLED,
        _lazy("Place proposée refusée."),
        "booking_offer_declined",
        _lazy("Place refusée : %(child)s — %(activity)s, %(day)s."),
    ),
}


def _offer_answer(current: Booking, answer: str, *, user, now) -> None:
    """The booking leaves OFFERED, with its history step and the timeline event."""
    state, verb, note, event_verb, message = OFFER_ANSWERS[answer]
    current.state = state
    current.offer_expires_at = None
    current.queued_at = None
    _save([], [current], now)
    _events([(current, verb, None)], actor=user, note=str(note))
    event_record(
        collectivity=current.child.family.collectivity,
        family_id=current.child.family_id,
        subject=current,
        actor=user,
        verb=event_verb,
        message=str(message)
        % {
            "child": current.child.first_name,
            "activity": current.slot.activity.name,
            "day": date_long(current.slot.date),
        },
    )


@transaction.atomic
def offer_accept(*, booking: Booking, user) -> Booking:
    """The family takes the place proposed to it (before the offer expires)."""
    current = _locked_offer(booking, user)
    now = timezone.now()
    if current.offer_expires_at is not None and current.offer_expires_at <= now:
        raise PlanningError(_("Le délai pour accepter cette place est dépassé."))
    _offer_answer(current, "accept", user=user, now=now)
    return current


@transaction.atomic
def offer_decline(*, booking: Booking, user) -> Booking:
    """The family refuses the place proposed to it: it goes to the next on the list."""
    current = _locked_offer(booking, user)
    now = timezone.now()
    _offer_answer(current, "decline", user=user, now=now)
    promote(slot_ids=[current.slot_id], actor=user, now=now)
    return current


@transaction.atomic
def offers_expire(*, now: datetime.datetime | None = None) -> int:
    """Cancel the offers whose time ran out and propose the places to the next families.
    Returns the number of expired offers."""
    now = now or timezone.now()
    slot_ids = set(
        Booking.objects.filter(state=State.OFFERED, offer_expires_at__lte=now).values_list(
            "slot_id", flat=True
        )
    )
    if not slot_ids:
        return 0
    _lock_slots(slot_ids)
    expired = list(
        Booking.objects.filter(
            slot_id__in=slot_ids, state=State.OFFERED, offer_expires_at__lte=now
        ).select_related("child__family__collectivity", "slot__activity")
    )
    for booking in expired:
        booking.state = State.CANCELLED
        booking.offer_expires_at = None
        booking.queued_at = None
    _save([], expired, now)
    _events([(b, Verb.OFFER_EXPIRED, None) for b in expired], actor=None)
    by_family: dict[int, list[Booking]] = defaultdict(list)
    for booking in expired:
        by_family[booking.child.family_id].append(booking)
    for family_id, family_bookings in by_family.items():
        event_record(
            collectivity=family_bookings[0].child.family.collectivity,
            family_id=family_id,
            subject=family_bookings[0],
            verb="booking_offer_expired",
            digest=True,
            data={
                "children": sorted({b.child.first_name for b in family_bookings}),
                "title": str(_("Liste d’attente")),
            },
            message=_("Place proposée expirée : %(what)s.")
            % {
                "what": "; ".join(
                    f"{b.child.first_name} — {b.slot.activity.name}, {date_long(b.slot.date)}"
                    for b in family_bookings
                )
            },
        )
    promote(slot_ids={b.slot_id for b in expired}, now=now)
    return len(expired)
