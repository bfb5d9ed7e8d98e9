"""Agents' back office of enrolments (under ``/admin/enfance/pre-inscriptions/``): the queue of
pre-enrolment requests (filters, bulk decisions), one request with accept / refuse, and
« Inscrire un enfant » (direct enrolment).

Every row comes through ``request.scope.agent(...)``: another collectivity's enrolment, child
or activity answers 404 (or is not offered), and anyone who is not an agent here gets 403.
Decisions are plain POST forms: everything works without JavaScript.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from family.models import Child
from portal.forms import BulkDecisionForm
from portal.views_helpers import bulk_error, queue_back_url, queue_filters, run_action

from ..errors import PlanningError
from ..forms.enrolments import EnrolmentBaseForm, RefusalForm
from ..models import Activity, Enrolment
from ..rules import local_now
from ..services import enrolments_decide_bulk
from ..services.enrolments import (
    age_at,
    enrolment_accept,
    enrolment_create,
    enrolment_refuse,
    weekdays_label,
)
from .common import admin_page

Status = Enrolment.Status
PAGE_SIZE = 50
MAX_FAILURES_LISTED = 10
MAX_SEARCH_RESULTS = 30


def _enrolments(scope):
    return scope.agent(Enrolment).select_related(
        "child__family", "activity", "requested_by", "decided_by"
    )


def _decorate(enrolment: Enrolment) -> Enrolment:
    enrolment.weekdays_display = weekdays_label(enrolment.weekdays)
    enrolment.age = age_at(enrolment.child.birth_date, enrolment.start_date)
    return enrolment


@require_http_methods(["GET"])
def enrolments_queue(request):
    """« Pré-inscriptions »: pending requests by default, oldest first."""
    scope = request.scope
    activities = scope.agent(Activity).order_by("name", "pk")
    status = request.GET.get("statut", Status.PENDING)
    if status not in (*Status.values, "all"):
        status = Status.PENDING
    activity_filter = request.GET.get("activite", "")
    activity_id = int(activity_filter) if activity_filter.isdigit() else None
    rows = _enrolments(scope)
    if status != "all":
        rows = rows.filter(status=status)
    if activity_id is not None:
        rows = rows.filter(activity_id=activity_id)
    order = ("created_at", "pk") if status == Status.PENDING else ("-created_at", "-pk")
    page = Paginator(rows.order_by(*order), PAGE_SIZE).get_page(request.GET.get("p"))
    for enrolment in page.object_list:
        _decorate(enrolment)
    return admin_page(
        request,
        "planning/admin/enrolments_queue.html",
        page_title=_("Pré-inscriptions"),
        header_icon="user",
        page=page,
        activities=activities,
        activity_id=activity_id,
        status=status,
        statuses=[*Status.choices, ("all", _("Tous les statuts"))],
        filter_query=queue_filters(request),
        bulk=status == Status.PENDING,
    )


def _enrolment(request, pk: int) -> Enrolment:
    return get_object_or_404(_enrolments(request.scope), pk=pk)


def _render_detail(request, enrolment, refusal_form=None, status=200):
    response = admin_page(
        request,
        "planning/admin/enrolment_detail.html",
        page_title=_("Pré-inscription"),
        page_subtitle=f"{enrolment.child.first_name} {enrolment.child.last_name}",
        header_icon="user",
        enrolment=_decorate(enrolment),
        refusal_form=refusal_form or RefusalForm(),
        queue_url=reverse("planning_admin:enrolments"),
        http_status=status,
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET"])
def enrolment_detail(request, pk: int):
    return _render_detail(request, _enrolment(request, pk))


def _decided(request, enrolment, decide, text):
    """Run one decision; back to the enrolment with the error, or to the queue with ``text``
    (which names the child and the activity)."""
    values = {"child": enrolment.child.first_name, "activity": enrolment.activity.name}
    return run_action(
        request,
        decide,
        errors=PlanningError,
        error_url=reverse("planning_admin:enrolment_detail", args=[enrolment.pk]),
        done=text % values,
        done_url=reverse("planning_admin:enrolments"),
    )


@require_http_methods(["POST"])
def enrolment_accept_view(request, pk: int):
    enrolment = _enrolment(request, pk)
    return _decided(
        request,
        enrolment,
        lambda: enrolment_accept(enrolment=enrolment, agent=request.user),
        _("Pré-inscription acceptée : %(child)s, « %(activity)s »."),
    )


@require_http_methods(["POST"])
def enrolment_refuse_view(request, pk: int):
    enrolment = _enrolment(request, pk)
    form = RefusalForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, enrolment, refusal_form=form, status=400)
    reason = form.cleaned_data["reason"]
    return _decided(
        request,
        enrolment,
        lambda: enrolment_refuse(enrolment=enrolment, agent=request.user, reason=reason),
        _("Pré-inscription refusée : %(child)s, « %(activity)s ». La famille lira le motif."),
    )


def _bulk_outcome(request, *, accept: bool, decided: int, failures, missing: int) -> None:
    """The messages after a bulk decision: decided, not decided (why), not found."""
    if decided:
        template = (
            _("%(count)s pré-inscription(s) acceptée(s).")
            if accept
            else _("%(count)s pré-inscription(s) refusée(s).")
        )
        messages.success(request, template % {"count": decided})
    if failures:
        reasons = [
            _("%(child)s, %(activity)s : %(why)s")
            % {"child": enrolment.child.first_name, "activity": enrolment.activity.name, "why": why}
            for enrolment, why in failures[:MAX_FAILURES_LISTED]
        ]
        messages.error(
            request,
            _("%(count)s pré-inscription(s) non traitée(s) :") % {"count": len(failures)}
            + " "
            + " ; ".join(reasons),
        )
    if missing:
        messages.error(
            request,
            _("%(count)s pré-inscription(s) introuvable(s) dans votre collectivité.")
            % {"count": missing},
        )


@require_http_methods(["POST"])
def enrolments_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection »: each one through the service."""
    back = queue_back_url(request, "planning_admin:enrolments")
    form = BulkDecisionForm(
        request.POST,
        item_field="inscription",
        empty_message=_("Cochez au moins une pré-inscription."),
    )
    if not form.is_valid():
        nothing = _(
            "Indiquez le motif du refus (la famille le lira) : aucune pré-inscription refusée."
        )
        messages.error(request, bulk_error(form, reason_missing=nothing))
        return redirect(back)
    ids = form.cleaned_data["ids"]
    selected = list(_enrolments(request.scope).filter(pk__in=ids).order_by("created_at", "pk"))
    decided, failures = enrolments_decide_bulk(
        enrolments=selected,
        agent=request.user,
        accept=form.accept,
        reason=form.cleaned_data["reason"],
    )
    _bulk_outcome(
        request,
        accept=form.accept,
        decided=decided,
        failures=failures,
        missing=len(ids) - len(selected),
    )
    return redirect(back)


class DirectEnrolmentForm(EnrolmentBaseForm):
    search = forms.CharField(
        label=gettext_lazy("Rechercher un enfant (nom ou prénom)"), required=False, max_length=100
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        child = self.fields["child"]
        child.empty_label = None
        child.widget = forms.RadioSelect()
        child.widget.choices = child.choices
        self.fields["child"].error_messages["required"] = _(
            "Choisissez l’enfant à inscrire (recherchez-le par son nom)."
        )


def _search_children(scope, term: str):
    children = scope.agent(Child).select_related("family")
    for word in term.split()[:4]:
        children = children.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return children.order_by("last_name", "first_name", "pk")


def _child_choices(scope, term: str, chosen: str):
    """The children offered: those the search finds (at most ``MAX_SEARCH_RESULTS``) and the
    one already chosen, which stays offered even when the search has changed since. Returns
    (queryset, how many the search found)."""
    candidate_ids = []
    if term:
        candidate_ids = list(
            _search_children(scope, term).values_list("pk", flat=True)[:MAX_SEARCH_RESULTS]
        )
    results = len(candidate_ids)
    if chosen.isdigit():
        candidate_ids.append(int(chosen))
    children = scope.agent(Child).select_related("family").filter(pk__in=candidate_ids)
    return children.order_by("last_name", "first_name", "pk"), results


def _direct_create(request, form):
    """Enrol the chosen child; the queue's accepted list, or None (the error is on the form)."""
    try:
        enrolment = enrolment_create(**form.service_kwargs(), agent=request.user)
    except PlanningError as error:
        form.add_error(None, error.message)
        return None
    messages.success(
        request,
        _("%(child)s est inscrit(e) à « %(activity)s » (du %(start)s au %(end)s).")
        % {
            "child": f"{enrolment.child.first_name} {enrolment.child.last_name}",
            "activity": enrolment.activity.name,
            "start": enrolment.start_date.strftime("%d/%m/%Y"),
            "end": enrolment.end_date.strftime("%d/%m/%Y"),
        },
    )
    return redirect(f"{reverse('planning_admin:enrolments')}?statut=accepted")


@require_http_methods(["GET", "POST"])
def enrolment_direct(request):
    """« Inscrire un enfant »: search the collectivity's children by name, then choose the
    activity, the period and the typical week. Accepted at once."""
    scope = request.scope
    activities = scope.agent(Activity).filter(end_date__gte=local_now().date()).order_by("name")
    data = request.POST if request.method == "POST" else None
    term = ((data or request.GET).get("search") or "").strip()
    choices, results = _child_choices(scope, term, (data or {}).get("child") or "")
    form = DirectEnrolmentForm(
        data, initial={"search": term}, children=choices, activities=activities
    )
    status = 200
    if data is not None and data.get("action") != "search":
        if form.is_valid():
            done = _direct_create(request, form)
            if done is not None:
                return done
        status = 400
    elif data is not None:
        # « Rechercher »: the form is shown again with the results, without errors.
        form = DirectEnrolmentForm(
            initial={
                "search": term,
                "activity": data.get("activity") or None,
                "start_date": data.get("start_date") or None,
                "end_date": data.get("end_date") or None,
                "weekdays": data.getlist("weekdays"),
            },
            children=choices,
            activities=activities,
        )
    context = {
        "page_title": _("Inscrire un enfant"),
        "header_icon": "user",
        "form": form,
        "term": term,
        "searched": bool(term),
        "results": results,
        "queue_url": reverse("planning_admin:enrolments"),
    }
    return render(request, "planning/admin/enrolment_create.html", context, status=status)
