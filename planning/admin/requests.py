"""Agents' queue of reservation and absence requests (Wagtail admin, /admin/enfance/demandes/).

The collectivity's pending requests, filterable by activity, date, child and kind, decided in
bulk (« Accepter la sélection » / « Refuser la sélection », a reason required to refuse) or
one by one, day by day, on the request's page. Every row comes through
``request.scope.agent(...)``: another collectivity's request answers 404, and anyone who is
not one of this collectivity's agents is refused. Decisions go through
``planning.services``; everything is a plain form and works without JavaScript.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from portal.forms import BulkDecisionForm
from portal.views_helpers import bulk_error, queue_back_url, queue_filters

from ..errors import PlanningError
from ..forms.requests import AdminRequestFilterForm, RefusalForm
from ..models import Activity, BookingRequest, BookingRequestLine
from ..selectors.requests import (
    LINE_SYMBOLS,
    agent_side,
    children_names,
    count_text,
    queue_filtered,
    request_history,
)
from ..services import request_accept, request_refuse, requests_decide_bulk
from .common import admin_page

QUEUE_PAGE_SIZE = 50


def _requests(scope):
    return scope.agent(BookingRequest).select_related("family", "activity", "created_by")


@require_GET
def requests_queue(request):
    """« Demandes de réservation »: pending requests, oldest first, a fixed number of queries."""
    scope = request.scope
    activities = list(scope.agent(Activity).order_by("name", "pk").only("pk", "name"))
    filters = AdminRequestFilterForm(request.GET or None, activities=activities)
    pending = _requests(scope).filter(status=BookingRequest.Status.PENDING)
    valid = filters.is_bound and filters.is_valid()
    pending, filtered = queue_filtered(pending, filters.cleaned_data if valid else {})
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("p"))
    rows = list(page.object_list)
    names = children_names([row.pk for row in rows], full_name=True)
    for row in rows:
        row.children_names = names.get(row.pk, [])
        row.count_text = count_text(
            kind=row.kind,
            days=row.days_count,
            children=row.children_count,
            lines=row.lines_count,
        )
    response = admin_page(
        request,
        "planning/admin/requests_queue.html",
        page_title=_("Demandes de réservation"),
        header_icon="tasks",
        filters=filters,
        filtered=filtered,
        rows=rows,
        page=page,
        filter_query=queue_filters(request),
    )
    add_never_cache_headers(response)
    return response


def _bulk_outcome(request, *, accept: bool, decided: int, skipped: int, missing: int) -> None:
    """The messages after a bulk decision: decided, already decided, not found."""
    if decided:
        template = (
            ngettext("%(count)s demande acceptée.", "%(count)s demandes acceptées.", decided)
            if accept
            else ngettext("%(count)s demande refusée.", "%(count)s demandes refusées.", decided)
        )
        messages.success(request, template % {"count": decided})
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


@require_POST
def requests_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection » (a reason is required to refuse)."""
    back = queue_back_url(request, "planning_admin:requests")
    form = BulkDecisionForm(
        request.POST, item_field="request", empty_message=_("Cochez au moins une demande.")
    )
    if not form.is_valid():
        nothing = _("%(error)s Aucune demande n’a été traitée.") % {
            "error": _("Indiquez le motif du refus.")
        }
        messages.error(request, bulk_error(form, reason_missing=nothing))
        return redirect(back)
    ids = form.cleaned_data["ids"]
    selected = list(
        _requests(request.scope)
        .filter(pk__in=ids)
        .select_related("family__collectivity")
        .order_by("created_at", "pk")
    )
    try:
        decided = requests_decide_bulk(
            requests=selected,
            agent=request.user,
            accept=form.accept,
            reason=form.cleaned_data["reason"],
        )
    except PlanningError as error:
        messages.error(
            request, _("%(error)s Aucune demande n’a été traitée.") % {"error": error.message}
        )
        return redirect(back)
    _bulk_outcome(
        request,
        accept=form.accept,
        decided=decided,
        skipped=len(selected) - decided,
        missing=len(ids) - len(selected),
    )
    return redirect(back)


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
    response = admin_page(
        request,
        "planning/admin/request_detail.html",
        page_title=_("Demande de réservation ou d’absence"),
        page_subtitle=booking_request.family.name,
        header_icon="tasks",
        booking_request=booking_request,
        lines=lines,
        pending_count=pending_count,
        count_text=count_text(
            kind=booking_request.kind,
            days=len({line.slot.date for line in lines}),
            children=len({line.child_id for line in lines}),
            lines=len(lines),
        ),
        refusal_form=refusal_form or RefusalForm(),
        history=request_history(booking_request, rows=request.scope.agent, who=agent_side),
        queue_url=reverse("planning_admin:requests"),
        http_status=status,
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
