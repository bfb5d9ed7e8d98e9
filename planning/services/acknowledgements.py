"""What the acknowledgement of a reservation or absence request says (« accusé de réception »).

Two layouts, as the seeds show them: a request on one day names the child, the activity, the
day, the times and what happened (awaiting validation, accepted at once, on the waiting list at
position N, an absence billed or not with its cost); a request over a period names the
children, the activity, the dates, the weekdays, and gives the days concerned grouped by
outcome and by month, so that 180 days read at a glance (« janvier 2027 : 4, 6, 11, 13, 18,
20, 25, 27 (8 jours) »), then the days left out with their reason. The same days of several
children are said once.

``acknowledgement_build`` is pure (plain values in, plain values out, no database): unit tests
call it directly. ``acknowledgement_data`` gathers those values from a request just
submitted (its lines, the preview's left-out days, the waiting positions) as JSON, which an
outbox row may keep for the task cluster to render later; ``acknowledgement_from_data``
builds the acknowledgement from them in French; the templates only display.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import formats, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.formats import date_long

from ..models import WEEKDAY_LABELS, BookingRequest, BookingRequestLine
from ..selectors.requests import count_text
from . import bookings as engine
from .preview import money

Kind = BookingRequest.Kind
LineStatus = BookingRequestLine.Status

# What happened to one child on one day, in the order the e-mail lists them.
ACCEPTED = "accepted"
PENDING = "pending"
WAITING = "waiting"
ABSENCE = "absence"
ABSENCE_BILLED = "absence_billed"
ABSENCE_PENDING = "absence_pending"
ABSENCE_BILLED_PENDING = "absence_billed_pending"
OUTCOME_ORDER = (
    ACCEPTED,
    WAITING,
    PENDING,
    ABSENCE,
    ABSENCE_BILLED,
    ABSENCE_PENDING,
    ABSENCE_BILLED_PENDING,
)


@dataclass(frozen=True)
class AskedDay:
    """One child on one day of the request, and what happened to it."""

    child: str  # first name
    date: datetime.date
    outcome: str  # one of OUTCOME_ORDER
    position: int | None = None  # on the waiting list
    cost: Decimal | None = None  # of a billed absence


@dataclass(frozen=True)
class LeftOutDay:
    """One child on one day of the period that the request left out, and why (French)."""

    child: str
    date: datetime.date
    reason: str


@dataclass
class MonthRow:
    """« janvier 2027 : 4, 6, 11 (3 jours) »."""

    month: str  # « janvier 2027 »
    days: str  # « 1er, 4, 6 (position 2) »
    count: int

    @property
    def tail(self) -> str:
        """« (3 jours) »; "" for one day."""
        if self.count == 1:
            return ""
        return ngettext("(%(count)s jour)", "(%(count)s jours)", self.count) % {"count": self.count}

    @property
    def text(self) -> str:
        text = _("%(month)s : %(days)s") % {"month": self.month, "days": self.days}
        return f"{text} {self.tail}" if self.tail else text


@dataclass
class DayGroup:
    """Days sharing an outcome (or a reason for being left out) and the same children.

    A short group reads on one line (``inline``: « lundi 29 mars 2027 », « 22, 25 février
    2027 ; 1er, 4 mars 2027 », « tous les mercredis »); a long one by month (``months``)."""

    title: str  # « Réservation acceptée », « Vacances scolaires : Vacances de Noël »
    children: str  # « Léa et Tom »; "" when it goes without saying
    count: int
    months: list[MonthRow] = field(default_factory=list)
    inline: str = ""
    cost: Decimal | None = None  # billed absences: the total

    shared: bool = False  # the days of several children (counted once each)

    @property
    def detail(self) -> str:
        """« 8 jours », « 8 jours chacun », « 3 jours, 37,20 € »."""
        if self.shared:
            text = ngettext("%(count)s jour chacun", "%(count)s jours chacun", self.count) % {
                "count": self.count
            }
        else:
            text = ngettext("%(count)s jour", "%(count)s jours", self.count) % {"count": self.count}
        if self.cost:
            text = _("%(days)s, %(cost)s") % {"days": text, "cost": money(self.cost)}
        return text


@dataclass
class ChildOutcome:
    """One child's outcome on a one-day request: « En liste d’attente, position 2 »."""

    child: str
    label: str


@dataclass
class Acknowledgement:
    """Everything the acknowledgement e-mail prints, already in French."""

    kind: str
    is_absence: bool
    activity: str
    children: str  # « Léa », « Léa et Tom »
    child_count: int
    one_day: bool
    day: str = ""  # one day: « mercredi 13 janvier 2027 »
    times: str = ""  # one day: « de 8 h 30 à 17 h 00 »
    outcomes: list[ChildOutcome] = field(default_factory=list)  # one day
    period: str = ""  # « du lundi 4 janvier 2027 au vendredi 2 juillet 2027 »
    weekdays: str = ""  # « lundi, mercredi »
    count: str = ""  # « 8 jours, 2 enfants (16 réservations) » (selectors.requests.count_text)
    groups: list[DayGroup] = field(default_factory=list)
    left_out: list[DayGroup] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


def _names(names: list[str]) -> str:
    """« Léa », « Léa et Tom », « Léa, Tom et Zoé »."""
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s et %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def times_text(start: datetime.time | None, end: datetime.time | None) -> str:
    """« de 8 h 30 à 17 h 00 »."""
    if start is None or end is None:
        return ""
    return _("de %(start)s à %(end)s") % {
        "start": formats.time_format(start, r"G \h i"),
        "end": formats.time_format(end, r"G \h i"),
    }


def weekdays_text(weekdays) -> str:
    return ", ".join(str(WEEKDAY_LABELS[day]) for day in sorted(set(weekdays or [])))


def day_long(day: datetime.date) -> str:
    """« jeudi 1er juillet 2027 », « lundi 4 janvier 2027 »."""
    text = date_long(day)
    if day.day == 1:
        text = text.replace(" 1 ", f" {_('1er')} ", 1)
    return text


def _day_number(day: datetime.date) -> str:
    return _("1er") if day.day == 1 else str(day.day)


def _waiting_note(position: int | None) -> str:
    return _("position %(position)s") % {"position": position} if position else ""


INLINE_MAX = 6  # a group of this many days or fewer reads on one line
WEEKDAY_PLURALS = (
    gettext_lazy("lundis"),
    gettext_lazy("mardis"),
    gettext_lazy("mercredis"),
    gettext_lazy("jeudis"),
    gettext_lazy("vendredis"),
    gettext_lazy("samedis"),
    gettext_lazy("dimanches"),
)


def _by_month(days: list[tuple[datetime.date, str]]) -> list[tuple[datetime.date, list[str]]]:
    """[(date, note)] → [(first date of the month, ["4", "6 (position 2)"])], in date order."""
    months: dict[tuple[int, int], tuple[datetime.date, list[str]]] = {}
    for day, note in sorted(days):
        first, parts = months.setdefault((day.year, day.month), (day, []))
        parts.append(f"{_day_number(day)} ({note})" if note else _day_number(day))
    return list(months.values())


def _every_weekday(dates: set[datetime.date], period: tuple[datetime.date, datetime.date]) -> str:
    """« tous les mercredis » when ``dates`` are every such weekday of the period."""
    weekdays = sorted({day.weekday() for day in dates})
    start, end = period
    every = {
        start + datetime.timedelta(days=n)
        for n in range((end - start).days + 1)
        if (start + datetime.timedelta(days=n)).weekday() in weekdays
    }
    if len(dates) <= INLINE_MAX or dates != every:
        return ""
    names = [str(WEEKDAY_PLURALS[day]) for day in weekdays]
    return _("tous les %(days)s") % {"days": _names(names)}


def _days_group(title, names, days, *, children, period) -> DayGroup:
    """One group: ``days`` are [(date, note, cost)] of ``names`` (children). ``period``
    (left-out days only) lets every Wednesday of it read « tous les mercredis »."""
    cost = sum((c for _d, _n, c in days), Decimal("0"))
    group = DayGroup(
        title=title,
        children=_names(list(names)) if len(children) > 1 else "",
        count=len(days),
        cost=cost or None,
        shared=len(names) > 1,
    )
    dated = [(day, note) for day, note, _c in days]
    months = _by_month(dated)
    if len(days) == 1:
        day, note = dated[0]
        group.inline = f"{day_long(day)} ({note})" if note else day_long(day)
    elif len(days) <= INLINE_MAX:
        group.inline = " ; ".join(
            _("%(days)s %(month)s") % {"days": ", ".join(parts), "month": _month(first)}
            for first, parts in months
        )
    elif period is not None:
        group.inline = _every_weekday({day for day, _n in dated}, period)
    if not group.inline:
        group.months = [
            MonthRow(month=_month(first), days=", ".join(parts), count=len(parts))
            for first, parts in months
        ]
    return group


def _month(day: datetime.date) -> str:
    return formats.date_format(day, "F Y")


def _grouped(entries, *, children: list[str], order, period) -> list[DayGroup]:
    """``entries``: (key, title, child, date, note, cost). What several children share on a
    day is said once (« Léa position 1, Tom position 2 » when their notes differ); then days
    group by (key, those children), in ``order`` of their key then of their first day."""
    per_day: dict[tuple, dict[str, tuple[str, Decimal]]] = defaultdict(dict)
    titles: dict = {}
    for key, title, child, day, note, cost in entries:
        titles[key] = title
        per_day[(key, day)][child] = (note, cost or Decimal("0"))
    groups: dict[tuple, list] = defaultdict(list)
    for (key, day), by_child in per_day.items():
        names = tuple(name for name in children if name in by_child)
        notes = [by_child[name][0] for name in names]
        note = (
            notes[0]
            if len(set(notes)) == 1
            else ", ".join(
                f"{name} {note}".strip() for name, note in zip(names, notes, strict=True)
            )
        )
        cost = sum((by_child[name][1] for name in names), Decimal("0"))
        groups[(key, names)].append((day, note, cost))
    ordered = sorted(groups.items(), key=lambda item: (order(item[0][0]), min(item[1])[0]))
    return [
        _days_group(titles[key], names, days, children=children, period=period)
        for (key, names), days in ordered
    ]


def _single_days_merged(groups: list[DayGroup]) -> list[DayGroup]:
    """Single days left out for reasons of one kind (« Jour férié : Ascension », « Jour férié :
    Lundi de Pentecôte ») read on one line: « Jour férié — jeudi 6 mai 2027 (Ascension),
    lundi 17 mai 2027 (Lundi de Pentecôte) »."""
    kinds: dict[tuple[str, str], list[DayGroup]] = defaultdict(list)
    for group in groups:
        kind, sep, _detail = group.title.partition(" : ")
        if sep and group.count == 1:
            kinds[(kind, group.children)].append(group)
    result = []
    for group in groups:
        kind, _sep, _detail = group.title.partition(" : ")
        same = kinds.get((kind, group.children), [])
        if len(same) < 2 or group not in same:
            result.append(group)
        elif group is same[0]:
            inline = ", ".join(f"{one.inline} ({one.title.partition(' : ')[2]})" for one in same)
            result.append(
                DayGroup(title=kind, children=group.children, count=len(same), inline=inline)
            )
    return result


def outcome_title(outcome: str) -> str:
    """The heading of a group of days of a period request."""
    return {
        ACCEPTED: _("Réservation acceptée"),
        WAITING: _("En liste d’attente"),
        PENDING: _("Demande en attente de validation"),
        ABSENCE: _("Absence enregistrée, non facturée"),
        ABSENCE_BILLED: _("Absence enregistrée, facturée"),
        ABSENCE_PENDING: _("Absence en attente de validation"),
        ABSENCE_BILLED_PENDING: _(
            "Absence en attente de validation, facturée si elle est acceptée"
        ),
    }[outcome]


def outcome_label(day: AskedDay) -> str:
    """What happened on a one-day request, for one child."""
    cost = money(day.cost) if day.cost else ""
    if day.outcome == WAITING and day.position:
        return _("En liste d’attente, position %(position)s (le créneau est complet)") % {
            "position": day.position
        }
    if day.outcome == ABSENCE_BILLED and cost:
        return _(
            "Absence enregistrée, facturée %(cost)s (déclarée après le délai d’annulation)"
        ) % {"cost": cost}
    if day.outcome == ABSENCE_BILLED_PENDING and cost:
        return _(
            "Absence en attente de validation ; si elle est acceptée, elle sera facturée "
            "%(cost)s (déclarée après le délai d’annulation)"
        ) % {"cost": cost}
    return {
        ACCEPTED: _("Réservation acceptée"),
        WAITING: _("En liste d’attente (le créneau est complet)"),
        PENDING: _("Demande en attente de validation par le service"),
        ABSENCE: _("Absence enregistrée, non facturée"),
        ABSENCE_BILLED: _("Absence enregistrée, facturée (déclarée après le délai d’annulation)"),
        ABSENCE_PENDING: _("Absence en attente de validation par le service"),
        ABSENCE_BILLED_PENDING: _(
            "Absence en attente de validation ; si elle est acceptée, elle sera facturée "
            "(déclarée après le délai d’annulation)"
        ),
    }[day.outcome]


def _next_steps(outcomes: set[str], collectivity: str) -> list[str]:
    steps = []
    if outcomes & {PENDING, ABSENCE_PENDING, ABSENCE_BILLED_PENDING}:
        steps.append(
            _("%(name)s étudiera votre demande ; vous serez informé(e) de sa décision par e-mail.")
            % {"name": capfirst(collectivity) if collectivity else _("Le service")}
        )
    if outcomes & {ACCEPTED, ABSENCE, ABSENCE_BILLED}:
        steps.append(_("Ce qui a été accepté apparaît déjà dans votre planning."))
    if WAITING in outcomes:
        steps.append(_("Si une place se libère, vous en serez informé(e) par e-mail."))
    return steps


def acknowledgement_build(
    *,
    kind: str,
    activity: str,
    children: list[str],
    date_from: datetime.date,
    date_to: datetime.date,
    weekdays,
    days: list[AskedDay],
    left_out: list[LeftOutDay],
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    collectivity: str = "",
) -> Acknowledgement:
    """What the acknowledgement says: pure, in the current language. ``collectivity`` is
    its name as a sentence reads it (« la Ville de Beaulieu-sur-Loire »)."""
    order = {outcome: rank for rank, outcome in enumerate(OUTCOME_ORDER)}
    ack = Acknowledgement(
        kind=kind,
        is_absence=kind == Kind.ABSENCE,
        activity=activity,
        children=_names(children),
        child_count=len(children),
        one_day=date_from == date_to,
        next_steps=_next_steps({day.outcome for day in days}, collectivity),
    )
    if ack.one_day:
        ack.day = day_long(date_from)
        ack.times = times_text(start_time, end_time)
        by_child = {day.child: outcome_label(day) for day in days}
        by_child.update({e.child: capfirst(e.reason) for e in left_out if e.child not in by_child})
        ack.outcomes = [
            ChildOutcome(child, by_child[child]) for child in children if child in by_child
        ]
        return ack
    ack.period = _("du %(start)s au %(end)s") % {
        "start": day_long(date_from),
        "end": day_long(date_to),
    }
    ack.weekdays = weekdays_text(weekdays)
    if days:
        ack.count = count_text(
            kind=kind,
            days=len({day.date for day in days}),
            children=len({day.child for day in days}),
            lines=len(days),
        )
    entries = [
        (
            day.outcome,
            outcome_title(day.outcome),
            day.child,
            day.date,
            _waiting_note(day.position) if day.outcome == WAITING else "",
            day.cost if day.outcome == ABSENCE_BILLED else None,
        )
        for day in days
    ]
    period = (date_from, date_to)
    reasons = [
        (excluded.reason, capfirst(excluded.reason), excluded.child, excluded.date, "", None)
        for excluded in left_out
    ]
    ack.groups = _grouped(entries, children=children, order=order.get, period=None)
    ack.left_out = _grouped(reasons, children=children, order=lambda _key: 0, period=period)
    for group in ack.left_out:
        # A day left out for every child of the request goes without naming them.
        if len(children) > 1 and group.children == ack.children:
            group.children = ""
    ack.left_out = _single_days_merged(ack.left_out)
    return ack


def _line_outcome(kind: str, line: BookingRequestLine) -> str:
    if kind == Kind.RESERVATION:
        return {LineStatus.ACCEPTED: ACCEPTED, LineStatus.WAITING: WAITING}.get(
            line.status, PENDING
        )
    if line.status == LineStatus.PENDING:
        return ABSENCE_BILLED_PENDING if line.billed else ABSENCE_PENDING
    return ABSENCE_BILLED if line.billed else ABSENCE


def waiting_positions_of(lines, *, bookings=None) -> dict[tuple[int, int], int]:
    """(child id, slot id) → the actual position on the slot's waiting list of the waiting
    lines, in two queries (one when their ``bookings`` are given)."""
    pairs = [(line.child_id, line.slot_id) for line in lines if line.status == LineStatus.WAITING]
    if not pairs:
        return {}
    if bookings is None:
        bookings = engine.bookings_by_pair(pairs)
    else:
        wanted = set(pairs)
        bookings = {
            (b.child_id, b.slot_id): b for b in bookings if (b.child_id, b.slot_id) in wanted
        }
    positions = engine.waiting_positions(bookings.values())
    return {pair: positions.get(booking.pk) for pair, booking in bookings.items()}


def acknowledgement_data(request: BookingRequest, *, lines, excluded, positions) -> dict:
    """The plain values (JSON) ``acknowledgement_build`` takes for ``request`` just submitted:
    ``lines`` as decided (or not) at once, ``excluded`` the preview's days left out
    (``ExcludedDay``: child, date, reason), ``positions`` as ``waiting_positions_of`` gives
    them. The outbox row of an acknowledgement rendered by the task cluster keeps them: the
    e-mail then says what was true at submission."""
    activity = request.activity
    children: dict[int, str] = {}
    for item in [*lines, *excluded]:
        children.setdefault(item.child.pk, item.child.first_name)
    days = []
    for line in lines:
        outcome = _line_outcome(request.kind, line)
        billed = outcome in (ABSENCE_BILLED, ABSENCE_BILLED_PENDING)
        cost = activity.unit_price if billed and activity.unit_price else None
        days.append(
            {
                "child": line.child.first_name,
                "date": line.slot.date.isoformat(),
                "outcome": outcome,
                "position": positions.get((line.child_id, line.slot_id)),
                "cost": str(cost) if cost is not None else None,
            }
        )
    first_slot = lines[0].slot if lines else None
    with translation.override(settings.LANGUAGE_CODE):  # a reason may be a lazy text
        left_out = [
            {"child": e.child.first_name, "date": e.date.isoformat(), "reason": str(e.reason)}
            for e in excluded
        ]
    return {
        "kind": request.kind,
        "activity": activity.name,
        "children": list(children.values()),
        "date_from": request.date_from.isoformat(),
        "date_to": request.date_to.isoformat(),
        "weekdays": list(request.weekdays or []),
        "days": days,
        "left_out": left_out,
        "start_time": first_slot.start_time.isoformat() if first_slot else None,
        "end_time": first_slot.end_time.isoformat() if first_slot else None,
        "collectivity": request.family.collectivity.display_name,
    }


def acknowledgement_from_data(data: dict) -> Acknowledgement:
    """The acknowledgement, in French, from ``acknowledgement_data``'s values."""

    def day(value):
        return datetime.date.fromisoformat(value)

    def time(value):
        return datetime.time.fromisoformat(value) if value else None

    days = [
        AskedDay(
            child=item["child"],
            date=day(item["date"]),
            outcome=item["outcome"],
            position=item["position"],
            cost=Decimal(item["cost"]) if item["cost"] is not None else None,
        )
        for item in data["days"]
    ]
    left_out = [LeftOutDay(e["child"], day(e["date"]), e["reason"]) for e in data["left_out"]]
    with translation.override(settings.LANGUAGE_CODE):
        return acknowledgement_build(
            kind=data["kind"],
            activity=data["activity"],
            children=data["children"],
            date_from=day(data["date_from"]),
            date_to=day(data["date_to"]),
            weekdays=data["weekdays"],
            days=days,
            left_out=left_out,
            start_time=time(data["start_time"]),
            end_time=time(data["end_time"]),
            collectivity=data["collectivity"],
        )
