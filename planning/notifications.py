"""What planning tells notifications (registered in ``PlanningConfig.ready()``): its
reservation and absence requests and its pre-enrolments, for « Mes demandes » and the digests,
and how the acknowledgement e-mail is built from the data its outbox row froze (rendered by
the task cluster)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.emails import email_context_register
from notifications.registry import RequestKind, RequestRow, request_kind_register
from portal.formats import date_long
from portal.modules import Module, module_enabled

from .models import BookingRequest, Enrolment
from .selectors.requests import children_names
from .services.requests import ACKNOWLEDGEMENT, acknowledgement_context


def _period(start, end) -> str:
    if start == end:
        return _("le %(day)s") % {"day": date_long(start)}
    return _("du %(start)s au %(end)s") % {"start": date_long(start), "end": date_long(end)}


# --- reservations and absences


def _booking_prepare(requests) -> None:
    names = children_names([r.pk for r in requests])
    for booking_request in requests:
        booking_request.child_names = names.get(booking_request.pk, [])


def _booking_describe(request: BookingRequest) -> RequestRow:
    if request.kind == BookingRequest.Kind.ABSENCE:
        title = _("Demande d’absence : %(activity)s, %(period)s")
    else:
        title = _("Demande de réservation : %(activity)s, %(period)s")
    return RequestRow(
        kind="reservation",
        pk=request.pk,
        title=title
        % {
            "activity": request.activity.name,
            "period": _period(request.date_from, request.date_to),
        },
        status=request.status,
        created_at=request.created_at,
        changed_at=request.decided_at or request.created_at,
        family_id=request.family_id,
        children=tuple(getattr(request, "child_names", ())),
        account_id=request.created_by_id,
        url=reverse("planning:request_detail", args=[request.pk]),
    )


# --- pre-enrolments


def _enrolment_describe(enrolment: Enrolment) -> RequestRow:
    # An agent's direct enrolment is recorded as requested and decided by that agent: it is not
    # a parent's request.
    direct = enrolment.requested_by_id is not None and (
        enrolment.requested_by_id == enrolment.decided_by_id
    )
    return RequestRow(
        kind="inscription",
        pk=enrolment.pk,
        title=(
            _("Pré-inscription : %(activity)s, %(period)s")
            if enrolment.requested_by_id and not direct
            else _("Inscription : %(activity)s, %(period)s")
        )
        % {
            "activity": enrolment.activity.name,
            "period": _period(enrolment.start_date, enrolment.end_date),
        },
        status=enrolment.status,
        created_at=enrolment.created_at,
        changed_at=enrolment.decided_at or enrolment.created_at,
        family_id=enrolment.child.family_id,
        children=(enrolment.child.first_name,),
        account_id=None if direct else enrolment.requested_by_id,
        # The pre-enrolments page exists only where the module is on (an agent's direct
        # enrolment is shown without a link elsewhere).
        url=reverse("planning:enrolments")
        if module_enabled(enrolment.activity.collectivity, Module.ENROLMENT)
        else "",
    )


def register() -> None:
    email_context_register(ACKNOWLEDGEMENT, acknowledgement_context)
    request_kind_register(
        RequestKind(
            code="reservation",
            label=gettext_lazy("Réservation ou absence"),
            model=BookingRequest,
            queryset=lambda: BookingRequest.objects.select_related("activity"),
            mine=lambda queryset, *, account, families: queryset.filter(family__in=families),
            describe=_booking_describe,
            prepare=_booking_prepare,
            order=50,
        )
    )
    request_kind_register(
        RequestKind(
            code="inscription",
            label=gettext_lazy("Pré-inscription"),
            model=Enrolment,
            queryset=lambda: Enrolment.objects.select_related("activity__collectivity", "child"),
            # Pre-enrolments a parent asked for, and the enrolments an agent made directly
            # (the family is told of them like of a decision).
            mine=lambda queryset, *, account, families: queryset.filter(child__family__in=families),
            describe=_enrolment_describe,
            order=40,
        )
    )
