"""Agents' invoices (``/admin/facturation/factures/``): the list with its filters, an
invoice's page (lines, payments, PDF), and its cancellation by a credit note.

Every row comes through ``request.scope.agent``: another collectivity's invoice answers 404.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from planning.admin.common import admin_page
from portal.views_helpers import queue_filters

from .. import selectors
from ..forms.admin import InvoiceAdminFilterForm, InvoiceCancelForm
from ..models import Invoice
from ..pdf import invoice_pdf_ensure
from ..services import BillingError
from ..services import invoice_cancel as invoice_cancel_service

PAGE_SIZE = 50


@require_GET
def invoices(request):
    """« Factures »: the collectivity's invoices, newest first, filtered (GET), 50 a page, in a
    fixed number of queries."""
    form = InvoiceAdminFilterForm(request.GET or None)
    today = timezone.localdate()
    rows = selectors.agent_invoices(request.scope.agent(Invoice))
    if form.is_bound and form.is_valid():
        rows = selectors.invoices_filtered(rows, form.cleaned_data, today=today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    response = admin_page(
        request,
        "billing/admin/invoices.html",
        page_title=_("Factures"),
        header_icon="doc-full",
        form=form,
        page=page,
        today=today,
        filter_query=queue_filters(request),
    )
    add_never_cache_headers(response)
    return response


def _invoice(request, pk: int) -> Invoice:
    return get_object_or_404(selectors.invoice_detail(request.scope.agent(Invoice)), pk=pk)


def _detail_page(request, invoice, *, cancel_form=None, status=200):
    lines = list(invoice.lines.all())
    return admin_page(
        request,
        "billing/admin/invoice_detail.html",
        page_title=_("Facture %(number)s") % {"number": invoice.number},
        page_subtitle=invoice.family.name,
        header_icon="doc-full",
        invoice=invoice,
        lines=lines,
        overdue=invoice.is_payable and invoice.due_date < timezone.localdate(),
        can_cancel=invoice.status != Invoice.Status.CANCELLED and invoice.paid == 0,
        cancel_form=cancel_form,
        http_status=status,
    )


@require_GET
def invoice_detail(request, pk: int):
    return _detail_page(request, _invoice(request, pk))


@require_GET
def invoice_pdf(request, pk: int):
    """The stored PDF, as an attachment, to this collectivity's agents only."""
    invoice = _invoice(request, pk)
    if not invoice.pdf:
        # Still waiting for its task (a run's PDFs are rendered after numbering): rendered
        # now, once, and stored like the others.
        invoice_pdf_ensure(request.scope.agent(Invoice).filter(pk=invoice.pk))
        invoice.refresh_from_db(fields=["pdf"])
    if not invoice.pdf:
        raise Http404(_("Le PDF de cette facture n’est pas disponible."))
    response = FileResponse(
        invoice.pdf.open("rb"),
        as_attachment=True,
        filename=f"facture-{invoice.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def invoice_cancel(request, pk: int):
    """« Annuler par un avoir »: the reason (GET shows the form), then the credit note."""
    invoice = _invoice(request, pk)
    if request.method != "POST":
        return _detail_page(request, invoice, cancel_form=InvoiceCancelForm())
    form = InvoiceCancelForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, invoice, cancel_form=form, status=400)
    try:
        cancelled = invoice_cancel_service(
            invoice=invoice, by=request.user, reason=form.cleaned_data["reason"]
        )
    except BillingError as error:
        form.add_error(None, error.message)
        return _detail_page(request, invoice, cancel_form=form, status=400)
    messages.success(
        request,
        _("Facture %(number)s annulée par l’avoir %(credit)s : la famille en est prévenue.")
        % {"number": cancelled.number, "credit": cancelled.credit_note_number},
    )
    return redirect(reverse("billing_admin:invoice_detail", args=[invoice.pk]))
