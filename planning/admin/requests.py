"""Agents' queue of reservation and absence requests (Wagtail admin, /admin/enfance/demandes/).

The collectivity's pending requests, filterable by activity, date, child and kind, decided in
bulk (« Accepter la sélection » / « Refuser la sélection », a reason required to refuse) or
one by one, day by day, on the request's page. Every row comes through
``request.scope.agent(...)``: another collectivity's request answers 404, and anyone who is
not one of this collectivity's agents is refused. Decisions go through
``planning.requests``; everything is a plain form and works without JavaScript.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from notifications.models import TimelineEvent

from ..errors import PlanningError
from ..forms.requests import AdminRequestFilterForm, RefusalForm
from ..models import Activity, BookingEvent, BookingRequest, BookingRequestLine
from ..services.requests import request_accept, request_refuse, requests_decide_bulk

QUEUE_PAGE_SIZE = 50
LINE_SYMBOLS = {
    BookingRequestLine.Status.PENDING: "…",
    BookingRequestLine.Status.ACCEPTED: "✓",
    BookingRequestLine.Status.WAITING: "◷",
    BookingRequestLine.Status.REFUSED: "✗",
    BookingRequestLine.Status.CANCELLED: "⊘",
}


def _requests(scope):
    return scope.agent(BookingRequest).select_related("family", "activity", "created_by")


def _children_names(request_ids) -> dict[int, list[str]]:
    """Children of each request, in one query."""
    names: dict[int, list[str]] = defaultdict(list)
    if not request_ids:
        return names
    rows = (
        BookingRequestLine.objects.filter(request_id__in=request_ids)
        .values_list("request_id", "child_id", "child__first_name", "child__last_name")
        .distinct()
        .order_by("request_id", "child__first_name", "child_id")
    )
    for request_id, _child_id, first_name, last_name in rows:
        names[request_id].append(f"{first_name} {last_name}".strip())
    return names


@require_GET
def requests_queue(request):
    """« Demandes de réservation »: pending requests, oldest first, a fixed number of queries."""
    scope = request.scope
    activities = list(scope.agent(Activity).order_by("name", "pk").only("pk", "name"))
    filters = AdminRequestFilterForm(request.GET or None, activities=activities)
    pending = _requests(scope).filter(status=BookingRequest.Status.PENDING)
    filtered = False
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        if data.get("activite"):
            pending = pending.filter(activity_id=data["activite"])
            filtered = True
        if data.get("date"):
            pending = pending.filter(date_from__lte=data["date"], date_to__gte=data["date"])
            filtered = True
        if data.get("type"):
            pending = pending.filter(kind=data["type"])
            filtered = True
        name = (data.get("enfant") or "").strip()
        if name:
            name_filter = Q()
            for word in name.split():
                name_filter &= Q(child__first_name__icontains=word) | Q(
                    child__last_name__icontains=word
                )
            pending = pending.filter(
                Exists(
                    BookingRequestLine.objects.filter(request=OuterRef("pk")).filter(name_filter)
                )
            )
            filtered = True
    pending = pending.annotate(days_count=Count("lines__slot", distinct=True)).order_by(
        "created_at", "pk"
    )
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("p"))
    rows = list(page.object_list)
    names = _children_names([row.pk for row in rows])
    for row in rows:
        row.children_names = names.get(row.pk, [])
    query = request.GET.copy()
    query.pop("p", None)
    response = render(
        request,
        "planning/admin/requests_queue.html",
        {
            "page_title": _("Demandes de réservation"),
            "header_icon": "tasks",
            "filters": filters,
            "filtered": filtered,
            "rows": rows,
            "page": page,
            "filter_query": query.urlencode(),
        },
    )
    add_never_cache_headers(response)
    return response


@require_POST
def requests_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection » (a reason is required to refuse)."""
    scope = request.scope
    back = reverse("planning_admin:requests")
    if request.POST.get("filters"):
        back += "?" + request.POST["filters"]
    action = request.POST.get("action")
    ids = [value for value in request.POST.getlist("request") if value.isdigit()]
    reason = (request.POST.get("reason") or "").strip()
    if action not in ("accept", "refuse"):
        messages.error(request, _("Choisissez « Accepter » ou « Refuser la sélection »."))
        return redirect(back)
    if not ids:
        messages.error(request, _("Cochez au moins une demande."))
        return redirect(back)
    selected = list(
        _requests(scope)
        .filter(pk__in=ids)
        .select_related("family__collectivity")
        .order_by("created_at", "pk")
    )
    missing = len(set(ids)) - len(selected)
    try:
        decided = requests_decide_bulk(
            requests=selected, agent=request.user, accept=action == "accept", reason=reason
        )
    except PlanningError as error:
        messages.error(
            request, _("%(error)s Aucune demande n’a été traitée.") % {"error": error.message}
        )
        return redirect(back)
    if decided:
        template = (
            ngettext("%(count)s demande acceptée.", "%(count)s demandes acceptées.", decided)
            if action == "accept"
            else ngettext("%(count)s demande refusée.", "%(count)s demandes refusées.", decided)
        )
        messages.success(request, template % {"count": decided})
    skipped = len(selected) - decided
    if skipped:
        messages.error(
            request,
            ngettext(
                "%(count)s demande était déjà traitée : elle n’a pas été modifiée.",
                "%(count)s demandes étaient déjà traitées : elles n’ont pas été modifiées.",
                skipped,
            )
            % {"count": skipped},
        )
    if missing:
        messages.error(
            request,
            ngettext(
                "%(count)s demande introuvable dans votre collectivité.",
                "%(count)s demandes introuvables dans votre collectivité.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(back)


def _history(scope, booking_request: BookingRequest) -> list[dict]:
    """Timeline events of the request and booking events of its days, oldest first."""
    entries = []
    events = (
        scope.agent(TimelineEvent)
        .filter(
            subject_type=ContentType.objects.get_for_model(BookingRequest),
            subject_id=booking_request.pk,
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    for event in events:
        entries.append(
            {
                "at": event.created_at,
                "text": event.message or event.verb,
                "who": event.actor.email if event.actor else _("automatique"),
                "child": "",
                "day": None,
                "state": "",
                "note": "",
                "order": (event.created_at, 0, event.pk),
            }
        )
    booking_events = (
        scope.agent(BookingEvent)
        .filter(request_line__request=booking_request)
        .select_related("booking__child", "booking__slot", "actor")
        .order_by("created_at", "pk")
    )
    for event in booking_events:
        entries.append(
            {
                "at": event.created_at,
                "text": event.get_verb_display(),
                "who": event.actor.email if event.actor else _("automatique"),
                "child": event.booking.child.first_name,
                "day": event.booking.slot.date,
                "state": event.get_state_display(),
                "note": event.note,
                "order": (event.created_at, 1, event.pk),
            }
        )
    entries.sort(key=lambda entry: entry["order"])
    return entries


def _booking_request(request, pk: int) -> BookingRequest:
    return get_object_or_404(_requests(request.scope).select_related("family__collectivity"), pk=pk)


def _render_detail(request, booking_request, *, refusal_form=None, status=200):
    lines = list(
        booking_request.lines.select_related("child", "slot", "decided_by").order_by(
            "slot__date", "child__first_name", "pk"
        )
    )
    for line in lines:
        line.status_symbol = LINE_SYMBOLS.get(line.status, "")
    pending_count = sum(1 for line in lines if line.status == BookingRequestLine.Status.PENDING)
    response = render(
        request,
        "planning/admin/request_detail.html",
        {
            "page_title": _("Demande de réservation ou d’absence"),
            "page_subtitle": booking_request.family.name,
            "header_icon": "tasks",
            "booking_request": booking_request,
            "lines": lines,
            "pending_count": pending_count,
            "refusal_form": refusal_form or RefusalForm(),
            "history": _history(request.scope, booking_request),
            "queue_url": reverse("planning_admin:requests"),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@require_GET
def request_detail(request, pk: int):
    return _render_detail(request, _booking_request(request, pk))


DECISIONS = {
    "accept_selected": (True, True),
    "refuse_selected": (False, True),
    "accept_all": (True, False),
    "refuse_all": (False, False),
}


@require_POST
def request_decide(request, pk: int):
    """Per-day (ticked lines) or whole-request acceptance or refusal."""
    booking_request = _booking_request(request, pk)
    detail_url = reverse("planning_admin:request_detail", args=[booking_request.pk])
    decision = DECISIONS.get(request.POST.get("action", ""))
    form = RefusalForm(request.POST)
    form.is_valid()
    if decision is None:
        messages.error(request, _("Choisissez une décision."))
        return redirect(detail_url)
    accept, selection = decision
    line_ids = None
    if selection:
        line_ids = [int(value) for value in request.POST.getlist("line") if value.isdigit()]
        if not line_ids:
            messages.error(request, _("Cochez au moins un jour."))
            return redirect(detail_url)
        known = set(booking_request.lines.filter(pk__in=line_ids).values_list("pk", flat=True))
        if known != set(line_ids):
            messages.error(request, _("Un des jours cochés n’appartient pas à cette demande."))
            return redirect(detail_url)
    reason = (form.cleaned_data.get("reason") or "").strip()
    if not accept and not reason:
        form.add_error("reason", _("Indiquez le motif du refus : la famille le lira."))
        return _render_detail(request, booking_request, refusal_form=form, status=400)
    try:
        if accept:
            request_accept(request=booking_request, agent=request.user, line_ids=line_ids)
        else:
            request_refuse(
                request=booking_request, agent=request.user, reason=reason, line_ids=line_ids
            )
    except PlanningError as error:
        messages.error(request, error.message)
        return redirect(detail_url)
    booking_request.refresh_from_db()
    if accept:
        text = _("Décision enregistrée : jours acceptés. Statut de la demande : %(status)s.")
    else:
        text = _("Décision enregistrée : jours refusés. Statut de la demande : %(status)s.")
    messages.success(request, text % {"status": booking_request.get_status_display()})
    if booking_request.status == BookingRequest.Status.PENDING:
        return redirect(detail_url)
    return redirect("planning_admin:requests")
