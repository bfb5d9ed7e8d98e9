"""What a reservation or absence request would do, day by day, before anything is written.

``request_preview`` tells each day's outcome (« Acceptée immédiatement », « Soumise à
validation », « Liste d’attente, position N », « Absence facturée : X € »…) and why the other
days are left out; ``request_submit`` (``planning.services.requests``) recomputes the same
preview with the slots locked and applies it; ``day_option`` is the one-day version the slot
page and the one-day confirmation page offer. A fixed number of queries whatever the number
of days and children.
"""

import datetime
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BigIntegerField, Case, Count, F, When
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .. import lock_stats
from ..calendar import closed_reason, public_holidays, school_holidays
from ..errors import PlanningError
from ..models import ActivityClosure, Booking, BookingRequest, BookingRequestLine, Enrolment, Slot
from ..rules import (
    absence_deadline,
    horizon_end,
    local_now,
    reservation_closed_reason,
    slot_starts_at,
)

Kind = BookingRequest.Kind
LineStatus = BookingRequestLine.Status
State = Booking.State

OUTCOME_ACCEPTED = "accepted"
OUTCOME_PENDING = "pending"
OUTCOME_WAITING = "waiting"
OUTCOME_ABSENCE = "absence"
OUTCOME_ABSENCE_BILLED = "absence_billed"
OUTCOMES = (
    OUTCOME_ACCEPTED,
    OUTCOME_PENDING,
    OUTCOME_WAITING,
    OUTCOME_ABSENCE,
    OUTCOME_ABSENCE_BILLED,
)


def money(amount: Decimal) -> str:
    """« 3,50 € »."""
    return _("%(amount)s €") % {"amount": number_format(amount, decimal_pos=2)}


def outcome_label(outcome: str, *, position: int | None = None, cost=None) -> str:
    """The French words of an outcome, as the preview table prints them."""
    if outcome == OUTCOME_ACCEPTED:
        return _("Acceptée immédiatement")
    if outcome == OUTCOME_PENDING:
        return _("Soumise à validation")
    if outcome == OUTCOME_WAITING:
        if position:
            return _("Liste d’attente, position %(position)s") % {"position": position}
        return _("Liste d’attente")
    if outcome == OUTCOME_ABSENCE:
        return _("Absence sans facturation")
    if outcome == OUTCOME_ABSENCE_BILLED:
        return _("Absence facturée : %(cost)s") % {"cost": money(cost or Decimal("0"))}
    return ""


@dataclass
class PreviewDay:
    """A child on a day that the request will include, and what will happen to it."""

    child: object
    slot: Slot
    outcome: str
    position: int | None = None
    cost: Decimal | None = None

    @property
    def date(self) -> datetime.date:
        return self.slot.date

    @property
    def label(self) -> str:
        return outcome_label(self.outcome, position=self.position, cost=self.cost)


@dataclass
class ExcludedDay:
    """A child on a day of the period that the request leaves out, and why (French)."""

    child: object
    date: datetime.date
    reason: str


@dataclass
class Preview:
    kind: str
    activity: object
    days: list[PreviewDay] = field(default_factory=list)
    excluded: list[ExcludedDay] = field(default_factory=list)
    # (child id, slot id) → the state of the booking row the preview read for it, if any.
    existing: dict = field(default_factory=dict)

    @property
    def by_child(self) -> list[tuple[object, list[PreviewDay], list[ExcludedDay]]]:
        """[(child, included days, excluded days)] in the order the children were given."""
        order: dict[int, object] = {}
        days: dict[int, list[PreviewDay]] = defaultdict(list)
        excluded: dict[int, list[ExcludedDay]] = defaultdict(list)
        for day in self.days:
            order.setdefault(day.child.pk, day.child)
            days[day.child.pk].append(day)
        for day in self.excluded:
            order.setdefault(day.child.pk, day.child)
            excluded[day.child.pk].append(day)
        return [(child, days[pk], excluded[pk]) for pk, child in order.items()]

    @property
    def counts(self) -> dict[str, int]:
        """Included days per outcome (every outcome present, 0 when none)."""
        found = Counter(day.outcome for day in self.days)
        return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}

    @property
    def total_cost(self) -> Decimal:
        return sum((day.cost or Decimal("0") for day in self.days), Decimal("0"))

    @property
    def is_empty(self) -> bool:
        return not self.days


@dataclass
class DayOption:
    """What the slot page may offer for one child on one slot."""

    kind: str | None
    allowed: bool
    outcome: str = ""
    message: str = ""
    position: int | None = None
    cost: Decimal | None = None


def _fr(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass
class Ask:
    """What a request asks for, as given (``_validate`` checks it)."""

    family: object
    kind: str
    activity: object
    children: list
    date_from: datetime.date | None
    date_to: datetime.date | None
    weekdays: list
    # Every slot of the period, when the caller has just read them (a one-day request's own
    # slot: one per activity and day): the preview read without lock does not read them again.
    slots: list | None = None


def one_day(*, child, slot) -> dict:
    """The period of a one-day request (``request_submit``'s keywords): ``slot``'s day."""
    return {
        "activity": slot.activity,
        "children": [child],
        "date_from": slot.date,
        "date_to": slot.date,
        "weekdays": [slot.date.weekday()],
        "slots": [slot],
    }


def _validate(ask: Ask, *, today):
    family, kind, activity = ask.family, ask.kind, ask.activity
    date_from, date_to = ask.date_from, ask.date_to
    if kind not in Kind.values:
        raise PlanningError(_("Type de demande inconnu."))
    if activity is None or activity.collectivity_id != family.collectivity_id:
        raise PlanningError(_("Cette activité n’est pas proposée par votre collectivité."))
    if not activity.is_active:
        raise PlanningError(_("Cette activité n’est plus proposée aux familles."))
    children = list(ask.children or [])
    if not children:
        raise PlanningError(_("Choisissez au moins un enfant."))
    if any(child.family_id != family.pk for child in children):
        raise PlanningError(_("Cet enfant n’appartient pas à votre famille."))
    if date_from is None or date_to is None:
        raise PlanningError(_("Indiquez les dates de début et de fin de la période."))
    if date_to < date_from:
        raise PlanningError(_("La date de fin doit être postérieure ou égale à la date de début."))
    try:
        days = sorted({int(day) for day in (ask.weekdays or [])})
    except (TypeError, ValueError):
        days = []
    if not days or any(day < 0 or day > 6 for day in days):
        raise PlanningError(_("Choisissez au moins un jour de la semaine."))
    limit = horizon_end(activity, today)
    if date_to > limit:
        raise PlanningError(
            _("La période dépasse la date limite de réservation (%(date)s).") % {"date": _fr(limit)}
        )
    # A child given twice counts once.
    unique = list({child.pk: child for child in children}.values())
    return unique, days


@dataclass
class _PeriodFacts:
    """What the preview reads about the period's slots, in a fixed number of queries."""

    enrolments: dict = field(default_factory=lambda: defaultdict(list))
    states: dict = field(default_factory=dict)  # (child id, slot id) → booking state
    pending_lines: set = field(default_factory=set)
    counters: dict = field(default_factory=dict)
    taken: dict = field(default_factory=lambda: defaultdict(int))  # places given by this preview
    queued: dict = field(default_factory=lambda: defaultdict(int))  # waiting positions likewise


def _period_slots(ask: Ask, *, days, lock) -> list[Slot]:
    """The activity's slots of the period on the chosen weekdays, by date."""
    if ask.slots is not None and not lock:
        slots = [
            slot
            for slot in ask.slots
            if slot.activity_id == ask.activity.pk
            and ask.date_from <= slot.date <= ask.date_to
            and not slot.is_orphan
            and slot.date.weekday() in days
        ]
        return sorted(slots, key=lambda slot: (slot.date, slot.pk))
    slot_query = Slot.objects.filter(
        activity=ask.activity, date__gte=ask.date_from, date__lte=ask.date_to, is_orphan=False
    )
    asked_at = time.perf_counter()
    if lock:
        # Lock before counting, in pk order like the capacity engine.
        slot_query = slot_query.select_for_update(of=("self",)).order_by("pk")
    slots = sorted(
        (slot for slot in slot_query if slot.date.weekday() in days),
        key=lambda slot: (slot.date, slot.pk),
    )
    if lock:
        lock_stats.locked(asked_at=asked_at)
    return slots


# The facts below are read by ids the preview has checked (the family's children, the
# activity and slots of its collectivity): their rows are that collectivity's, so they are
# read without the scope's joins (``_base_manager``), and without the models' default
# ordering, which nothing here needs.


def _enrolment_periods(ask: Ask, *, child_ids) -> dict:
    periods = defaultdict(list)
    rows = (
        Enrolment._base_manager.filter(
            child_id__in=child_ids,
            activity=ask.activity,
            status=Enrolment.Status.ACCEPTED,
            start_date__lte=ask.date_to,
            end_date__gte=ask.date_from,
        )
        .order_by()
        .values_list("child_id", "start_date", "end_date")
    )
    for child_id, start, end in rows:
        periods[child_id].append((start, end))
    return periods


def _period_bookings(*, slot_ids, child_ids) -> tuple[dict, dict]:
    """The period's bookings in one aggregate query: the state of each asked child's booking
    ((child id, slot id) → state) and, per slot, (places held, bookings waiting)."""
    rows = (
        Booking._base_manager.filter(slot_id__in=slot_ids)
        # The asked children's bookings one by one; the others counted by state.
        .annotate(
            asker=Case(
                When(child_id__in=child_ids, then=F("child_id")),
                output_field=BigIntegerField(),
            )
        )
        .values("slot_id", "asker", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    states: dict[tuple[int, int], str] = {}
    counters: dict[int, tuple[int, int]] = {}
    for row in rows:
        slot_id, state, n = row["slot_id"], row["state"], row["n"]
        if row["asker"] is not None:
            states[(row["asker"], slot_id)] = state
        holders, waiting = counters.get(slot_id, (0, 0))
        if state in Booking.HOLDS_PLACE:
            holders += n
        elif state == State.WAITING:
            waiting += n
        counters[slot_id] = (holders, waiting)
    return states, counters


def _period_facts(ask: Ask, *, child_ids, slots) -> _PeriodFacts:
    facts = _PeriodFacts()
    if not slots:
        return facts
    slot_ids = [slot.pk for slot in slots]
    facts.enrolments = _enrolment_periods(ask, child_ids=child_ids)
    facts.states, facts.counters = _period_bookings(slot_ids=slot_ids, child_ids=child_ids)
    facts.pending_lines = set(
        BookingRequestLine._base_manager.filter(
            child_id__in=child_ids, slot_id__in=slot_ids, status=LineStatus.PENDING
        )
        .order_by()
        .values_list("child_id", "slot_id")
    )
    return facts


def _missing_reasons(ask: Ask, *, days, slot_by_date) -> dict:
    """Dates of the period (on the chosen weekdays) without a slot, and why."""
    activity, start = ask.activity, ask.date_from
    period = (start + datetime.timedelta(days=n) for n in range((ask.date_to - start).days + 1))
    missing = [day for day in period if day.weekday() in days and day not in slot_by_date]
    if not missing:
        return {}
    closures = dict(
        ActivityClosure.objects.filter(
            activity=activity, date__gte=missing[0], date__lte=missing[-1]
        ).values_list("date", "reason")
    )
    public = public_holidays(missing[0], missing[-1])
    school = school_holidays(ask.family.collectivity.school_zone, missing[0], missing[-1])
    return {
        day: closed_reason(activity, day, closures=closures, public=public, school=school)
        or _("Pas d’activité ce jour")
        for day in missing
    }


def _reservation_refusal(*, activity, facts, child, slot, state, now) -> str | None:
    """Why ``child`` cannot ask for a reservation on ``slot`` (None: it can)."""
    if not any(start <= slot.date <= end for start, end in facts.enrolments[child.pk]):
        return _("Enfant non inscrit à cette date")
    if (child.pk, slot.pk) in facts.pending_lines or state == State.PENDING:
        return _("Demande déjà en cours")
    if state in (State.RESERVED, State.OFFERED, State.PRESENT):
        return _("Déjà réservé")
    if state == State.WAITING:
        return _("Déjà en liste d’attente")
    # The same rule as the planning's card (« Inscrit, réservable » / « non réservable »).
    return reservation_closed_reason(activity, slot, now)


def _reservation_day(*, activity, facts, child, slot, state, now):
    reason = _reservation_refusal(
        activity=activity, facts=facts, child=child, slot=slot, state=state, now=now
    )
    if reason:
        return ExcludedDay(child, slot.date, reason)
    if activity.requires_approval:
        return PreviewDay(child, slot, OUTCOME_PENDING)
    holders, waiting = facts.counters.get(slot.pk, (0, 0))
    if holders + facts.taken[slot.pk] < slot.capacity:
        facts.taken[slot.pk] += 1
        return PreviewDay(child, slot, OUTCOME_ACCEPTED)
    facts.queued[slot.pk] += 1
    return PreviewDay(child, slot, OUTCOME_WAITING, waiting + facts.queued[slot.pk])


def _absence_day(*, activity, facts, child, slot, state, now):
    if (child.pk, slot.pk) in facts.pending_lines:
        return ExcludedDay(child, slot.date, _("Demande déjà en cours"))
    if state not in (State.RESERVED, State.OFFERED):
        return ExcludedDay(child, slot.date, _("Pas de réservation ce jour"))
    late = now > absence_deadline(activity, slot.date)
    # An offered place not yet taken is simply given back: never billed.
    if late and activity.late_absence_billed and state == State.RESERVED:
        return PreviewDay(child, slot, OUTCOME_ABSENCE_BILLED, cost=activity.unit_price)
    return PreviewDay(child, slot, OUTCOME_ABSENCE, cost=Decimal("0"))


def _slot_day(*, kind, activity, facts, child, slot, now):
    """One child on one slot of the period: a PreviewDay or an ExcludedDay."""
    if now >= slot_starts_at(slot):
        return ExcludedDay(child, slot.date, _("Jour passé"))
    state = facts.states.get((child.pk, slot.pk))
    decide = _reservation_day if kind == Kind.RESERVATION else _absence_day
    return decide(activity=activity, facts=facts, child=child, slot=slot, state=state, now=now)


def _build_preview(ask: Ask, *, now, lock=False) -> Preview:
    now = local_now(now)
    children, days = _validate(ask, today=now.date())
    slots = _period_slots(ask, days=days, lock=lock)
    slot_by_date = {slot.date: slot for slot in slots}
    facts = _period_facts(ask, child_ids=[child.pk for child in children], slots=slots)
    reasons = _missing_reasons(ask, days=days, slot_by_date=slot_by_date)
    kind, activity = ask.kind, ask.activity
    preview = Preview(kind=kind, activity=activity, existing=facts.states)
    for day in sorted(set(reasons) | set(slot_by_date)):
        slot = slot_by_date.get(day)
        for child in children:
            if slot is None:
                preview.excluded.append(ExcludedDay(child, day, reasons[day]))
                continue
            result = _slot_day(
                kind=kind, activity=activity, facts=facts, child=child, slot=slot, now=now
            )
            (preview.days if isinstance(result, PreviewDay) else preview.excluded).append(result)
    return preview


def request_preview(
    *, family, kind, activity, children, date_from, date_to, weekdays, now=None
) -> Preview:
    """What a request would do, day by day, without writing anything.

    Raises PlanningError (French message) on bad input: reversed dates, no weekday, no child,
    a child of another family, an activity of another collectivity or withdrawn, a period
    beyond the booking horizon."""
    ask = Ask(family, kind, activity, children, date_from, date_to, weekdays)
    return _build_preview(ask, now=now)


OUTCOME_MESSAGES = {
    OUTCOME_ACCEPTED: lambda d: _("La réservation sera acceptée immédiatement."),
    OUTCOME_PENDING: lambda d: _(
        "La demande sera soumise à validation par le service ; vous serez informé(e) "
        "de la décision."
    ),
    OUTCOME_WAITING: lambda d: (
        _(
            "Le créneau est complet : votre enfant sera inscrit en liste d’attente "
            "(position %(position)s)."
        )
        % {"position": d.position}
    ),
    OUTCOME_ABSENCE: lambda d: _("L’absence ne sera pas facturée."),
    OUTCOME_ABSENCE_BILLED: lambda d: (
        _("Le délai d’absence sans facturation est dépassé : l’absence sera facturée %(cost)s.")
        % {"cost": money(d.cost or Decimal("0"))}
    ),
}

# Why a one-day action asked for explicitly (the confirmation page) is not possible.
KIND_RULES = {
    Kind.ABSENCE: lambda: _("Une absence ne peut être déclarée que sur une journée réservée."),
    Kind.RESERVATION: lambda: _(
        "Une réservation ne peut être demandée que sur une journée où l’enfant est inscrit."
    ),
}


def _one_day(*, family, child, slot, kind, now) -> tuple[DayOption, bool]:
    """The preview of ``kind`` for one child on one slot, as a DayOption; the flag tells
    whether the preview ran (False: the input was refused, the message is the error's)."""
    try:
        ask = Ask(family=family, kind=kind, **one_day(child=child, slot=slot))
        preview = _build_preview(ask, now=now)
    except PlanningError as error:
        return DayOption(kind=None, allowed=False, message=error.message), False
    if preview.days:
        day = preview.days[0]
        option = DayOption(
            kind=kind,
            allowed=True,
            outcome=day.outcome,
            message=OUTCOME_MESSAGES[day.outcome](day),
            position=day.position,
            cost=day.cost,
        )
        return option, True
    reason = preview.excluded[0].reason if preview.excluded else ""
    return DayOption(kind=kind, allowed=False, message=reason), True


def _asked_option(*, family, child, slot, kind, now) -> DayOption:
    """``kind`` asked for explicitly while the day offers another action: the preview's
    outcome, or its reason followed by the rule of ``kind``."""
    option, ran = _one_day(family=family, child=child, slot=slot, kind=kind, now=now)
    option.kind = kind
    if not ran or option.allowed:
        return option
    default = (
        _("Pas de réservation ce jour") if kind == Kind.ABSENCE else _("Pas d’activité ce jour")
    )
    reason = option.message or default
    option.message = _("%(reason)s. %(rule)s") % {
        "reason": reason.rstrip("."),
        "rule": KIND_RULES[kind](),
    }
    return option


def day_option(*, family, child, slot, now=None, kind=None) -> DayOption:
    """The single-day action the slot page may offer: reserve, declare an absence, or
    nothing (with the reason). With ``kind`` (the confirmation page of that action): the
    option for that kind, the rule explaining why when the day offers another action. A
    fixed number of queries."""
    booking = Booking.objects.filter(child=child, slot=slot).first()
    state = booking.state if booking is not None else None
    marked = booking is not None and booking.attendance_marked_at is not None
    if state == State.PRESENT or (marked and state in (State.ABSENT, State.ABSENT_BILLED)):
        option = DayOption(
            kind=None, allowed=False, message=_("La présence de ce jour a déjà été pointée.")
        )
    else:
        natural = Kind.ABSENCE if state in (State.RESERVED, State.OFFERED) else Kind.RESERVATION
        option, _ran = _one_day(family=family, child=child, slot=slot, kind=natural, now=now)
        if option.kind is not None and not option.allowed and not option.message:
            option.message = _("Pas d’activité ce jour")
    if kind is None or option.kind in (kind, None):
        if kind is not None and option.kind is None:
            option.kind = kind
        return option
    return _asked_option(family=family, child=child, slot=slot, kind=kind, now=now)
