"""Attendance ("pointage"): an agent marks who came on a slot.

Marks are « présent », « absent » (not excused: billed when the activity bills late absences)
and « absence excusée » (never billed). Only children holding a place on the slot can be
marked, and only from the day of the activity on. Every change writes a ``BookingEvent``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.formats import actor_or_none

from ..errors import PlanningError
from ..models import Booking, BookingEvent, Slot
from ..versions import bump

PRESENT, ABSENT, EXCUSED = "present", "absent", "excused"
MARKS = (PRESENT, ABSENT, EXCUSED)

# Bookings an agent expects on the register (places held on the day, or already marked).
EXPECTED_STATES = (
    Booking.State.RESERVED,
    Booking.State.PRESENT,
    Booking.State.ABSENT,
    Booking.State.ABSENT_BILLED,
)
MARK_VERBS = {
    PRESENT: BookingEvent.Verb.PRESENT,
    ABSENT: BookingEvent.Verb.ABSENT,
    EXCUSED: BookingEvent.Verb.EXCUSED,
}
VERB_MARKS = {verb: mark for mark, verb in MARK_VERBS.items()}


@dataclass
class AttendanceReport:
    changed: int = 0
    unchanged: int = 0


def mark_state(*, activity, mark: str) -> str:
    """The booking state a mark leads to."""
    if mark == PRESENT:
        return Booking.State.PRESENT
    if mark == ABSENT and activity.late_absence_billed:
        return Booking.State.ABSENT_BILLED
    return Booking.State.ABSENT


def register_bookings(slot: Slot):
    """The slot's expected children, by name, each with ``last_mark`` (the agent's last mark:
    "present", "absent", "excused" or None) and the flags ``flag_pai`` and ``flag_allergy``.
    One query."""
    last_verb = (
        BookingEvent.objects.filter(booking=OuterRef("pk"), verb__in=list(VERB_MARKS))
        .order_by("-created_at", "-pk")
        .values("verb")[:1]
    )
    return (
        Booking.objects.filter(slot=slot, state__in=EXPECTED_STATES)
        .select_related("child")
        .annotate(
            last_verb=Subquery(last_verb),
            # Flags only (« PAI », « Allergie ») for whoever takes the register; the health
            # details stay behind the health role.
            flag_pai=Case(
                When(child__health__has_pai=True, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            flag_allergy=Case(
                When(
                    Q(child__health__isnull=False) & ~Q(child__health__allergies=""),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by("child__last_name", "child__first_name", "child__pk")
    )


def current_mark(booking: Booking) -> str | None:
    """The mark to show for a booking: the agent's last one, else what its state implies (an
    absence declared by the parent in time is excused)."""
    verb = getattr(booking, "last_verb", None)
    if verb in VERB_MARKS:
        return VERB_MARKS[verb]
    if booking.state == Booking.State.PRESENT:
        return PRESENT
    if booking.state == Booking.State.ABSENT:
        return EXCUSED
    if booking.state == Booking.State.ABSENT_BILLED:
        return ABSENT
    return None


@transaction.atomic
def attendance_mark(*, slot: Slot, marks: dict[int, str], agent) -> AttendanceReport:
    """Record the register of ``slot``: ``marks`` maps child ids to "present", "absent" or
    "excused". All or nothing: one bad line refuses the whole register."""
    if slot.date > timezone.localdate():
        raise PlanningError(_("Le pointage n’est possible qu’à partir du jour de l’activité."))
    if not marks:
        raise PlanningError(_("Aucun enfant n’est pointé : choisissez au moins une case."))
    try:
        marks = {int(child_id): mark for child_id, mark in marks.items()}
    except (TypeError, ValueError) as error:
        raise PlanningError(_("Enfant inconnu dans le pointage.")) from error
    unknown = sorted({mark for mark in marks.values() if mark not in MARKS}, key=str)
    if unknown:
        raise PlanningError(
            _("Pointage inconnu : %(values)s. Choisissez Présent, Absent ou Absence excusée.")
            % {"values": ", ".join(str(value) for value in unknown)}
        )

    slot = Slot.objects.select_related("activity").get(pk=slot.pk)
    bookings = {
        booking.child_id: booking
        for booking in register_bookings(slot)
        .filter(child_id__in=list(marks))
        .select_for_update(of=("self",))
    }
    missing = [child_id for child_id in marks if child_id not in bookings]
    if missing:
        raise PlanningError(
            _(
                "%(count)s enfant(s) n’ont pas de place sur ce créneau : le pointage n’a pas "
                "été enregistré."
            )
            % {"count": len(missing)}
        )

    now = timezone.now()
    actor = actor_or_none(agent)
    report = AttendanceReport()
    changed, events = [], []
    for child_id, mark in marks.items():
        booking = bookings[child_id]
        state = mark_state(activity=slot.activity, mark=mark)
        if booking.state == state and current_mark(booking) == mark:
            report.unchanged += 1
            continue
        booking.state = state
        booking.attendance_marked_at = now
        booking.updated_at = now
        changed.append(booking)
        events.append(
            BookingEvent(booking=booking, verb=MARK_VERBS[mark], state=state, actor=actor)
        )
    if changed:
        Booking.objects.bulk_update(changed, ["state", "attendance_marked_at", "updated_at"])
        BookingEvent.objects.bulk_create(events)
        bump(child_ids={booking.child_id for booking in changed})
    report.changed = len(changed)
    return report
