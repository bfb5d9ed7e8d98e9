"""Agents' back office for dossier change requests (Wagtail admin, under /admin/familles/):
the queue of pending requests, one request's page with its decision, bulk decisions, and
the health-data access log.

Every object comes through ``request.scope.agent(...)`` (another collectivity's request
answers 404; anyone who is not one of its agents is refused). Health data are need-to-know:
the values of a health request are shown only to agents with the health role
(``request.scope.can_view_health_data``), each display is logged (``HealthAccessLog``), and
only those agents may decide such a request.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.views_helpers import queue_back_url, queue_filters, run_action

from ..forms.admin import ChangeRefusalForm, ChangesBulkDecisionForm
from ..models import ChangeRequest, HealthAccessLog
from ..selectors.requests import (
    change_requests,
    describe_requests,
    health_children,
    pending_creations,
)
from ..services import (
    DossierError,
    change_request_accept,
    change_request_refuse,
    changes_decide_bulk,
    health_access_record,
)

Target = ChangeRequest.Target
Status = ChangeRequest.Status
CREATION_KIND = "creation"
QUEUE_PAGE_SIZE = 50
LOGS_PAGE_SIZE = 50
MAX_FAILURES_LISTED = 20


def rows_shown(request, requests) -> list:
    """``describe_requests`` for a page that displays them, logging the health data shown."""
    rows = describe_requests(request.scope, list(requests))
    children = health_children(rows)
    if children:
        health_access_record(
            collectivity=request.collectivity, user=request.user, child_ids=children
        )
    return rows


# --- The queue ---------------------------------------------------------------------------


def _queue_filters(request) -> tuple[str, int | None]:
    kind = request.GET.get("objet", "")
    if kind not in {CREATION_KIND, *Target.values}:
        kind = ""
    family_filter = request.GET.get("famille", "")
    return kind, int(family_filter) if family_filter.isdigit() else None


@require_http_methods(["GET"])
def requests_queue(request):
    """« Demandes à traiter »: pending creation and change requests, oldest first."""
    scope = request.scope
    kind, family_id = _queue_filters(request)
    pending = change_requests(scope).filter(status=Status.PENDING)
    family_options = list(
        pending.order_by("family__name", "family_id")
        .values_list("family_id", "family__name")
        .distinct()
    )
    if kind and kind != CREATION_KIND:
        pending = pending.filter(target=kind)
    if family_id is not None:
        pending = pending.filter(family_id=family_id)
    show_changes = kind != CREATION_KIND
    show_creations = kind in ("", CREATION_KIND) and family_id is None
    page, rows = None, []
    if show_changes:
        page = Paginator(pending.order_by("created_at", "pk"), QUEUE_PAGE_SIZE).get_page(
            request.GET.get("p")
        )
        rows = rows_shown(request, page.object_list)
    return render(
        request,
        "family/admin/requests_queue.html",
        {
            "page_title": _("Demandes à traiter"),
            "header_icon": "tasks",
            "rows": rows,
            "page": page,
            "creations": pending_creations(scope) if show_creations else [],
            "show_changes": show_changes,
            "show_creations": show_creations,
            "kind": kind,
            "kinds": [(CREATION_KIND, _("Création de l’espace famille")), *Target.choices],
            "family_id": family_id,
            "family_options": family_options,
            "filter_query": queue_filters(request),
            "can_view_health_data": scope.can_view_health_data,
        },
    )


# --- One request ------------------------------------------------------------------------


def _change_request(request, pk: int) -> ChangeRequest:
    return get_object_or_404(change_requests(request.scope), pk=pk)


def _restricted_response(request):
    return render(
        request,
        "family/admin/restricted.html",
        {
            "page_title": _("Accès restreint"),
            "header_icon": "lock",
            "queue_url": reverse("family_admin:requests"),
        },
        status=403,
    )


def _render_detail(request, change_request: ChangeRequest, refusal_form=None, status=200):
    response = render(
        request,
        "family/admin/request_detail.html",
        {
            "page_title": _("Demande de modification"),
            "page_subtitle": change_request.family.name,
            "header_icon": "tasks",
            "row": rows_shown(request, [change_request])[0],
            "change_request": change_request,
            "refusal_form": refusal_form or ChangeRefusalForm(),
            "queue_url": reverse("family_admin:requests"),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET"])
def request_detail(request, pk: int):
    return _render_detail(request, _change_request(request, pk))


def _already_decided(change_request: ChangeRequest) -> str:
    return _("Cette demande a déjà été traitée (%(status)s).") % {
        "status": change_request.get_status_display()
    }


def _may_decide(request, change_request: ChangeRequest) -> bool:
    return change_request.target != Target.HEALTH or request.scope.can_view_health_data


def _decided(request, change_request: ChangeRequest, decide, done: str):
    """Run one decision; back to the queue with ``done`` (« %(what)s », « %(family)s »), or
    to the request's page with the reason it was refused."""
    values = {"what": change_request.get_target_display(), "family": change_request.family.name}
    return run_action(
        request,
        decide,
        errors=DossierError,
        error_url=reverse("family_admin:request_detail", args=[change_request.pk]),
        done=done % values,
        done_url=reverse("family_admin:requests"),
    )


@require_http_methods(["POST"])
def request_accept(request, pk: int):
    change_request = _change_request(request, pk)
    if not _may_decide(request, change_request):
        return _restricted_response(request)
    return _decided(
        request,
        change_request,
        lambda: change_request_accept(change_request=change_request, by=request.user),
        _("Demande acceptée : %(what)s (famille %(family)s). Le dossier est mis à jour."),
    )


@require_http_methods(["POST"])
def request_refuse(request, pk: int):
    change_request = _change_request(request, pk)
    if not _may_decide(request, change_request):
        return _restricted_response(request)
    if change_request.status != Status.PENDING:
        messages.error(request, _already_decided(change_request))
        return redirect("family_admin:request_detail", pk=change_request.pk)
    form = ChangeRefusalForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "").strip()
    if not reason:
        form.add_error("reason", _("Indiquez le motif du refus : la famille le lira."))
        return _render_detail(request, change_request, refusal_form=form, status=400)
    return _decided(
        request,
        change_request,
        lambda: change_request_refuse(
            change_request=change_request, by=request.user, reason=reason
        ),
        _("Demande refusée : %(what)s (famille %(family)s). La famille lira le motif."),
    )


# --- Bulk decisions -----------------------------------------------------------------------


def _bulk_messages(request, *, accept: bool, done: int, failures: list, missing: int) -> None:
    """What the agent reads after a bulk decision: how many succeeded, which failed and why."""
    if done:
        template = (
            _("%(count)s demande(s) acceptée(s).")
            if accept
            else _("%(count)s demande(s) refusée(s).")
        )
        messages.success(request, template % {"count": done})
    if failures:
        messages.error(
            request,
            _("%(count)s demande(s) non traitée(s) :") % {"count": len(failures)}
            + " "
            + " ; ".join(
                _("%(family)s, %(what)s : %(why)s") % {"family": fam, "what": what, "why": why}
                for what, fam, why in failures[:MAX_FAILURES_LISTED]
            ),
        )
    if missing:
        messages.error(
            request,
            _("%(count)s demande(s) introuvable(s) dans votre collectivité.") % {"count": missing},
        )


@require_http_methods(["POST"])
def requests_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection »: each request through the service,
    one at a time; the agent reads how many succeeded and which failed, and why."""
    scope = request.scope
    back = queue_back_url(request, "family_admin:requests")
    form = ChangesBulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect(back)
    ids = form.cleaned_data["ids"]
    selected = list(change_requests(scope).filter(pk__in=ids).order_by("created_at", "pk"))
    allowed = [
        change_request for change_request in selected if _may_decide(request, change_request)
    ]
    decision = changes_decide_bulk(
        change_requests=allowed,
        agent=request.user,
        accept=form.accept,
        reason=form.cleaned_data["reason"],
    )
    why = {change_request.pk: _("accès restreint") for change_request in selected}
    why.update({change_request.pk: message for change_request, message in decision.failures})
    decided = {change_request.pk for change_request in decision.decided}
    subjects = describe_requests(scope, selected, values=False)
    failures = [
        (row.subject, row.request.family.name, why[row.request.pk])
        for row in subjects
        if row.request.pk not in decided
    ]
    _bulk_messages(
        request,
        accept=form.accept,
        done=len(decided),
        failures=failures,
        missing=len(ids) - len(selected),
    )
    return redirect(back)


@require_http_methods(["GET"])
def request_photo(request, pk: int):
    """The photo a parent proposes, served through the scoped request (private storage)."""
    change_request = _change_request(request, pk)
    if change_request.target != Target.PHOTO or not change_request.photo:
        raise Http404
    content_type = (change_request.changes.get("content_type") or {}).get("new") or "image/jpeg"
    response = FileResponse(change_request.photo.open("rb"), content_type=content_type)
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


# --- Health-data access log -------------------------------------------------------------------


@require_http_methods(["GET"])
def health_access_logs(request):
    scope = request.scope
    logs = scope.agent(HealthAccessLog)
    if not scope.can_view_health_data:
        return _restricted_response(request)
    page = Paginator(
        logs.select_related("user", "child__family").order_by("-created_at", "-pk"),
        LOGS_PAGE_SIZE,
    ).get_page(request.GET.get("p"))
    return render(
        request,
        "family/admin/health_logs.html",
        {
            "page_title": _("Consultations des données sanitaires"),
            "header_icon": "view",
            "page": page,
        },
    )
