"""Agents' invoicing runs (``/admin/facturation/facturations/``): the list, « Nouvelle
facturation », a run's page (the draft's preview with its anomalies, the progress while it is
issued, its invoices once issued), « Recalculer », « Émettre » and deleting a draft.

Every run comes through ``request.scope.agent``: another collectivity's answers 404. The
progress page refreshes itself with ``<meta http-equiv="refresh">`` while the run is being
issued (no JavaScript needed).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from planning.admin.common import admin_page
from planning.models import Activity

from .. import selectors
from ..forms.admin import RunForm
from ..models import InvoicingRun, Regie, RunAnomaly, RunFamily
from ..services.runs import RunError, run_compute, run_create, run_delete, run_issue_start

PAGE_SIZE = 50
REFRESH_SECONDS = 3


def _run(request, pk: int) -> InvoicingRun:
    return get_object_or_404(
        request.scope.agent(InvoicingRun).select_related("regie", "created_by", "issued_by"),
        pk=pk,
    )


@require_GET
def runs(request):
    rows = selectors.runs_listed(request.scope.agent(InvoicingRun))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    response = admin_page(
        request,
        "billing/admin/runs.html",
        page_title=_("Facturations"),
        header_icon="list-ul",
        page=page,
    )
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def run_add(request):
    regies = list(request.scope.agent(Regie).filter(is_active=True).order_by("code"))
    activities = list(request.scope.rows(Activity).order_by("name", "pk"))
    form = RunForm(request.POST or None, regies=regies, activities=activities)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                run = run_create(
                    regie=data["regie_obj"],
                    label=data["label"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    activities=data["activity_objs"],
                    bill_unrecorded=data["bill_unrecorded"],
                    due_date=data["due_date"],
                    direct_debit_date=data["direct_debit_date"],
                    by=request.user,
                )
            except RunError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Brouillon calculé : vérifiez-le avant d’émettre."))
                return redirect(reverse("billing_admin:run_detail", args=[run.pk]))
    return admin_page(
        request,
        "billing/admin/run_form.html",
        page_title=_("Nouvelle facturation"),
        header_icon="list-ul",
        form=form,
        regies=regies,
        http_status=status,
    )


@require_GET
def run_detail(request, pk: int):
    """The draft's preview, the progress of its issue, or its invoices."""
    run = _run(request, pk)
    summary = selectors.run_summary(run)
    families = Paginator(
        request.scope.agent(RunFamily)
        .filter(run=run)
        .select_related("invoice")
        .order_by("family_name", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("p"))
    response = admin_page(
        request,
        "billing/admin/run_detail.html",
        page_title=run.label,
        page_subtitle=run.get_status_display(),
        header_icon="list-ul",
        run=run,
        summary=summary,
        families=families,
        anomalies=selectors.run_anomalies(request.scope.agent(RunAnomaly).filter(run=run)),
        refresh=REFRESH_SECONDS
        if run.status == InvoicingRun.Status.ISSUING
        or (run.status == InvoicingRun.Status.ISSUED and summary["pdfs_pending"])
        else None,
        confirm=request.GET.get("confirmer") == "1",
    )
    add_never_cache_headers(response)
    return response


def _refused(request, run, error):
    messages.error(request, error.message)
    return redirect(reverse("billing_admin:run_detail", args=[run.pk]))


@require_POST
def run_recompute(request, pk: int):
    run = _run(request, pk)
    try:
        run_compute(run=run)
    except RunError as error:
        return _refused(request, run, error)
    messages.success(request, _("Brouillon recalculé."))
    return redirect(reverse("billing_admin:run_detail", args=[run.pk]))


@require_POST
def run_issue(request, pk: int):
    """« Émettre » (or « Reprendre l’émission »): a second click finds the run issuing and
    only goes back to its progress."""
    run = _run(request, pk)
    try:
        run_issue_start(run=run, by=request.user)
    except RunError as error:
        return _refused(request, run, error)
    messages.success(request, _("Émission lancée : la page suit son avancement."))
    return redirect(reverse("billing_admin:run_detail", args=[run.pk]))


@require_POST
def run_remove(request, pk: int):
    run = _run(request, pk)
    try:
        run_delete(run=run)
    except RunError as error:
        return _refused(request, run, error)
    messages.success(request, _("Brouillon supprimé."))
    return redirect(reverse("billing_admin:runs"))
