"""Reads of reservation and absence requests: a request's history (the parent's page and the
agent's page show the same), the children named by each request, the queue's filters.

Callers pass the rows they may reach (``request.scope.parent`` or ``request.scope.agent``):
no function here chooses a collectivity.
"""

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from family.models import Subscription
from notifications.models import TimelineEvent

from ..models import BookingEvent, BookingRequest, BookingRequestLine
from ..rules import reservation_closed_reason
from .planning import booking_state_label

# Status of a request or of one of its days: the code of its symbol
# (``templates/planning/_state_icon.html``, the legend's drawings: an hourglass for what
# waits for a decision, a tick for what is accepted, a clock for the waiting list), drawn
# besides the colour and the text.
STATUS_SYMBOLS = {
    BookingRequest.Status.PENDING: "pending",
    BookingRequest.Status.ACCEPTED: "reserved",
    BookingRequest.Status.PARTIAL: "partial",
    BookingRequest.Status.REFUSED: "refused",
    BookingRequest.Status.CANCELLED: "cancelled",
}
LINE_SYMBOLS = {
    BookingRequestLine.Status.PENDING: "pending",
    BookingRequestLine.Status.ACCEPTED: "reserved",
    BookingRequestLine.Status.WAITING: "waiting",
    BookingRequestLine.Status.REFUSED: "refused",
    BookingRequestLine.Status.CANCELLED: "cancelled",
}


def count_text(*, kind: str, days: int, children: int, lines: int) -> str:
    """What a request counts, said the same to the parent, in the e-mail and in the agents'
    queue: « 8 jours, 2 enfants (16 réservations) », « 1 jour, 1 enfant (1 absence) ».
    ``days``: distinct dates; ``children``: distinct children; ``lines``: (child, day)
    pairs, each one reservation or absence."""
    day_text = ngettext("%(count)s jour", "%(count)s jours", days) % {"count": days}
    child_text = ngettext("%(count)s enfant", "%(count)s enfants", children) % {"count": children}
    if kind == BookingRequest.Kind.ABSENCE:
        line_text = ngettext("%(count)s absence", "%(count)s absences", lines)
    else:
        line_text = ngettext("%(count)s réservation", "%(count)s réservations", lines)
    return _("%(days)s, %(children)s (%(lines)s)") % {
        "days": day_text,
        "children": child_text,
        "lines": line_text % {"count": lines},
    }


def request_counts(booking_request: BookingRequest) -> dict[str, int]:
    """(days, children, lines) of a request's lines, in one query."""
    return BookingRequestLine.objects.filter(request=booking_request).aggregate(
        days=Count("slot__date", distinct=True),
        children=Count("child", distinct=True),
        lines=Count("pk"),
    )


def family_side(booking_request: BookingRequest):
    """``who(event)`` as the family reads it: « famille », « collectivité » or
    « automatique » (one query)."""
    family_users = set(
        Subscription.objects.filter(family_id=booking_request.family_id).values_list(
            "user_id", flat=True
        )
    )

    def who(event) -> str:
        if event.actor_id is None:
            return _("automatique")
        return _("famille") if event.actor_id in family_users else _("collectivité")

    return who


def agent_side(event) -> str:
    """``who(event)`` as an agent reads it: the author's e-mail address."""
    return event.actor.email if event.actor else _("automatique")


def _entry(event, *, who, text, order, booking=None, state="", note="") -> dict:
    return {
        "at": event.created_at,
        "text": text,
        "who": who(event),
        "child": booking.child.first_name if booking else "",
        "day": booking.slot.date if booking else None,
        "state": state,
        "note": note,
        "order": (event.created_at, order, event.pk),
    }


def request_history(booking_request: BookingRequest, *, rows, who) -> list[dict]:
    """The request's timeline events and its days' booking events, oldest first.

    ``rows``: ``request.scope.parent`` or ``request.scope.agent``; ``who(event)``: the
    author's label (``family_side(booking_request)`` or ``agent_side``). Two queries."""
    events = (
        rows(TimelineEvent)
        .filter(
            subject_type=ContentType.objects.get_for_model(BookingRequest),
            subject_id=booking_request.pk,
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    entries = [
        _entry(event, who=who, text=event.message or event.verb, order=0) for event in events
    ]
    booking_events = (
        rows(BookingEvent)
        .filter(request_line__request=booking_request)
        .select_related("booking__child", "booking__slot__activity", "actor")
        .order_by("created_at", "pk")
    )
    entries += [
        _entry(
            event,
            who=who,
            text=event.get_verb_display(),
            order=1,
            booking=event.booking,
            state=booking_state_label(
                event.state,
                closed=reservation_closed_reason(event.booking.slot.activity, event.booking.slot)
                is not None,
            ),
            note=event.note,
        )
        for event in booking_events
    ]
    entries.sort(key=lambda entry: entry["order"])
    return entries


def children_names(request_ids, *, full_name: bool = False) -> dict[int, list[str]]:
    """The children of each request (first names, or « first last »), in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    if not request_ids:
        return names
    rows = (
        BookingRequestLine.objects.filter(request_id__in=list(request_ids))
        .values_list("request_id", "child_id", "child__first_name", "child__last_name")
        .distinct()
        .order_by("request_id", "child__first_name", "child_id")
    )
    for request_id, _child_id, first_name, last_name in rows:
        names[request_id].append(f"{first_name} {last_name}".strip() if full_name else first_name)
    return names


def requests_of_child(requests, child_id: int):
    """The requests (of ``requests``) that have a day for this child."""
    lines = BookingRequestLine.objects.filter(child_id=child_id)
    return requests.filter(pk__in=lines.values("request_id"))


def requests_of_name(requests, name: str):
    """The requests (of ``requests``) with a child whose names contain every word."""
    name_filter = Q()
    for word in name.split():
        name_filter &= Q(child__first_name__icontains=word) | Q(child__last_name__icontains=word)
    lines = BookingRequestLine.objects.filter(request=OuterRef("pk")).filter(name_filter)
    return requests.filter(Exists(lines))


def queue_filtered(pending, data: dict):
    """The agents' queue narrowed by its filters (activity, date, kind, child's name);
    returns (queryset annotated with ``days_count``, ``children_count`` and ``lines_count``
    — what ``count_text`` says —, whether a filter applied)."""
    filtered = False
    if data.get("activite"):
        pending, filtered = pending.filter(activity_id=data["activite"]), True
    if data.get("date"):
        day = data["date"]
        pending, filtered = pending.filter(date_from__lte=day, date_to__gte=day), True
    if data.get("type"):
        pending, filtered = pending.filter(kind=data["type"]), True
    name = (data.get("enfant") or "").strip()
    if name:
        pending, filtered = requests_of_name(pending, name), True
    pending = pending.annotate(
        days_count=Count("lines__slot__date", distinct=True),
        children_count=Count("lines__child", distinct=True),
        lines_count=Count("lines", distinct=True),
    )
    return pending.order_by("created_at", "pk"), filtered
