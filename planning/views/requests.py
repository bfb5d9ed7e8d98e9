"""Parents' reservation and absence requests: one day from the planning, a period with its
preview, the « Liste » of requests, one request (with its history and cancellation) and the
answer to a place offered from the waiting list.

Every row is reached through ``request.scope`` (the account's families in this
collectivity): another family's child, request or booking answers 404. Views parse and
render; every change goes through ``planning.services``, whose
``PlanningError`` carries the French message shown to the parent. Confirmations are plain
pages with POST forms, so everything works without JavaScript.
"""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from family.decorators import family_required
from family.models import Child
from portal.formats import date_long

from ..errors import PlanningError
from ..forms.requests import (
    PeriodRequestForm,
    RequestListFilterForm,
    default_period,
)
from ..models import (
    Booking,
    BookingRequest,
    BookingRequestLine,
    Enrolment,
    Slot,
)
from ..rules import local_now
from ..selectors import activities_for_family
from ..selectors.requests import (
    LINE_SYMBOLS,
    STATUS_SYMBOLS,
    children_names,
    count_text,
    family_side,
    request_counts,
    request_history,
    requests_of_child,
)
from ..services import (
    day_option,
    offer_accept,
    offer_decline,
    one_day,
    request_preview,
    request_submit,
)
from ..services import (
    request_cancel as request_withdraw,
)
from ..services.bookings import waiting_positions
from .returns import return_from, with_return

KINDS = (BookingRequest.Kind.RESERVATION, BookingRequest.Kind.ABSENCE)
LIST_PAGE_SIZE = 50
DETAIL_LINES_PAGE_SIZE = 100


def new_submission_key() -> str:
    """A one-time key for a request form: a replayed POST finds the request it created."""
    return uuid.uuid4().hex


def day_action_context(*, family, child, slot, now=None) -> dict:
    """What ``planning/_day_action.html`` needs (the slot page includes it with this)."""
    return {
        "option": day_option(family=family, child=child, slot=slot, now=now),
        "slot": slot,
        "child": child,
        "submission_key": new_submission_key(),
    }


# --- scoping ------------------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Http404
    return kind


def _child(request, child_id: int) -> Child:
    child = get_object_or_404(request.scope.parent(Child).select_related("family"), pk=child_id)
    # The scope keeps to the host's collectivity: the family's is the one the middleware read,
    # with its site (the acknowledgement's links are on its host). Not read a second time.
    child.family.collectivity = request.collectivity
    return child


def _slot_for_child(request, slot_id: int, child: Child) -> Slot:
    """A slot of an activity the child is enrolled in (or asked to be), in this collectivity.
    ``child`` is one of the account's (``_child``): its enrolments are reached through it,
    without the scope's join (the slots' own scope keeps to this collectivity)."""
    activities = Enrolment._base_manager.filter(child_id=child.pk).values("activity_id")
    return get_object_or_404(
        request.scope.rows(Slot).filter(activity_id__in=activities).select_related("activity"),
        pk=slot_id,
    )


def _planning_url(day=None) -> str:
    """The planning's week of ``day`` (the planning shows every family of the account)."""
    params = {}
    if day is not None:
        params = {"vue": "semaine", "date": day.isoformat()}
    url = reverse("planning:index")
    return url + ("?" + urlencode(params) if params else "")


def _child_name(child) -> str:
    return child.first_name


# --- one day from the planning -------------------------------------------------------------


def _outcome_message(booking_request: BookingRequest, *, child, slot, bookings) -> str:
    """The success message after a one-day request, telling what happened (``bookings``: the
    rows the parent may reach). A request just submitted carries its lines and the waiting
    positions its acknowledgement told: nothing is read again."""
    created = getattr(booking_request, "lines_created", None)
    if created is not None:
        line = next((x for x in created if (x.child_id, x.slot_id) == (child.pk, slot.pk)), None)
    else:
        line = booking_request.lines.filter(child=child, slot=slot).first()
    values = {"child": _child_name(child), "day": date_long(slot.date), "activity": slot.activity}
    if line is None:
        return _("Votre demande est enregistrée.")
    if booking_request.kind == BookingRequest.Kind.ABSENCE:
        if line.status == BookingRequestLine.Status.PENDING:
            return (
                _(
                    "Votre demande d’absence pour %(child)s le %(day)s (%(activity)s) est "
                    "envoyée : elle est soumise à validation par la collectivité."
                )
                % values
            )
        if line.billed:
            return (
                _(
                    "Absence enregistrée pour %(child)s le %(day)s (%(activity)s). Le délai "
                    "étant dépassé, elle sera facturée."
                )
                % values
            )
        return (
            _(
                "Absence enregistrée pour %(child)s le %(day)s (%(activity)s) ; elle ne sera "
                "pas facturée."
            )
            % values
        )
    if line.status == BookingRequestLine.Status.PENDING:
        return (
            _(
                "Votre demande de réservation pour %(child)s le %(day)s (%(activity)s) est "
                "envoyée : elle est soumise à validation par la collectivité."
            )
            % values
        )
    if line.status == BookingRequestLine.Status.WAITING:
        told = getattr(booking_request, "positions", None)
        if told is not None and (child.pk, slot.pk) in told:
            position = told[(child.pk, slot.pk)]
        else:
            booking = bookings.filter(child=child, slot=slot).first()
            position = waiting_positions([booking]).get(booking.pk) if booking else None
        return _(
            "L’activité est complète : %(child)s est en liste d’attente le %(day)s "
            "(%(activity)s), position %(position)s."
        ) % {**values, "position": position or "?"}
    if line.status == BookingRequestLine.Status.ACCEPTED:
        return _("Réservation acceptée pour %(child)s le %(day)s (%(activity)s).") % values
    return _("Votre demande est enregistrée (%(status)s).") % {"status": line.get_status_display()}


@family_required
@require_http_methods(["GET", "POST"])
def request_day(request, slot_id: int, child_id: int, kind: str):
    """Confirmation page of a one-day request (the dialog without JavaScript), then submit."""
    received_at = timezone.now()  # the parent's arrival: who gets the place, queue order
    kind = _kind(kind)
    child = _child(request, child_id)
    family = child.family
    slot = _slot_for_child(request, slot_id, child)
    return_url = return_from(request)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            booking_request = request_submit(
                family=family,
                user=request.user,
                kind=kind,
                **one_day(child=child, slot=slot),
                submission_key=(request.POST.get("submission_key") or "")[:64],
                comment=(request.POST.get("comment") or "").strip()[:1000],
                received_at=received_at,
                email_deferred=True,  # rendered by the task cluster, not by this worker
            )
        except PlanningError as exc:
            error = exc.message
            status = 400
        else:
            messages.success(
                request,
                _outcome_message(
                    booking_request, child=child, slot=slot, bookings=request.scope.parent(Booking)
                ),
            )
            # The planning as the parent left it (view, date, filters), else the slot's week.
            return redirect(return_url or _planning_url(slot.date))
    option = day_option(family=family, child=child, slot=slot, kind=kind)
    title = (
        _("Demande d’absence")
        if kind == BookingRequest.Kind.ABSENCE
        else _("Demande de réservation")
    )
    return render(
        request,
        "planning/request_day.html",
        {
            "title": title,
            "kind": kind,
            "option": option,
            "slot": slot,
            "child": child,
            "family": family,
            "error": error,
            "submission_key": new_submission_key(),
            "cancel_url": return_url or _planning_url(slot.date),
            "return_url": return_url,
        },
        status=status,
    )


# --- a period ----------------------------------------------------------------------------


def _period_post(request, form, *, family, kind, return_url=None, received_at=None):
    """A valid period form posted: « Envoyer la demande » (submit, then the request's page)
    or « Voir les jours concernés » (the preview). Returns (redirect or None, preview, error)."""
    try:
        if request.POST.get("action", "preview") == "submit":
            booking_request = request_submit(
                family=family,
                user=request.user,
                kind=kind,
                submission_key=(request.POST.get("submission_key") or "")[:64],
                comment=form.cleaned_data.get("comment", ""),
                received_at=received_at,
                email_deferred=True,  # rendered by the task cluster, not by this worker
                **form.service_kwargs(),
            )
            messages.success(
                request,
                _(
                    "Votre demande est envoyée. Un accusé de réception vous est "
                    "adressé par e-mail ; suivez son traitement ci-dessous."
                ),
            )
            detail_url = reverse("planning:request_detail", args=[booking_request.pk])
            return redirect(with_return(detail_url, return_url)), None, ""
        return None, request_preview(family=family, kind=kind, **form.service_kwargs()), ""
    except PlanningError as exc:
        return None, None, exc.message


@family_required
@require_http_methods(["GET", "POST"])
def request_period(request, kind: str):
    """« Faire une demande sur une longue période »: the form, « Voir les jours concernés »
    (the preview, nothing written), then « Envoyer la demande »."""
    received_at = timezone.now()  # the family's arrival (see ``request_submit``)
    kind = _kind(kind)
    family = request.scope.family
    families = list(request.scope.families.select_related("collectivity").order_by("name", "pk"))
    children = request.scope.parent(Child).filter(family=family).order_by("first_name", "pk")
    activities = activities_for_family(request.scope, family)
    return_url = return_from(request)
    preview, error, status = None, "", 200
    if request.method == "POST":
        form = PeriodRequestForm(request.POST, children=children, activities=activities)
        if not form.is_valid():
            status = 400
        else:
            done, preview, error = _period_post(
                request,
                form,
                family=family,
                kind=kind,
                return_url=return_url,
                received_at=received_at,
            )
            if done is not None:
                return done
            status = 400 if error else 200
    else:
        form = PeriodRequestForm(
            children=children,
            activities=activities,
            initial={**default_period(local_now().date()), "children": list(children)},
        )
    title = (
        _("Demande d’absence sur une période")
        if kind == BookingRequest.Kind.ABSENCE
        else _("Demande de réservation sur une période")
    )
    context = {
        "title": title,
        "kind": kind,
        "family": family,
        "families": families if len(families) > 1 else [],
        "form": form,
        "preview": preview,
        "preview_rows": _preview_rows(preview) if preview else [],
        "preview_counts": _preview_counts(preview, kind) if preview else None,
        "hidden": form.hidden_values() if preview else [],
        "error": error,
        "has_activities": activities.exists(),
        "submission_key": new_submission_key(),
        "planning_url": return_url or _planning_url(),
        "return_url": return_url,
    }
    return render(request, "planning/request_period.html", context, status=status)


def _preview_counts(preview, kind) -> dict[str, str]:
    """The preview's days asked and left out, counted as everywhere else (``count_text``)."""

    def said(items, date_of) -> str:
        return count_text(
            kind=kind,
            days=len({date_of(item) for item in items}),
            children=len({item.child.pk for item in items}),
            lines=len(items),
        )

    return {
        "asked": said(preview.days, lambda day: day.slot.date),
        "excluded": said(preview.excluded, lambda day: day.date) if preview.excluded else "",
    }


def _preview_rows(preview) -> list[dict]:
    """Per child: its included days (with their outcome) and its excluded days (reason)."""
    by_child: dict[int, dict] = {}

    def entry(child):
        if child.pk not in by_child:
            by_child[child.pk] = {"child": child, "days": [], "excluded": []}
        return by_child[child.pk]

    for day in preview.days:
        entry(day.child)["days"].append(
            {
                "day": day,
                "date": day.slot.date,
                "text": day.label,
            }
        )
    for excluded in preview.excluded:
        entry(excluded.child)["excluded"].append(excluded)
    rows = sorted(by_child.values(), key=lambda row: (row["child"].first_name, row["child"].pk))
    for row in rows:
        row["days"].sort(key=lambda item: item["date"])
        row["excluded"].sort(key=lambda item: item.date)
    return rows


# --- the « Liste » ------------------------------------------------------------------------


@family_required
@require_GET
def requests_list(request):
    """« Planning / Liste »: every request of the account's families, filterable by child and
    status, 50 a page; a fixed number of queries whatever the number of rows."""
    scope = request.scope
    children = list(
        scope.parent(Child).select_related("family").order_by("first_name", "last_name", "pk")
    )
    filters = RequestListFilterForm(request.GET or None, children=children)
    queryset = (
        scope.parent(BookingRequest).select_related("activity").order_by("-created_at", "-pk")
    )
    child_id = status = None
    if filters.is_bound and filters.is_valid():
        child_id = filters.cleaned_data.get("enfant")
        status = filters.cleaned_data.get("statut") or None
        if child_id:
            queryset = requests_of_child(queryset, child_id)
        if status:
            queryset = queryset.filter(status=status)
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    requests = list(page.object_list)
    names = children_names([r.pk for r in requests])
    for booking_request in requests:
        booking_request.child_names = names.get(booking_request.pk, [])
        booking_request.status_symbol = STATUS_SYMBOLS.get(booking_request.status, "")
    return render(
        request,
        "planning/requests_list.html",
        {
            "filters": filters,
            "page": page,
            "requests": requests,
            "filtered": bool(child_id or status),
            "planning_url": _planning_url(),
            "kinds": KINDS,
        },
    )


# --- one request --------------------------------------------------------------------------


def _booking_request(request, pk: int) -> BookingRequest:
    return get_object_or_404(
        request.scope.parent(BookingRequest).select_related(
            "activity", "family__collectivity", "created_by"
        ),
        pk=pk,
    )


@family_required
@require_GET
def request_detail(request, pk: int):
    booking_request = _booking_request(request, pk)
    lines = booking_request.lines.select_related("child", "slot").order_by(
        "slot__date", "child__first_name", "pk"
    )
    page = Paginator(lines, DETAIL_LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    for line in page.object_list:
        line.status_symbol = LINE_SYMBOLS.get(line.status, "")
    return render(
        request,
        "planning/request_detail.html",
        {
            "booking_request": booking_request,
            "status_symbol": STATUS_SYMBOLS.get(booking_request.status, ""),
            "count_text": count_text(kind=booking_request.kind, **request_counts(booking_request)),
            "page": page,
            "history": request_history(
                booking_request, rows=request.scope.parent, who=family_side(booking_request)
            ),
            "can_cancel": booking_request.status == BookingRequest.Status.PENDING,
            "list_url": reverse("planning:list"),
            # After a request made from the planning: back to it as it was.
            "return_url": return_from(request),
        },
    )


@family_required
@require_http_methods(["GET", "POST"])
def request_cancel(request, pk: int):
    """« Annuler la demande »: a confirmation page, then the cancellation (pending only)."""
    booking_request = _booking_request(request, pk)
    detail_url = reverse("planning:request_detail", args=[booking_request.pk])
    error = ""
    status = 200
    if request.method == "POST":
        try:
            request_withdraw(request=booking_request, user=request.user)
        except PlanningError as exc:
            error = exc.message
            status = 400
        else:
            messages.success(request, _("Votre demande est annulée."))
            return redirect(detail_url)
    elif booking_request.status != BookingRequest.Status.PENDING:
        error = _("Cette demande a déjà été traitée ; elle ne peut plus être annulée.")
    return render(
        request,
        "planning/request_cancel.html",
        {
            "booking_request": booking_request,
            "error": error,
            "detail_url": detail_url,
        },
        status=status,
    )


# --- a place offered from the waiting list ------------------------------------------------


@family_required
@require_http_methods(["GET", "POST"])
def offer_respond(request, booking_id: int):
    """Accept or decline a place proposed from the waiting list."""
    booking = get_object_or_404(
        request.scope.parent(Booking).select_related("child__family", "slot__activity"),
        pk=booking_id,
    )
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                offer_accept(booking=booking, user=request.user)
                messages.success(
                    request,
                    _(
                        "Place acceptée : réservation confirmée pour %(child)s le %(day)s (%(activity)s)."
                    )
                    % {
                        "child": booking.child.first_name,
                        "day": date_long(booking.slot.date),
                        "activity": booking.slot.activity,
                    },
                )
            elif action == "decline":
                offer_decline(booking=booking, user=request.user)
                messages.success(
                    request,
                    _("Place refusée : elle est proposée à la famille suivante."),
                )
            else:
                raise PlanningError(_("Choisissez « Accepter la place » ou « Refuser la place »."))
        except PlanningError as exc:
            error = exc.message
            status = 400
        else:
            return redirect(_planning_url(booking.slot.date))
    is_offered = booking.state == Booking.State.OFFERED
    expires = booking.offer_expires_at
    if is_offered and expires is not None and expires <= timezone.now():
        is_offered = False
    return render(
        request,
        "planning/offer_respond.html",
        {
            "booking": booking,
            "is_offered": is_offered,
            "expires_at": timezone.localtime(expires) if expires else None,
            "error": error,
            "planning_url": _planning_url(booking.slot.date),
        },
        status=status,
    )
