"""Files in and out of the billing back office: the CSV import of invoices from the
collectivity's current software (validated first, all or nothing) and its model file; the
export of a régie's payments over a period (CSV or XLSX) for its accounts."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from planning.admin.common import admin_page
from portal.formats import euros

from .. import selectors
from ..exports import payments_csv, payments_xlsx
from ..forms.admin import InvoiceImportForm, PaymentsExportForm
from ..models import Invoice, Payment, Regie
from ..services.imports import (
    MAX_ERRORS_SHOWN,
    InvoiceImportError,
    invoices_import_csv,
    invoices_import_template,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def invoices_import(request):
    """« Importer des factures »: every row is validated, then all or nothing is imported."""
    request.scope.agent(Invoice)  # agents only, before anything is read or written
    errors, status = [], 200
    form = InvoiceImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = invoices_import_csv(
                collectivity=request.scope.collectivity,
                data=form.cleaned_data["file"].read(),
                by=request.user,
                notify=form.cleaned_data["notify"],
            )
        except InvoiceImportError as error:
            errors, status = error.errors, 400
        else:
            count = len(result.invoices)
            messages.success(
                request,
                ngettext(
                    "%(count)s facture importée, pour un total de %(total)s.",
                    "%(count)s factures importées, pour un total de %(total)s.",
                    count,
                )
                % {"count": count, "total": euros(result.total)},
            )
            return redirect(reverse("billing_admin:invoices"))
    elif request.method == "POST":
        status = 400
    return admin_page(
        request,
        "billing/admin/import.html",
        page_title=_("Importer des factures"),
        header_icon="upload",
        form=form,
        errors=errors[:MAX_ERRORS_SHOWN],
        more_errors=max(len(errors) - MAX_ERRORS_SHOWN, 0),
        regies=list(request.scope.agent(Regie).filter(is_active=True).order_by("code")),
        http_status=status,
    )


@require_GET
def import_template(request):
    request.scope.agent(Invoice)
    return _attachment(
        ("\ufeff" + invoices_import_template()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        filename="modele-import-factures.csv",
    )


@require_GET
def payments_export(request):
    """« Export des règlements »: the form (GET without a period), then the file."""
    scope = request.scope
    regies = list(scope.agent(Regie).order_by("code"))
    asked = "du" in request.GET or "au" in request.GET
    form = PaymentsExportForm(request.GET if asked else None, regies=regies)
    if asked and form.is_valid():
        data = form.cleaned_data
        regie = data["regie_obj"]
        payments = list(
            selectors.payments_for_export(
                scope.agent(Payment), regie=regie, date_from=data["du"], date_to=data["au"]
            )
        )
        name = f"reglements-regie-{regie.code}-{data['du']:%Y%m%d}-{data['au']:%Y%m%d}"
        if data["format"] == "xlsx":
            content = payments_xlsx(payments, title=_("Règlements"))
            return _attachment(content, content_type=XLSX, filename=f"{name}.xlsx")
        content = payments_csv(payments)
        return _attachment(content, content_type="text/csv; charset=utf-8", filename=f"{name}.csv")
    return admin_page(
        request,
        "billing/admin/payments_export.html",
        page_title=_("Export des règlements"),
        header_icon="download",
        form=form,
        regies=regies,
        http_status=400 if asked else 200,
    )
