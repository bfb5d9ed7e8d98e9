"""The parent's planning, rendered once and kept in the deployment's cache until something it
shows changes.

What the grid shows depends on: the collectivity, the account's families and their
``planning_version``, the children listed, the activities listed and their ``planning_version``
(``planning.versions``), the view, the anchor date and the filters, today's date (today's cell,
the agenda's « upcoming » part, the booking horizon), the language, and the modules switched on.
The key is what was asked and by whom: the collectivity, the account, the view, the anchor date,
the filter as asked, today, the language and the modules. What it was computed from is kept in
the entry — the account's families and the activities listed, each ``(pk, planning_version,
creation time)`` (the families' with their ``roster_version``) — and compared at each reading
with the rows read then (``entry_current``: one query). The children, the enrolments and so the
filter as applied follow from the families at their versions (every write of a child or an
enrolment bumps its family) and the anchor's school year: a hit lists neither the children nor
the activities. A slot's state also changes with the time of day — a reservation closes at the
activity's deadline and a day closes when its slot starts — so an entry also carries the first
such instant among the cells it shows (``valid_until``) and is not used from then on.

An entry also keeps the roster it was computed from: the children, the activities and their
slot rows of the period, with each family's ``roster_version`` (raised by the writes of
children and enrolments, not by those of bookings and requests). When a stale entry's
families differ from the current ones by their bookings alone — same families, same roster
versions, its activities unchanged — the miss reuses that roster and reads only the bookings
(two queries instead of five: the check, the bookings).

The one thing of another family on the grid is a waiting-list position (the rows ahead on the
slot): it is not stored. A WAITING cell's words are a marker in the stored page, replaced at
each reading by the position read then (the third part of ``entry_current``'s query, only
when the page shows a waiting list).

Never stored: the page's frame (CSRF token, messages, the user's menus), only the planning's
own part of the page.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import BigIntegerField, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.translation import get_language

from family.selectors.families import families_of_accounts
from portal.compiled import compiled_rows

from .models import Activity, Booking
from .rules import PARIS, booking_deadline, local_now, slot_starts_at
from .selectors.planning import WAITING, state_text, waiting_ranks

# Raise when what the stored page is made of changes shape (templates, markers, entry).
FORMAT = 6
# However far the next deadline is, an entry is rebuilt after this long (a safety net: every
# write bumps a version, every deadline is computed).
MAX_AGE = datetime.timedelta(hours=1)

_FAMILY_ROW, _ACTIVITY_ROW, _WAITING_ROW = 0, 1, 2  # the parts of ``entry_current``'s query

_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: escape() keeps them
_MARK = re.compile(f"{_MARK_OPEN}(\\d+){_MARK_CLOSE}")


def grid_key(*, collectivity_id, account_id, params, today, modules) -> str:
    """The cache key of one planning as asked for, computed without any query: the account
    (one entry per account, whatever its families: they are checked against the entry when it
    is read, ``entry_current``) and ``params``, the view, the anchor date and the filter as
    asked (``planning.views.planning.PlanningFilter.key``)."""
    parts = [
        f"c{collectivity_id}",
        f"a{account_id}",
        params,
        f"t{today.isoformat()}",
        f"l{get_language()}",
        "m" + ",".join(sorted(name for name, on in modules.items() if on)),
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"planning:grid:{FORMAT}:{digest}"


def row_versions(rows) -> list[tuple]:
    """What an entry records of the families it was computed for and of the activities it
    lists, to be compared at each reading: ``(pk, *versions, creation time)`` by pk (a
    database rebuilt from scratch, as a demo reset, gives the same ids and versions to other
    rows, never the same creation times). ``rows``: Activity rows, ``(pk, planning_version,
    created_at)`` tuples, or the families' ``(pk, planning_version, roster_version,
    created_at)`` (``planning_families``)."""
    values = (
        (row.pk, row.planning_version, row.created_at) if hasattr(row, "pk") else row
        for row in rows
    )
    return sorted((*versions, created.timestamp()) for *versions, created in values)


def roster_versions(families) -> list[tuple[int, int, float]]:
    """What an entry records of its families' rosters (``planning_families``' rows):
    ``(pk, roster_version, creation time)`` by pk."""
    return sorted((pk, roster, created.timestamp()) for pk, _version, roster, created in families)


def waiting_mark(booking_id: int) -> str:
    """What a WAITING cell says in the stored page, instead of its position."""
    return f"{_MARK_OPEN}{booking_id}{_MARK_CLOSE}"


def valid_until(cells, *, now: datetime.datetime) -> datetime.datetime:
    """The first instant from ``now`` on at which a cell shown may change by the clock alone:
    a slot's booking deadline or its start, else the end of the local day, else ``MAX_AGE``.
    Every cell counts, whatever its state (an upper bound on what could change; cheap)."""
    now = local_now(now)
    tomorrow = datetime.datetime.combine(
        now.date() + datetime.timedelta(days=1), datetime.time(), tzinfo=PARIS
    )
    until = min(now + MAX_AGE, tomorrow)
    seen = set()
    for cell in cells:
        slot = cell.slot
        if slot.pk in seen:
            continue
        seen.add(slot.pk)
        start = slot_starts_at(slot)
        if start < now:
            continue  # « Jour passé » for good
        until = min(until, start)
        deadline = booking_deadline(cell.activity, slot.date)
        if deadline >= now:
            until = min(until, deadline)
    return until


def entry_get(key: str, *, now: datetime.datetime) -> dict | None:
    """The entry stored under ``key`` if its clock allows; its activities still to be checked
    (``entry_current``)."""
    entry = cache.get(key)
    if entry is None or entry.get("valid_until") is None or now >= entry["valid_until"]:
        return None
    return entry


def entry_set(key: str, entry: dict, *, now: datetime.datetime) -> None:
    """Store ``entry``; a page with waiting-list markers is stored cut at them
    (``with_positions`` then joins the pieces instead of searching 250 KB at each reading)."""
    seconds = (entry["valid_until"] - now).total_seconds()
    if seconds > 0:
        if entry["waiting"]:
            entry = {**entry, "html": _MARK.split(entry["html"])}
        cache.set(key, entry, timeout=math.ceil(seconds))


@dataclass
class Reading:
    """What ``entry_read`` found: the entry and its WAITING cells' positions (both None when
    there is no entry that may be shown), the account's families when they were read (a
    stale entry's check reads them: the miss that follows need not read them again), and a
    stale entry's roster when it still holds (``entry_current``)."""

    entry: dict | None = None
    positions: dict[int, int] | None = None
    families: list[tuple] | None = None
    roster: dict | None = None


def entry_read(scope, key: str, *, now: datetime.datetime) -> Reading:
    """The entry stored under ``key``, if its clock allows and ``entry_current`` says it may
    be shown now."""
    entry = entry_get(key, now=now)
    if entry is None:
        return Reading()
    positions, families, roster = entry_current(scope, entry)
    if positions is None:
        return Reading(families=families, roster=roster)
    return Reading(entry, positions, families)


def entry_current(scope, entry: dict) -> tuple[dict[int, int] | None, list[tuple], dict | None]:
    """Whether a stored entry may be shown now, and what it needs at each reading, in one
    query: the account's families and the entry's activities at their current versions, and
    the WAITING rows of its slots. Returns (positions, the account's families as read, the
    entry's roster or None).

    The positions are None when the account's families are not those the entry was computed
    for (one more or one less, or one at another version), or when an activity it lists has
    another version now or is gone or out of reach (missing from the rows read); else the
    waiting-list position, now, of each WAITING cell (booking id → position).

    The roster — the children, the activities and their slot rows the entry was computed
    from — is given back when only bookings or requests were written since: the same
    families at the same roster versions, the same activities at the same versions. The miss
    that follows reads the bookings again, not them."""
    waiting = entry["waiting"]
    found = compiled_rows(
        ("planning.entry_current", scope.collectivity.pk, bool(waiting)),
        functools.partial(_current_query, scope=scope, waiting=bool(waiting)),
        user_ids=[scope.user.pk],
        activity_ids=[pk for pk, _version, _created in entry["activities"]],
        slot_ids=set(waiting.values()),
    )
    rows: dict[int, list] = {_FAMILY_ROW: [], _ACTIVITY_ROW: [], _WAITING_ROW: []}
    for kind, pk, number, roster, moment in found:
        rows[kind].append(
            (pk, number, roster, moment) if kind == _FAMILY_ROW else (pk, number, moment)
        )
    families = sorted(rows[_FAMILY_ROW])
    activities_current = entry["activities"] == row_versions(rows[_ACTIVITY_ROW])
    if entry["families"] != row_versions(families) or not activities_current:
        roster = entry.get("roster")
        if (
            not activities_current
            or roster is None
            or roster["families"] != roster_versions(families)
        ):
            roster = None
        return None, families, roster
    ranks = waiting_ranks((slot_id, moment, pk) for pk, slot_id, moment in rows[_WAITING_ROW])
    return {pk: ranks[pk] for pk in waiting if pk in ranks}, families, None


def _current_query(*, scope, waiting: bool, user_ids, activity_ids, slot_ids):
    """``entry_current``'s query (``portal.compiled``: built and compiled once a collectivity;
    the account is ``user_ids``). Each part gives five columns of the same types: (row kind,
    id, int, int or null, timestamp)."""
    no_number = Value(None, BigIntegerField())
    parts = [
        families_of_accounts(user_ids, collectivity=scope.collectivity)
        .order_by()
        .annotate(row_kind=Value(_FAMILY_ROW))
        .values_list("row_kind", "pk", "planning_version", "roster_version", "created_at"),
        scope.rows(Activity)
        .filter(pk__any_of=activity_ids)
        .order_by()
        .annotate(row_kind=Value(_ACTIVITY_ROW), no_number=no_number)
        .values_list("row_kind", "pk", "planning_version", "no_number", "created_at"),
    ]
    if waiting:
        # The slots of the entry's activities, which this same query checks (a slot never
        # changes activity): read by their ids, without the scope's joins.
        parts.append(
            Booking._base_manager.filter(slot_id__any_of=slot_ids, state=Booking.State.WAITING)
            .order_by()
            .annotate(
                row_kind=Value(_WAITING_ROW),
                no_number=no_number,
                sort_at=Coalesce("queued_at", "updated_at"),
            )
            .values_list("row_kind", "pk", "slot_id", "no_number", "sort_at")
        )
    return parts[0].union(*parts[1:], all=True)


def with_positions(html: str | list[str], positions: dict[int, int | None]) -> str:
    """The page with each waiting-list marker replaced by the cell's words. ``html``: the
    page as rendered, or as stored (``entry_set``: cut at the markers, every odd piece a
    marker's booking id)."""
    pieces = _MARK.split(html) if isinstance(html, str) else html
    texts: dict[str, str] = {}

    def words(booking_id: str) -> str:
        if booking_id not in texts:
            texts[booking_id] = escape(
                state_text(
                    state=WAITING,
                    booking_state=Booking.State.WAITING,
                    position=positions.get(int(booking_id)),
                )
            )
        return texts[booking_id]

    return "".join(words(piece) if index % 2 else piece for index, piece in enumerate(pieces))
