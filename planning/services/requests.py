"""Reservation and absence requests ("Faire une demande"): preview, submission, decisions.

A request covers one activity, one or more children, a period and some weekdays; it becomes
one ``BookingRequestLine`` per child and day that the rules allow. ``request_preview`` tells,
before anything is written, what will happen to each day (« Acceptée immédiatement »,
« Soumise à validation », « Liste d'attente, position N », « Absence facturée : X € »…) and why
the other days are left out. ``request_submit`` recomputes the same preview inside its
transaction (slots locked) and applies it: through the capacity engine (``planning.bookings``)
at once, or as lines waiting for an agent (``request_accept`` / ``request_refuse``).

Every function runs a fixed number of queries whatever the number of days and children.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.services import email_queue, event_record

from ..calendar import closed_reason, public_holidays, school_holidays
from ..errors import PlanningError
from ..models import (
    ActivityClosure,
    Booking,
    BookingEvent,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
    Slot,
)
from ..rules import absence_deadline, booking_deadline, horizon_end, local_now, slot_starts_at
from . import bookings as engine

Kind = BookingRequest.Kind
LineStatus = BookingRequestLine.Status
State = Booking.State
Verb = BookingEvent.Verb

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


def _validate(*, family, kind, activity, children, date_from, date_to, weekdays, today):
    if kind not in Kind.values:
        raise PlanningError(_("Type de demande inconnu."))
    if activity is None or activity.collectivity_id != family.collectivity_id:
        raise PlanningError(_("Cette activité n’est pas proposée par votre collectivité."))
    if not activity.is_active:
        raise PlanningError(_("Cette activité n’est plus proposée aux familles."))
    children = list(children or [])
    if not children:
        raise PlanningError(_("Choisissez au moins un enfant."))
    if any(child.family_id != family.pk for child in children):
        raise PlanningError(_("Cet enfant n’appartient pas à votre famille."))
    if date_from is None or date_to is None:
        raise PlanningError(_("Indiquez les dates de début et de fin de la période."))
    if date_to < date_from:
        raise PlanningError(_("La date de fin doit être postérieure ou égale à la date de début."))
    try:
        days = sorted({int(day) for day in (weekdays or [])})
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


def _build_preview(
    *, family, kind, activity, children, date_from, date_to, weekdays, now, lock=False
) -> Preview:
    now = local_now(now)
    children, days = _validate(
        family=family,
        kind=kind,
        activity=activity,
        children=children,
        date_from=date_from,
        date_to=date_to,
        weekdays=weekdays,
        today=now.date(),
    )
    child_ids = [child.pk for child in children]
    slot_query = Slot.objects.filter(
        activity=activity, date__gte=date_from, date__lte=date_to, is_orphan=False
    )
    if lock:
        # Lock before counting, in pk order like the capacity engine.
        slot_query = slot_query.select_for_update(of=("self",)).order_by("pk")
    slots = sorted(
        (slot for slot in slot_query if slot.date.weekday() in days),
        key=lambda slot: (slot.date, slot.pk),
    )
    slot_by_date = {slot.date: slot for slot in slots}
    slot_ids = [slot.pk for slot in slots]

    enrolments = defaultdict(list)
    bookings: dict[tuple[int, int], Booking] = {}
    pending_lines: set[tuple[int, int]] = set()
    counters: dict[int, tuple[int, int]] = {}
    if slots:
        for row in Enrolment.objects.filter(
            child_id__in=child_ids,
            activity=activity,
            status=Enrolment.Status.ACCEPTED,
            start_date__lte=date_to,
            end_date__gte=date_from,
        ).values_list("child_id", "start_date", "end_date"):
            enrolments[row[0]].append((row[1], row[2]))
        for booking in Booking.objects.filter(child_id__in=child_ids, slot_id__in=slot_ids):
            bookings[(booking.child_id, booking.slot_id)] = booking
        pending_lines = set(
            BookingRequestLine.objects.filter(
                child_id__in=child_ids, slot_id__in=slot_ids, status=LineStatus.PENDING
            ).values_list("child_id", "slot_id")
        )
        if kind == Kind.RESERVATION:
            rows = (
                Booking.objects.filter(slot_id__in=slot_ids)
                .values("slot_id")
                .annotate(
                    holders=Count("pk", filter=Q(state__in=Booking.HOLDS_PLACE)),
                    waiting=Count("pk", filter=Q(state=State.WAITING)),
                )
                .order_by()
            )
            counters = {row["slot_id"]: (row["holders"], row["waiting"]) for row in rows}

    # Dates of the period (on the chosen weekdays) without a slot: say why.
    missing = [
        date_from + datetime.timedelta(days=offset)
        for offset in range((date_to - date_from).days + 1)
        if (date_from + datetime.timedelta(days=offset)).weekday() in days
        and (date_from + datetime.timedelta(days=offset)) not in slot_by_date
    ]
    reasons: dict[datetime.date, str] = {}
    if missing:
        closures = dict(
            ActivityClosure.objects.filter(
                activity=activity, date__gte=missing[0], date__lte=missing[-1]
            ).values_list("date", "reason")
        )
        public = public_holidays(missing[0], missing[-1])
        school = school_holidays(family.collectivity.school_zone, missing[0], missing[-1])
        for day in missing:
            reason = closed_reason(activity, day, closures=closures, public=public, school=school)
            reasons[day] = reason or _("Pas d’activité ce jour")

    preview = Preview(kind=kind, activity=activity)
    taken = defaultdict(int)  # places given by earlier days/children of this preview
    queued = defaultdict(int)  # waiting positions given likewise
    for day in sorted(set(reasons) | set(slot_by_date)):
        slot = slot_by_date.get(day)
        for child in children:
            if slot is None:
                preview.excluded.append(ExcludedDay(child, day, reasons[day]))
                continue
            pair = (child.pk, slot.pk)
            booking = bookings.get(pair)
            state = booking.state if booking is not None else None
            if now >= slot_starts_at(slot):
                preview.excluded.append(ExcludedDay(child, day, _("Jour passé")))
                continue
            if kind == Kind.RESERVATION:
                enrolled = any(start <= day <= end for start, end in enrolments[child.pk])
                if not enrolled:
                    reason = _("Enfant non inscrit à cette date")
                elif pair in pending_lines or state == State.PENDING:
                    reason = _("Demande déjà en cours")
                elif state in (State.RESERVED, State.OFFERED, State.PRESENT):
                    reason = _("Déjà réservé")
                elif state == State.WAITING:
                    reason = _("Déjà en liste d’attente")
                elif now > booking_deadline(activity, day):
                    reason = _("Délai de réservation dépassé")
                else:
                    reason = None
                if reason:
                    preview.excluded.append(ExcludedDay(child, day, reason))
                    continue
                if activity.requires_approval:
                    preview.days.append(PreviewDay(child, slot, OUTCOME_PENDING))
                    continue
                holders, waiting = counters.get(slot.pk, (0, 0))
                if holders + taken[slot.pk] < slot.capacity:
                    taken[slot.pk] += 1
                    preview.days.append(PreviewDay(child, slot, OUTCOME_ACCEPTED))
                else:
                    queued[slot.pk] += 1
                    position = waiting + queued[slot.pk]
                    preview.days.append(PreviewDay(child, slot, OUTCOME_WAITING, position))
            else:
                if pair in pending_lines:
                    reason = _("Demande déjà en cours")
                elif state not in (State.RESERVED, State.OFFERED):
                    reason = _("Pas de réservation ce jour")
                else:
                    reason = None
                if reason:
                    preview.excluded.append(ExcludedDay(child, day, reason))
                    continue
                late = now > absence_deadline(activity, day)
                # An offered place not yet taken is simply given back: never billed.
                if late and activity.late_absence_billed and state == State.RESERVED:
                    cost = activity.unit_price
                    preview.days.append(PreviewDay(child, slot, OUTCOME_ABSENCE_BILLED, cost=cost))
                else:
                    preview.days.append(PreviewDay(child, slot, OUTCOME_ABSENCE, cost=Decimal("0")))
    return preview


def request_preview(
    *, family, kind, activity, children, date_from, date_to, weekdays, now=None
) -> Preview:
    """What a request would do, day by day, without writing anything.

    Raises PlanningError (French message) on bad input: reversed dates, no weekday, no child,
    a child of another family, an activity of another collectivity or withdrawn, a period
    beyond the booking horizon."""
    return _build_preview(
        family=family,
        kind=kind,
        activity=activity,
        children=children,
        date_from=date_from,
        date_to=date_to,
        weekdays=weekdays,
        now=now,
    )


def _period_text(request: BookingRequest) -> str:
    if request.date_from == request.date_to:
        return _("le %(day)s") % {"day": _fr(request.date_from)}
    return _("du %(start)s au %(end)s") % {
        "start": _fr(request.date_from),
        "end": _fr(request.date_to),
    }


def _what(request: BookingRequest) -> str:
    if request.kind == Kind.ABSENCE:
        text = _("demande d’absence « %(activity)s », %(period)s")
    else:
        text = _("demande de réservation « %(activity)s », %(period)s")
    return text % {"activity": request.activity.name, "period": _period_text(request)}


def _summary(counts: dict[str, int]) -> str:
    parts = []
    labels = {
        LineStatus.ACCEPTED: lambda n: ngettext("%(n)s jour accepté", "%(n)s jours acceptés", n),
        LineStatus.WAITING: lambda n: ngettext(
            "%(n)s jour en liste d’attente", "%(n)s jours en liste d’attente", n
        ),
        LineStatus.PENDING: lambda n: ngettext(
            "%(n)s jour en attente de validation", "%(n)s jours en attente de validation", n
        ),
        LineStatus.REFUSED: lambda n: ngettext("%(n)s jour refusé", "%(n)s jours refusés", n),
        LineStatus.CANCELLED: lambda n: ngettext("%(n)s jour annulé", "%(n)s jours annulés", n),
    }
    for status, label in labels.items():
        if counts.get(status):
            parts.append(label(counts[status]) % {"n": counts[status]})
    return ", ".join(parts)


def _line_counts(request: BookingRequest) -> dict[str, int]:
    rows = request.lines.values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


def request_status_refresh(request: BookingRequest) -> BookingRequest:
    """Derive the request's status from its lines (one query) and save it: pending while a
    line is pending; cancelled when all are; otherwise, leaving cancelled lines aside,
    accepted (accepted or waiting), refused, or partial."""
    counts = _line_counts(request)
    return _status_apply(request, counts)


def _status_apply(request: BookingRequest, counts: dict[str, int]) -> BookingRequest:
    statuses = {status for status, n in counts.items() if n}
    Status = BookingRequest.Status
    if not statuses or LineStatus.PENDING in statuses:
        status = Status.PENDING
    elif statuses == {LineStatus.CANCELLED}:
        status = Status.CANCELLED
    else:
        decided = statuses - {LineStatus.CANCELLED}
        if decided <= {LineStatus.ACCEPTED, LineStatus.WAITING}:
            status = Status.ACCEPTED
        elif decided == {LineStatus.REFUSED}:
            status = Status.REFUSED
        else:
            status = Status.PARTIAL
    request.status = status
    if status == Status.PENDING:
        request.decided_at = None
    elif request.decided_at is None:
        request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    return request


def _user_or_none(user):
    return user if user is not None and user.is_authenticated else None


def _apply_absences(lines, bookings_by_pair, *, actor) -> None:
    """Release the bookings of accepted absence lines: billed → ABSENT_BILLED, others →
    ABSENT, a place only offered → given back (CANCELLED)."""
    groups: dict[str, list[Booking]] = defaultdict(list)
    line_map = {}
    for line in lines:
        booking = bookings_by_pair.get((line.child_id, line.slot_id))
        if booking is None or booking.state not in (State.RESERVED, State.OFFERED):
            continue
        if booking.state == State.OFFERED:
            target = State.CANCELLED
        elif line.billed:
            target = State.ABSENT_BILLED
        else:
            target = State.ABSENT
        groups[target].append(booking)
        line_map[(line.child_id, line.slot_id)] = line
    for target, group in groups.items():
        engine.release(bookings=group, state=target, actor=actor, verb=Verb.ABSENCE, lines=line_map)


@transaction.atomic
def request_submit(
    *,
    family,
    user,
    kind,
    activity,
    children,
    date_from,
    date_to,
    weekdays,
    submission_key: str = "",
    comment: str = "",
    now=None,
) -> BookingRequest:
    """Record a reservation or absence request and apply what the activity's rules allow.

    A replayed form (same ``submission_key`` for the family) returns the first request,
    unchanged. Raises PlanningError when the input is wrong or no day can be asked for; then
    nothing is written."""
    engine.bulk_limit_lift()
    submission_key = (submission_key or "")[:64]
    if submission_key:
        existing = BookingRequest.objects.filter(
            family=family, submission_key=submission_key
        ).first()
        if existing is not None:
            return existing
    preview = _build_preview(
        family=family,
        kind=kind,
        activity=activity,
        children=children,
        date_from=date_from,
        date_to=date_to,
        weekdays=weekdays,
        now=now,
        lock=True,
    )
    if preview.is_empty:
        raise PlanningError(_("Aucun jour de la période ne peut être demandé."))
    actor = _user_or_none(user)
    try:
        with transaction.atomic():
            request = BookingRequest.objects.create(
                family=family,
                activity=activity,
                kind=kind,
                date_from=date_from,
                date_to=date_to,
                weekdays=sorted({int(day) for day in weekdays}),
                comment=(comment or "").strip(),
                submission_key=submission_key,
                created_by=actor,
            )
    except IntegrityError:
        # The same form posted twice at once: the other transaction created it first.
        existing = BookingRequest.objects.filter(
            family=family, submission_key=submission_key
        ).first()
        if existing is None:
            raise
        return existing
    lines = BookingRequestLine.objects.bulk_create(
        [
            BookingRequestLine(
                request=request,
                child=day.child,
                slot=day.slot,
                billed=day.outcome == OUTCOME_ABSENCE_BILLED,
            )
            for day in preview.days
        ]
    )
    line_by_pair = {(line.child_id, line.slot_id): line for line in lines}
    pairs = list(line_by_pair)
    now_utc = timezone.now()
    if activity.requires_approval:
        if kind == Kind.RESERVATION:
            engine.set_pending(pairs=pairs, actor=actor, lines=line_by_pair)
        else:
            # The booking stays reserved until an agent decides; the history shows the ask.
            bookings = {
                (b.child_id, b.slot_id): b
                for b in Booking.objects.filter(
                    child_id__in={c for c, _s in pairs}, slot_id__in={s for _c, s in pairs}
                )
            }
            BookingEvent.objects.bulk_create(
                [
                    BookingEvent(
                        booking=bookings[pair],
                        verb=Verb.REQUESTED,
                        state=bookings[pair].state,
                        request_line=line,
                        actor=actor,
                    )
                    for pair, line in line_by_pair.items()
                    if pair in bookings
                ]
            )
        counts = {LineStatus.PENDING: len(lines)}
    else:
        if kind == Kind.RESERVATION:
            states = engine.reserve(pairs=pairs, actor=actor, lines=line_by_pair)
            for line in lines:
                state = states[(line.child_id, line.slot_id)]
                line.status = LineStatus.WAITING if state == State.WAITING else LineStatus.ACCEPTED
        else:
            bookings = {
                (b.child_id, b.slot_id): b
                for b in Booking.objects.filter(
                    child_id__in={c for c, _s in pairs}, slot_id__in={s for _c, s in pairs}
                )
            }
            _apply_absences(lines, bookings, actor=actor)
            for line in lines:
                line.status = LineStatus.ACCEPTED
        for line in lines:
            line.decided_at = now_utc
        BookingRequestLine.objects.bulk_update(lines, ["status", "decided_at"])
        counts = Counter(line.status for line in lines)
    _status_apply(request, counts)
    _notify_created(request, counts=counts, user=user)
    return request


def _notify_created(request: BookingRequest, *, counts, user) -> None:
    family = request.family
    collectivity = family.collectivity
    summary = _summary(counts)
    message = _("%(what)s : %(summary)s.") % {"what": _what(request), "summary": summary}
    message = message[0].upper() + message[1:]
    event_record(
        collectivity=collectivity,
        family_id=family.pk,
        subject=request,
        actor=user,
        verb="booking_request_created",
        message=message,
        data={"kind": request.kind, "status": request.status, "lines": dict(counts)},
    )
    if request.created_by is not None and request.created_by.email:
        if request.status == BookingRequest.Status.PENDING:
            next_step = _(
                "Elle sera traitée par le service ; vous serez informé(e) de la décision."
            )
        else:
            next_step = _("Elle a été traitée immédiatement : consultez votre planning.")
        email_queue(
            template="planning/request_received",
            context={"what": _what(request), "summary": summary, "next_step": next_step},
            collectivity=collectivity,
            family=family,
            to=[request.created_by.email],
            link=reverse("planning:request_detail", args=[request.pk]),
        )


def _locked_request(request: BookingRequest) -> BookingRequest:
    engine.bulk_limit_lift()
    return (
        BookingRequest.objects.select_for_update(of=("self",))
        .select_related("family__collectivity", "activity", "created_by")
        .get(pk=request.pk)
    )


def _pending_lines(request: BookingRequest, line_ids) -> list[BookingRequestLine]:
    lines = request.lines.filter(status=LineStatus.PENDING)
    if line_ids is not None:
        lines = lines.filter(pk__in=list(line_ids))
    lines = list(lines.select_related("slot", "child"))
    if not lines:
        raise PlanningError(_("Cette demande a déjà été traitée."))
    return lines


def _bookings_of(lines) -> dict[tuple[int, int], Booking]:
    pairs = {(line.child_id, line.slot_id) for line in lines}
    rows = Booking.objects.filter(
        child_id__in={c for c, _s in pairs}, slot_id__in={s for _c, s in pairs}
    )
    return {(b.child_id, b.slot_id): b for b in rows if (b.child_id, b.slot_id) in pairs}


def _notify_decided(request: BookingRequest, *, agent, lines, reason: str = "") -> None:
    counts = Counter(line.status for line in lines)
    summary = _summary(counts)
    message = _("Décision sur votre %(what)s : %(summary)s.") % {
        "what": _what(request),
        "summary": summary,
    }
    if reason:
        message += " " + _("Motif : %(reason)s") % {"reason": reason}
    collectivity = request.family.collectivity
    event_record(
        collectivity=collectivity,
        family_id=request.family_id,
        subject=request,
        actor=agent,
        verb="booking_request_decided",
        message=message,
        data={"status": request.status, "lines": dict(counts)},
    )
    if request.created_by is not None and request.created_by.email:
        email_queue(
            template="planning/request_decided",
            context={"message": message},
            collectivity=collectivity,
            family=request.family,
            to=[request.created_by.email],
            link=reverse("planning:request_detail", args=[request.pk]),
        )


@transaction.atomic
def request_accept(*, request: BookingRequest, agent, line_ids=None) -> BookingRequest:
    """Accept the pending days of a request (all, or those of ``line_ids``).

    Reservations go through the capacity engine: a day may end on the waiting list (line
    status "waiting"). Absences release the booking (billed or not, as computed at request
    time)."""
    request = _locked_request(request)
    lines = _pending_lines(request, line_ids)
    now = timezone.now()
    actor = _user_or_none(agent)
    line_by_pair = {(line.child_id, line.slot_id): line for line in lines}
    if request.kind == Kind.RESERVATION:
        states = engine.reserve(
            pairs=list(line_by_pair), actor=actor, verb=Verb.ACCEPTED, lines=line_by_pair
        )
        for line in lines:
            state = states[(line.child_id, line.slot_id)]
            line.status = LineStatus.WAITING if state == State.WAITING else LineStatus.ACCEPTED
    else:
        _apply_absences(lines, _bookings_of(lines), actor=actor)
        for line in lines:
            line.status = LineStatus.ACCEPTED
    for line in lines:
        line.decided_by, line.decided_at = actor, now
    BookingRequestLine.objects.bulk_update(lines, ["status", "decided_by", "decided_at"])
    request_status_refresh(request)
    _notify_decided(request, agent=actor, lines=lines)
    return request


@transaction.atomic
def request_refuse(*, request: BookingRequest, agent, reason: str, line_ids=None) -> BookingRequest:
    """Refuse the pending days of a request (all, or those of ``line_ids``), with a reason
    the family reads. A refused reservation leaves the child without booking; a refused
    absence leaves the booking reserved."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanningError(_("Indiquez le motif du refus."))
    request = _locked_request(request)
    lines = _pending_lines(request, line_ids)
    now = timezone.now()
    actor = _user_or_none(agent)
    line_by_pair = {(line.child_id, line.slot_id): line for line in lines}
    bookings = _bookings_of(lines)
    if request.kind == Kind.RESERVATION:
        pending = [b for b in bookings.values() if b.state == State.PENDING]
        engine.release(
            bookings=pending,
            state=State.CANCELLED,
            actor=actor,
            verb=Verb.REFUSED,
            lines=line_by_pair,
            note=reason,
        )
    else:
        _history(bookings, line_by_pair, verb=Verb.REFUSED, actor=actor, note=reason)
    for line in lines:
        line.status = LineStatus.REFUSED
        line.refusal_reason = reason
        line.decided_by, line.decided_at = actor, now
    BookingRequestLine.objects.bulk_update(
        lines, ["status", "refusal_reason", "decided_by", "decided_at"]
    )
    request_status_refresh(request)
    _notify_decided(request, agent=actor, lines=lines, reason=reason)
    return request


def _history(bookings, line_by_pair, *, verb, actor, note="") -> None:
    """A history step on bookings whose state does not change (absence asked, refused…)."""
    BookingEvent.objects.bulk_create(
        [
            BookingEvent(
                booking=booking,
                verb=verb,
                state=booking.state,
                request_line=line_by_pair.get(pair),
                actor=actor,
                note=note,
            )
            for pair, booking in bookings.items()
        ]
    )


def requests_decide_bulk(*, requests, agent, accept: bool, reason: str = "") -> int:
    """Accept or refuse every pending day of several requests; returns how many requests
    were decided (those already decided are skipped)."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise PlanningError(_("Indiquez le motif du refus."))
    decided = 0
    with transaction.atomic():
        for request in requests:
            try:
                with transaction.atomic():
                    if accept:
                        request_accept(request=request, agent=agent)
                    else:
                        request_refuse(request=request, agent=agent, reason=reason)
            except PlanningError:
                continue
            decided += 1
    return decided


@transaction.atomic
def request_cancel(*, request: BookingRequest, user) -> BookingRequest:
    """The family withdraws a request still waiting for a decision: its pending days are
    cancelled (days already decided keep their decision)."""
    request = _locked_request(request)
    if request.status != BookingRequest.Status.PENDING:
        raise PlanningError(_("Cette demande a déjà été traitée ; elle ne peut plus être annulée."))
    lines = list(request.lines.filter(status=LineStatus.PENDING))
    if not lines:
        raise PlanningError(_("Cette demande a déjà été traitée ; elle ne peut plus être annulée."))
    now = timezone.now()
    actor = _user_or_none(user)
    line_by_pair = {(line.child_id, line.slot_id): line for line in lines}
    bookings = _bookings_of(lines)
    if request.kind == Kind.RESERVATION:
        pending = [b for b in bookings.values() if b.state == State.PENDING]
        engine.release(
            bookings=pending,
            state=State.CANCELLED,
            actor=actor,
            verb=Verb.CANCELLED,
            lines=line_by_pair,
        )
    else:
        _history(bookings, line_by_pair, verb=Verb.CANCELLED, actor=actor)
    for line in lines:
        line.status = LineStatus.CANCELLED
        line.decided_by, line.decided_at = actor, now
    BookingRequestLine.objects.bulk_update(lines, ["status", "decided_by", "decided_at"])
    request_status_refresh(request)
    event_record(
        collectivity=request.family.collectivity,
        family_id=request.family_id,
        subject=request,
        actor=actor,
        verb="booking_request_cancelled",
        message=_("Vous avez annulé votre %(what)s.") % {"what": _what(request)},
    )
    return request


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


def day_option(*, family, child, slot, now=None) -> DayOption:
    """The single-day action the slot page may offer: reserve, declare an absence, or
    nothing (with the reason). A fixed number of queries."""
    booking = Booking.objects.filter(child=child, slot=slot).first()
    state = booking.state if booking is not None else None
    marked = booking is not None and booking.attendance_marked_at is not None
    if state == State.PRESENT or (marked and state in (State.ABSENT, State.ABSENT_BILLED)):
        return DayOption(
            kind=None, allowed=False, message=_("La présence de ce jour a déjà été pointée.")
        )
    kind = Kind.ABSENCE if state in (State.RESERVED, State.OFFERED) else Kind.RESERVATION
    try:
        preview = _build_preview(
            family=family,
            kind=kind,
            activity=slot.activity,
            children=[child],
            date_from=slot.date,
            date_to=slot.date,
            weekdays=[slot.date.weekday()],
            now=now,
        )
    except PlanningError as error:
        return DayOption(kind=None, allowed=False, message=error.message)
    if preview.days:
        day = preview.days[0]
        return DayOption(
            kind=kind,
            allowed=True,
            outcome=day.outcome,
            message=OUTCOME_MESSAGES[day.outcome](day),
            position=day.position,
            cost=day.cost,
        )
    reason = preview.excluded[0].reason if preview.excluded else _("Pas d’activité ce jour")
    return DayOption(kind=kind, allowed=False, message=reason)
