"""Reservation and absence requests ("Faire une demande"): preview, submission, decisions.

A request covers one activity, one or more children, a period and some weekdays; it becomes
one ``BookingRequestLine`` per child and day that the rules allow. ``request_preview`` tells,
before anything is written, what will happen to each day (« Acceptée immédiatement »,
« Soumise à validation », « Liste d’attente, position N », « Absence facturée : X € »…) and why
the other days are left out. ``request_submit`` recomputes the same preview inside its
transaction (slots locked) and applies it: through the capacity engine (``planning.services.bookings``)
at once, or as lines waiting for an agent (``request_accept`` / ``request_refuse``).

Every function runs a fixed number of queries whatever the number of days and children.
"""

from collections import Counter, defaultdict

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.services import email_queue, email_queue_deferred, event_record
from portal.errors import refusal_reason
from portal.formats import actor_or_none

from .. import lock_stats
from ..errors import PlanningError
from ..models import Booking, BookingEvent, BookingRequest, BookingRequestLine
from . import bookings as engine
from .acknowledgements import (
    acknowledgement_data,
    acknowledgement_from_data,
    waiting_positions_of,
)
from .preview import OUTCOME_ABSENCE_BILLED, OUTCOME_ACCEPTED, Ask, _build_preview, _fr

Kind = BookingRequest.Kind
LineStatus = BookingRequestLine.Status
State = Booking.State
Verb = BookingEvent.Verb


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


def _line_map(lines) -> dict[tuple[int, int], BookingRequestLine]:
    return {(line.child_id, line.slot_id): line for line in lines}


def _replayed(family, submission_key: str) -> BookingRequest | None:
    """The request a form with this key already created for the family, if any."""
    if not submission_key:
        return None
    return BookingRequest.objects.filter(family=family, submission_key=submission_key).first()


def _request_record(
    *, family, actor, submission_key, preview, statuses=None, savepoint=True, **fields
):
    """The request row and its lines; (request, False) when a concurrent post of the same
    form created the request first. ``statuses``: each preview day's line status when the
    lines are decided at once (default: pending). Without ``savepoint`` a concurrent post's
    IntegrityError goes to the caller (``request_submit`` then makes the request again, and
    finds the first one)."""
    try:
        with transaction.atomic(savepoint=savepoint):
            request = BookingRequest.objects.create(
                family=family, submission_key=submission_key, created_by=actor, **fields
            )
    except IntegrityError:
        if not savepoint:
            raise
        existing = _replayed(family, submission_key)
        if existing is None:
            raise
        return existing, False
    decided_at = request.decided_at
    request.lines_created = BookingRequestLine.objects.bulk_create(
        [
            BookingRequestLine(
                request=request,
                child=day.child,
                slot=day.slot,
                billed=day.outcome == OUTCOME_ABSENCE_BILLED,
                **(
                    {"status": statuses[index], "decided_at": decided_at}
                    if statuses is not None
                    else {}
                ),
            )
            for index, day in enumerate(preview.days)
        ]
    )
    return request, True


def _reserve_lines(lines, *, actor, verb=Verb.BOOKED, received_at=None) -> None:
    """Reservation lines through the capacity engine: accepted, or waiting when full (queued
    at the request's arrival when given)."""
    line_by_pair = _line_map(lines)
    states = engine.reserve(
        pairs=list(line_by_pair), actor=actor, verb=verb, lines=line_by_pair, queued_at=received_at
    )
    for line in lines:
        state = states[(line.child_id, line.slot_id)]
        line.status = LineStatus.WAITING if state == State.WAITING else LineStatus.ACCEPTED


def _absence_lines(lines, *, actor) -> None:
    """Absence lines accepted: their bookings are released."""
    _apply_absences(lines, engine.bookings_by_pair(_line_map(lines)), actor=actor)
    for line in lines:
        line.status = LineStatus.ACCEPTED


def _lines_to_agent(request: BookingRequest, lines, *, actor, received_at=None) -> dict[str, int]:
    """The activity requires approval: the lines wait for an agent."""
    line_by_pair = _line_map(lines)
    if request.kind == Kind.RESERVATION:
        engine.set_pending(pairs=list(line_by_pair), actor=actor, lines=line_by_pair)
    else:
        # The booking stays reserved until an agent decides; the history shows the ask.
        bookings = engine.bookings_by_pair(line_by_pair)
        _history(bookings, line_by_pair, verb=Verb.REQUESTED, actor=actor)
    return {LineStatus.PENDING: len(lines)}


def _lines_apply(request: BookingRequest, lines, *, actor, received_at=None) -> dict[str, int]:
    """No approval needed: the lines are decided at once."""
    if request.kind == Kind.RESERVATION:
        _reserve_lines(lines, actor=actor, received_at=received_at)
    else:
        _absence_lines(lines, actor=actor)
    now = timezone.now()
    for line in lines:
        line.decided_at = now
    BookingRequestLine.objects.bulk_update(lines, ["status", "decided_at"])
    return Counter(line.status for line in lines)


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
    received_at=None,
    slots=None,
    email_deferred: bool = False,
) -> BookingRequest:
    """Record a reservation or absence request and apply what the activity's rules allow.

    A replayed form (same ``submission_key`` for the family) returns the first request,
    unchanged. Raises PlanningError when the input is wrong or no day can be asked for; then
    nothing is written.

    ``received_at`` is the request's arrival (the view stamps it first thing): places go to
    the earliest arrivals and the waiting list follows it. A reservation decided at once
    takes the short way (``_submit_ahead``): everything is written before the slot lock,
    which is taken last, only to check the places; when the check fails the transaction is
    rolled back and the request is made again with the lock taken first (``_submit_locked``).
    ``slots``: every slot of the period as the caller just read them (``one_day`` gives its
    slot), so that the preview does not read them again. ``email_deferred``: the
    acknowledgement is queued with its data frozen and rendered by the task cluster (the web
    POST: its workers then spend no time on templates), else rendered here."""
    received_at = received_at or timezone.now()
    submission_key = (submission_key or "")[:64]
    ask = Ask(family, kind, activity, children, date_from, date_to, weekdays, slots)
    args = {
        "ask": ask,
        "user": user,
        "submission_key": submission_key,
        "comment": comment,
        "email_deferred": email_deferred,
    }
    if kind == Kind.RESERVATION and not activity.requires_approval:
        try:
            with transaction.atomic():
                return _submit_ahead(**args, now=now, received_at=received_at)
        except (engine.Mispredicted, IntegrityError):
            lock_stats.mispredicted()
        except _LockFirst:
            pass
    with transaction.atomic():
        return _submit_locked(**args, now=now, received_at=received_at)


def _request_fields(ask: Ask, *, comment, received_at) -> dict:
    return {
        "activity": ask.activity,
        "kind": ask.kind,
        "date_from": ask.date_from,
        "date_to": ask.date_to,
        "weekdays": sorted({int(day) for day in ask.weekdays}),
        "comment": (comment or "").strip(),
        "received_at": received_at,
    }


class _LockFirst(Exception):
    """The short way does not take this request: it is made the careful way (which also
    finds a replayed form's request, and says why no day can be asked for)."""


_PREDICTED = {OUTCOME_ACCEPTED: (LineStatus.ACCEPTED, State.RESERVED)}
_PREDICTED_WAITING = (LineStatus.WAITING, State.WAITING)


def _replayed_or_preview(ask: Ask, submission_key: str, *, now, lock=False):
    """(the request this form already made, None) for a replayed form, else (None, the
    preview: read under the slot lock when ``lock``). Raises PlanningError when no day of
    the period can be asked for."""
    engine.bulk_limit_lift()
    existing = _replayed(ask.family, submission_key)
    if existing is not None:
        return existing, None
    preview = _build_preview(ask, now=now, lock=lock)
    if preview.is_empty:
        raise PlanningError(_("Aucun jour de la période ne peut être demandé."))
    return None, preview


def _submit_ahead(
    *, ask, user, submission_key, comment, now, received_at, email_deferred
) -> BookingRequest:
    """A reservation without approval, written ahead of the lock: the preview (read without
    the lock) predicts each day's outcome; the request, its lines, the bookings, their
    history, the timeline event and the acknowledgement are written as predicted; then
    ``places_confirm`` locks the slots and checks the places, and the transaction commits.
    Raises ``Mispredicted`` (or IntegrityError, a concurrent booking of the same child).

    No query looks for a replayed form first: the request's unique (family, submission key)
    refuses a replay's insert (IntegrityError), and a replay finds its own days already
    booked or asked for (``_LockFirst``): the careful way then returns the first request."""
    engine.bulk_limit_lift()
    preview = _build_preview(ask, now=now or received_at)
    if preview.is_empty:
        raise _LockFirst
    pairs = [(day.child.pk, day.slot.pk) for day in preview.days]
    if any(pair in preview.existing for pair in pairs):
        # A row to reuse (a cancelled day asked again): the careful way, lock first.
        raise _LockFirst
    predicted = [_PREDICTED.get(day.outcome, _PREDICTED_WAITING) for day in preview.days]
    actor = actor_or_none(user)
    request, created = _request_record(
        family=ask.family,
        actor=actor,
        submission_key=submission_key,
        preview=preview,
        statuses=[status for status, _state in predicted],
        savepoint=False,
        status=BookingRequest.Status.ACCEPTED,
        decided_at=timezone.now(),
        **_request_fields(ask, comment=comment, received_at=received_at),
    )
    if not created:
        return request
    lines = request.lines_created
    line_by_pair = _line_map(lines)
    states = {pair: state for pair, (_status, state) in zip(pairs, predicted, strict=True)}
    # Every child is the family's (the preview checked), whose version the request row's save
    # has just raised.
    bookings = engine.reserve_ahead(
        states=states,
        actor=actor,
        lines=line_by_pair,
        queued_at=received_at,
        families_bumped=True,
    )
    counts = Counter(line.status for line in lines)
    _notify_created(
        request,
        counts=counts,
        user=user,
        excluded=preview.excluded,
        bookings=bookings,
        email_deferred=email_deferred,
    )
    # Last: the slot lock and the check of the places, then COMMIT.
    engine.places_confirm(
        taken={slot for (_c, slot), state in states.items() if state == State.RESERVED},
        queued={slot for (_c, slot), state in states.items() if state == State.WAITING},
    )
    return request


def _submit_locked(
    *, ask, user, submission_key, comment, now, received_at, email_deferred
) -> BookingRequest:
    """The careful way: the slots locked first, the preview computed under the lock (so that
    the outcome and the waiting position are exact), then everything written."""
    existing, preview = _replayed_or_preview(ask, submission_key, now=now or received_at, lock=True)
    if existing is not None:
        return existing
    actor = actor_or_none(user)
    request, created = _request_record(
        family=ask.family,
        actor=actor,
        submission_key=submission_key,
        preview=preview,
        **_request_fields(ask, comment=comment, received_at=received_at),
    )
    if not created:
        return request
    apply = _lines_to_agent if ask.activity.requires_approval else _lines_apply
    counts = apply(request, request.lines_created, actor=actor, received_at=received_at)
    _status_apply(request, counts)
    _notify_created(
        request, counts=counts, user=user, excluded=preview.excluded, email_deferred=email_deferred
    )
    return request


def _record(
    request: BookingRequest, *, actor, verb: str, message: str, data=None, digest=False
) -> None:
    """The request's event on the family's timeline (``digest``: a decision the family reads
    in its next digest)."""
    event_record(
        collectivity=request.family.collectivity,
        family_id=request.family_id,
        subject=request,
        actor=actor,
        verb=verb,
        message=message,
        data=data,
        digest=digest,
    )


def _mail(request: BookingRequest, *, template: str, context: dict) -> None:
    """An e-mail about the request to the parent who made it, linking to its page."""
    if request.created_by is not None and request.created_by.email:
        email_queue(
            template=template,
            context=context,
            collectivity=request.family.collectivity,
            family=request.family,
            to=[request.created_by.email],
            link=reverse("planning:request_detail", args=[request.pk]),
        )


ACKNOWLEDGEMENT = "planning/request_received"


def acknowledgement_context(data: dict) -> dict:
    """The acknowledgement e-mail's context from its data (``_notify_created``): here for a
    request just submitted, or in the task cluster from the outbox row that froze it (the
    builder ``PlanningConfig.ready()`` registers)."""
    return {"ack": acknowledgement_from_data(data["ack"]), "recipient_name": data["recipient"]}


def _acknowledge(request: BookingRequest, *, excluded, deferred: bool) -> None:
    """The acknowledgement of receipt to the parent who made the request."""
    author = request.created_by
    if author is None or not author.email:
        return
    lines = request.lines_created
    ack = acknowledgement_data(request, lines=lines, excluded=excluded, positions=request.positions)
    data = {"ack": ack, "recipient": author.get_full_name()}
    if not deferred:
        _mail(request, template=ACKNOWLEDGEMENT, context=acknowledgement_context(data))
        return
    email_queue_deferred(
        template=ACKNOWLEDGEMENT,
        data=data,
        collectivity=request.family.collectivity,
        family=request.family,
        to=[author.email],
        link=reverse("planning:request_detail", args=[request.pk]),
    )


def _notify_created(
    request: BookingRequest, *, counts, user, excluded, bookings=None, email_deferred=False
) -> None:
    """The timeline event and the acknowledgement of receipt, at once (issue #12, item 2):
    every day asked for with what happened to it, and the days left out with their reason.
    ``bookings``: the rows just written, when the caller has them (saves reading them again).
    The waiting positions told are kept on the request (``request.positions``: (child id,
    slot id) → position) for the page's message."""
    summary = _summary(counts)
    message = _("%(what)s : %(summary)s.") % {"what": _what(request), "summary": summary}
    message = message[0].upper() + message[1:]
    data = {"kind": request.kind, "status": request.status, "lines": dict(counts)}
    _record(request, actor=user, verb="booking_request_created", message=message, data=data)
    request.positions = waiting_positions_of(request.lines_created, bookings=bookings)
    _acknowledge(request, excluded=excluded, deferred=email_deferred)


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


def _notify_decided(request: BookingRequest, *, agent, lines, reason: str = "") -> None:
    counts = Counter(line.status for line in lines)
    summary = _summary(counts)
    message = _("Décision sur votre %(what)s : %(summary)s.") % {
        "what": _what(request),
        "summary": summary,
    }
    if reason:
        message += " " + _("Motif : %(reason)s") % {"reason": reason}
    data = {"status": request.status, "lines": dict(counts)}
    _record(
        request,
        actor=agent,
        verb="booking_request_decided",
        message=message,
        data=data,
        digest=True,
    )


def _lines_decided(lines, *, actor, **values) -> None:
    """Stamp the decision (``values``: status, refusal reason…) on the lines and save them."""
    now = timezone.now()
    for line in lines:
        for name, value in values.items():
            setattr(line, name, value)
        line.decided_by, line.decided_at = actor, now
    fields = ["status", *(name for name in values if name != "status")]
    BookingRequestLine.objects.bulk_update(lines, [*fields, "decided_by", "decided_at"])


def _lines_close(request: BookingRequest, lines, *, status, verb, actor, note="") -> None:
    """Refused or cancelled lines: a reservation's PENDING booking is cancelled; an absence's
    booking keeps its state and gets a history step."""
    line_by_pair = _line_map(lines)
    bookings = engine.bookings_by_pair(line_by_pair)
    if request.kind == Kind.RESERVATION:
        engine.release(
            bookings=[b for b in bookings.values() if b.state == State.PENDING],
            state=State.CANCELLED,
            actor=actor,
            verb=verb,
            lines=line_by_pair,
            note=note,
        )
    else:
        _history(bookings, line_by_pair, verb=verb, actor=actor, note=note)
    if status == LineStatus.REFUSED:
        _lines_decided(lines, actor=actor, status=status, refusal_reason=note)
    else:
        _lines_decided(lines, actor=actor, status=status)


@transaction.atomic
def request_accept(*, request: BookingRequest, agent, line_ids=None) -> BookingRequest:
    """Accept the pending days of a request (all, or those of ``line_ids``).

    Reservations go through the capacity engine: a day may end on the waiting list (line
    status "waiting"). Absences release the booking (billed or not, as computed at request
    time)."""
    request = _locked_request(request)
    lines = _pending_lines(request, line_ids)
    actor = actor_or_none(agent)
    if request.kind == Kind.RESERVATION:
        _reserve_lines(lines, actor=actor, verb=Verb.ACCEPTED)
    else:
        _absence_lines(lines, actor=actor)
    _lines_decided(lines, actor=actor)
    request_status_refresh(request)
    _notify_decided(request, agent=actor, lines=lines)
    return request


@transaction.atomic
def request_refuse(*, request: BookingRequest, agent, reason: str, line_ids=None) -> BookingRequest:
    """Refuse the pending days of a request (all, or those of ``line_ids``), with a reason
    the family reads. A refused reservation leaves the child without booking; a refused
    absence leaves the booking reserved."""
    reason = refusal_reason(reason, error=PlanningError, message=_("Indiquez le motif du refus."))
    request = _locked_request(request)
    lines = _pending_lines(request, line_ids)
    actor = actor_or_none(agent)
    _lines_close(
        request, lines, status=LineStatus.REFUSED, verb=Verb.REFUSED, actor=actor, note=reason
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
    actor = actor_or_none(user)
    _lines_close(request, lines, status=LineStatus.CANCELLED, verb=Verb.CANCELLED, actor=actor)
    request_status_refresh(request)
    _record(
        request,
        actor=actor,
        verb="booking_request_cancelled",
        message=_("Vous avez annulé votre %(what)s.") % {"what": _what(request)},
    )
    return request
