"""Accounting exports of an invoicing run: its invoices with their amounts per activity and
accounting code, as CSV and XLSX for the collectivity's finance software (layout in the
README, « Exports comptables »). Another collectivity's run answers 404."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ..exports import run_invoices_csv, run_invoices_xlsx
from ..models import InvoicingRun
from ..selectors import run_export_rows
from .imports import XLSX, _attachment


def _run(request, pk: int):
    run = get_object_or_404(request.scope.agent(InvoicingRun).select_related("regie"), pk=pk)
    name = f"facturation-{run.pk}-regie-{run.regie.code}-{run.period_start:%Y%m%d}"
    return run, name


@require_GET
def run_export_csv(request, pk: int):
    run, name = _run(request, pk)
    content = run_invoices_csv(run_export_rows(run))
    return _attachment(content, content_type="text/csv; charset=utf-8", filename=f"{name}.csv")


@require_GET
def run_export_xlsx(request, pk: int):
    run, name = _run(request, pk)
    content = run_invoices_xlsx(run_export_rows(run), title=_("Factures"))
    return _attachment(content, content_type=XLSX, filename=f"{name}.xlsx")
