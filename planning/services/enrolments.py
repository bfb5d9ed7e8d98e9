"""Enrolments (« pré-inscriptions »): a parent asks, an agent accepts or refuses; an agent may
also enrol a child directly. Accepting an enrolment with a typical week (« semaine type »)
books the child, through the capacity engine, on every future open slot of those weekdays.

Every write runs in one transaction with its timeline event and its e-mail (transactional
outbox). Illegal moves and bad input raise ``PlanningError`` with a French message; nothing is
changed then.
"""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from family.hooks import enrolment_blockers
from family.models import Child
from notifications.services import email_queue, event_record
from portal.errors import refusal_reason
from portal.formats import actor_or_none
from portal.modules import Module, module_enabled

from ..errors import PlanningError
from ..models import WEEKDAY_LABELS, Activity, Booking, BookingEvent, Enrolment, Slot
from ..rules import local_now
from .acknowledgements import day_long

Status = Enrolment.Status
LIVE_STATUSES = (Status.PENDING, Status.ACCEPTED)


# --- helpers


def age_at(birth_date: datetime.date | None, day: datetime.date) -> int | None:
    """Age in whole years on ``day`` (None without a birth date)."""
    if birth_date is None:
        return None
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def age_range_label(activity: Activity) -> str:
    if activity.age_min is not None and activity.age_max is not None:
        return _("de %(min)s à %(max)s ans") % {"min": activity.age_min, "max": activity.age_max}
    if activity.age_min is not None:
        return _("à partir de %(min)s ans") % {"min": activity.age_min}
    if activity.age_max is not None:
        return _("jusqu’à %(max)s ans") % {"max": activity.age_max}
    return ""


def weekdays_label(weekdays) -> str:
    """« lundi, mardi, jeudi » (empty without a typical week)."""
    return ", ".join(str(WEEKDAY_LABELS[day]) for day in sorted(weekdays or []))


def _day(value: datetime.date) -> str:
    return date_format(value, "d/m/Y")


def _period(enrolment: Enrolment) -> str:
    return _("du %(start)s au %(end)s") % {
        "start": _day(enrolment.start_date),
        "end": _day(enrolment.end_date),
    }


def _clean_weekdays(weekdays, activity: Activity) -> list[int]:
    days = set()
    for value in weekdays or []:
        try:
            day = int(value)
        except (TypeError, ValueError):
            raise PlanningError(_("Jour de la semaine type invalide.")) from None
        if not 0 <= day <= 6:
            raise PlanningError(_("Jour de la semaine type invalide."))
        if day not in (activity.weekdays or []):
            raise PlanningError(
                _("L’activité « %(activity)s » n’a pas lieu le %(day)s.")
                % {"activity": activity.name, "day": WEEKDAY_LABELS[day]}
            )
        days.add(day)
    return sorted(days)


def _validate(*, child: Child, activity: Activity, start_date, end_date, weekdays) -> list[int]:
    """Check a new enrolment (child, activity, period, typical week); return the weekdays.

    Called with the child's row locked, so that two submissions of the same form cannot both
    pass the overlap check."""
    if child.family.collectivity_id != activity.collectivity_id:
        raise PlanningError(_("Cet enfant n’appartient pas à une famille de cette collectivité."))
    if not activity.is_active:
        raise PlanningError(
            _("L’activité « %(activity)s » n’est pas proposée aux familles.")
            % {"activity": activity.name}
        )
    if start_date is None or end_date is None:
        raise PlanningError(_("Indiquez la période (premier et dernier jour)."))
    if start_date > end_date:
        raise PlanningError(_("La date de fin de la période précède sa date de début."))
    if start_date < activity.start_date or end_date > activity.end_date:
        raise PlanningError(
            _(
                "La période doit être comprise entre le %(start)s et le %(end)s (calendrier de l’activité)."
            )
            % {"start": _day(activity.start_date), "end": _day(activity.end_date)}
        )
    days = _clean_weekdays(weekdays, activity)
    age = age_at(child.birth_date, start_date)
    if age is not None and (
        (activity.age_min is not None and age < activity.age_min)
        or (activity.age_max is not None and age > activity.age_max)
    ):
        raise PlanningError(
            _(
                "%(child)s aura %(age)s ans le %(date)s : l’activité « %(activity)s » est "
                "réservée aux enfants %(range)s."
            )
            % {
                "child": child.first_name,
                "age": age,
                "date": _day(start_date),
                "activity": activity.name,
                "range": age_range_label(activity),
            }
        )
    overlap = (
        Enrolment.objects.filter(
            child=child,
            activity=activity,
            status__in=LIVE_STATUSES,
            start_date__lte=end_date,
            end_date__gte=start_date,
        )
        .order_by("start_date")
        .first()
    )
    if overlap is not None:
        raise PlanningError(
            _(
                "%(child)s a déjà une pré-inscription à « %(activity)s » sur cette période "
                "(%(period)s, %(status)s)."
            )
            % {
                "child": child.first_name,
                "activity": activity.name,
                "period": _period(overlap),
                "status": overlap.get_status_display().lower(),
            }
        )
    return days


def _locked_child(child: Child) -> Child:
    return Child.objects.select_for_update(of=("self",)).select_related("family").get(pk=child.pk)


def _locked(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("child__family__collectivity", "activity", "requested_by")
        .get(pk=enrolment.pk)
    )


def _subject(enrolment: Enrolment) -> dict:
    return {
        "child": enrolment.child.first_name,
        "activity": enrolment.activity.name,
        "period": _period(enrolment),
    }


def _sync(target: Enrolment, source: Enrolment) -> None:
    for field in ("status", "decided_by_id", "decided_at", "refusal_reason"):
        setattr(target, field, getattr(source, field))


# --- reads


def creation_choices(collectivity) -> list[dict]:
    """Activities a family may ask for on step 3 of the family-space creation form (JSON-
    friendly: the family app does not import planning). Empty when the collectivity does not
    offer pre-enrolments."""
    if not module_enabled(collectivity, Module.ENROLMENT):
        return []
    today = local_now().date()
    activities = Activity.objects.filter(
        collectivity=collectivity, is_active=True, end_date__gte=today
    ).order_by("name", "pk")
    return [
        {
            "id": activity.pk,
            "name": activity.name,
            "place": activity.place,
            "age_min": activity.age_min,
            "age_max": activity.age_max,
            "age_label": age_range_label(activity),
            "start_date": activity.start_date.isoformat(),
            "end_date": activity.end_date.isoformat(),
            "period_label": _("du %(start)s au %(end)s")
            % {"start": _day(activity.start_date), "end": _day(activity.end_date)},
        }
        for activity in activities
    ]


def typical_week_slots(enrolment: Enrolment, *, today: datetime.date | None = None):
    """Slot ids the typical week books: open, non-orphan slots of the activity from tomorrow
    (or the period's start) to the period's end, on the typical weekdays, where the child has
    no booking yet (a cancelled one may be reused)."""
    if not enrolment.weekdays:
        return []
    today = today or local_now().date()
    start = max(enrolment.start_date, today + datetime.timedelta(days=1))
    booked = Booking.objects.filter(slot=OuterRef("pk"), child_id=enrolment.child_id).exclude(
        state=Booking.State.CANCELLED
    )
    return list(
        Slot.objects.filter(
            activity_id=enrolment.activity_id,
            is_orphan=False,
            date__gte=start,
            date__lte=enrolment.end_date,
            # ISO weekday: Monday = 1; ours: Monday = 0.
            date__iso_week_day__in=[day + 1 for day in enrolment.weekdays],
        )
        .exclude(Exists(booked))
        .order_by("date")
        .values_list("pk", flat=True)
    )


# --- writes


def _record(
    enrolment: Enrolment, *, actor, verb: str, message: str, digest: bool = False, **data
) -> None:
    """The enrolment's event on the family's timeline (``digest``: a decision the family
    reads in its next digest)."""
    event_record(
        collectivity=enrolment.activity.collectivity,
        family_id=enrolment.child.family_id,
        subject=enrolment,
        actor=actor,
        verb=verb,
        message=message,
        data={"activity_id": enrolment.activity_id, "child_id": enrolment.child_id, **data},
        digest=digest,
    )


def _mail(enrolment: Enrolment, *, template: str, context: dict, to, link: str) -> None:
    """An e-mail about the enrolment to ``to`` (nothing when there is no address)."""
    if to:
        email_queue(
            template=template,
            context=context,
            collectivity=enrolment.activity.collectivity,
            family=enrolment.child.family,
            to=to,
            link=link,
        )


def _enrolment_new(child, activity, period, weekdays, **fields) -> Enrolment:
    """A checked new enrolment over ``period`` (start, end), pending unless ``fields`` say
    otherwise; the child locked."""
    start_date, end_date = period
    child = _locked_child(child)
    days = _validate(
        child=child, activity=activity, start_date=start_date, end_date=end_date, weekdays=weekdays
    )
    return Enrolment.objects.create(
        child=child,
        activity=activity,
        start_date=start_date,
        end_date=end_date,
        weekdays=days,
        **fields,
    )


def _pending(enrolment: Enrolment) -> Enrolment:
    """The enrolment locked; refused unless still pending."""
    locked = _locked(enrolment)
    if locked.status != Status.PENDING:
        raise PlanningError(
            _("Cette pré-inscription a déjà été traitée (%(status)s).")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


def _decide(locked: Enrolment, status: str, *, agent=None, **fields) -> None:
    locked.status = status
    locked.decided_at = timezone.now()
    names = ["status", "decided_at", *fields]
    if agent is not None:
        locked.decided_by = agent
        names.insert(1, "decided_by")
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=names)


@transaction.atomic
def enrolment_request(
    *,
    child: Child,
    activity: Activity,
    start_date: datetime.date,
    end_date: datetime.date,
    weekdays,
    user,
    comment: str = "",
) -> Enrolment:
    """A parent's pre-enrolment request (pending), with its acknowledgement e-mail. Refused
    while a mandatory document that the collectivity made blocking is missing
    (``family.hooks.enrolment_blockers``, filled by the supporting-documents module)."""
    comment = (comment or "").strip()
    missing = enrolment_blockers(child=child, activity=activity)
    if missing:
        raise PlanningError(
            _(
                "Avant de demander cette pré-inscription, envoyez ces pièces justificatives "
                "obligatoires (Espace famille → Pièces justificatives) : %(documents)s."
            )
            % {"documents": ", ".join(missing)}
        )
    enrolment = _enrolment_new(
        child,
        activity,
        (start_date, end_date),
        weekdays,
        comment=comment,
        requested_by=actor_or_none(user),
    )
    values = _subject(enrolment)
    _record(
        enrolment,
        actor=user,
        verb="enrolment_requested",
        message=_("Demande de pré-inscription de %(child)s à « %(activity)s » (%(period)s).")
        % values,
        weekdays=enrolment.weekdays,
    )
    requester = enrolment.requested_by
    context = {
        **values,
        "period_long": _("du %(start)s au %(end)s")
        % {"start": day_long(enrolment.start_date), "end": day_long(enrolment.end_date)},
        "weekdays": weekdays_label(enrolment.weekdays),
        "recipient_name": requester.get_full_name() if requester is not None else "",
    }
    _mail(
        enrolment,
        template="planning/enrolment_received",
        context=context,
        to=[requester.email] if requester is not None and requester.email else [],
        link=reverse("planning:enrolments"),
    )
    return enrolment


def _book_typical_week(enrolment: Enrolment, agent) -> dict:
    """Book the typical week through the capacity engine; counts per resulting state."""
    slot_ids = typical_week_slots(enrolment)
    if not slot_ids:
        return {"reserved": 0, "waiting": 0}
    from .bookings import reserve

    states = reserve(
        pairs=[(enrolment.child_id, slot_id) for slot_id in slot_ids],
        actor=agent,
        verb=BookingEvent.Verb.BOOKED,
    )
    values = list(states.values())
    return {
        "reserved": values.count(Booking.State.RESERVED),
        "waiting": values.count(Booking.State.WAITING),
    }


def _accept(enrolment: Enrolment, agent, *, direct: bool) -> Enrolment:
    _decide(enrolment, Status.ACCEPTED, agent=agent)
    booked = _book_typical_week(enrolment, agent)
    values = _subject(enrolment)
    if direct:
        message = _("%(child)s est inscrit(e) à « %(activity)s » (%(period)s).") % values
    else:
        message = (
            _("Pré-inscription de %(child)s à « %(activity)s » acceptée (%(period)s).") % values
        )
    if enrolment.weekdays:
        message += " " + _(
            "Semaine type (%(days)s) : %(reserved)s jour(s) réservé(s), %(waiting)s en liste "
            "d’attente."
        ) % {"days": weekdays_label(enrolment.weekdays), **booked}
    verb = "enrolment_created" if direct else "enrolment_accepted"
    _record(enrolment, actor=agent, verb=verb, message=message, digest=True, **booked)
    return enrolment


@transaction.atomic
def enrolment_accept(*, enrolment: Enrolment, agent) -> Enrolment:
    """Pending → accepted; books the typical week, if any."""
    locked = _pending(enrolment)
    _accept(locked, agent, direct=False)
    _sync(enrolment, locked)
    return locked


@transaction.atomic
def enrolment_refuse(*, enrolment: Enrolment, agent, reason: str) -> Enrolment:
    reason = refusal_reason(
        reason, error=PlanningError, message=_("Indiquez le motif du refus : la famille le lira.")
    )
    locked = _pending(enrolment)
    _decide(locked, Status.REFUSED, agent=agent, refusal_reason=reason)
    message = _(
        "Pré-inscription de %(child)s à « %(activity)s » refusée (%(period)s). Motif : %(reason)s"
    ) % {**_subject(locked), "reason": reason}
    _record(locked, actor=agent, verb="enrolment_refused", message=message, digest=True)
    _sync(enrolment, locked)
    return locked


@transaction.atomic
def enrolment_cancel(*, enrolment: Enrolment, user) -> Enrolment:
    """The parent withdraws a request, while it is pending."""
    locked = _locked(enrolment)
    if locked.status != Status.PENDING:
        raise PlanningError(
            _("Cette pré-inscription a déjà été traitée : elle ne peut plus être annulée.")
        )
    _decide(locked, Status.CANCELLED)
    message = _(
        "Demande de pré-inscription de %(child)s à « %(activity)s » annulée (%(period)s)."
    ) % _subject(locked)
    _record(locked, actor=user, verb="enrolment_cancelled", message=message)
    email = getattr(user, "email", "")
    _mail(
        locked,
        template="planning/enrolment_cancelled",
        context={"message": message},
        to=[email] if email else [],
        link=reverse("planning:enrolments"),
    )
    _sync(enrolment, locked)
    return locked


@transaction.atomic
def enrolment_create(
    *,
    child: Child,
    activity: Activity,
    start_date: datetime.date,
    end_date: datetime.date,
    weekdays,
    agent,
) -> Enrolment:
    """An agent enrols a child directly (« Inscrire un enfant »): created and accepted at once;
    the family's subscribed accounts are told."""
    enrolment = _enrolment_new(
        child, activity, (start_date, end_date), weekdays, requested_by=agent
    )
    return _accept(enrolment, agent, direct=True)


def enrolments_decide_bulk(*, enrolments, agent, accept: bool, reason: str = ""):
    """Accept or refuse several pending enrolments, each in its own transaction (one refused
    by the rules does not stop the others). Returns (how many were decided, [(enrolment,
    French reason) for those that were not])."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise PlanningError(_("Indiquez le motif du refus : la famille le lira."))
    decided, failures = 0, []
    for enrolment in enrolments:
        try:
            if accept:
                enrolment_accept(enrolment=enrolment, agent=agent)
            else:
                enrolment_refuse(enrolment=enrolment, agent=agent, reason=reason)
        except PlanningError as error:
            failures.append((enrolment, error.message))
        else:
            decided += 1
    return decided, failures
