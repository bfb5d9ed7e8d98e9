"""« Espace facturation »: the family's invoices, their detail and their PDF. Every row comes
through ``request.scope.parent`` (the account's families in this collectivity only)."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from family.decorators import family_required

from .. import selectors
from ..forms.parent import InvoiceFilterForm
from ..models import Invoice, Mandate, TaxCertificate
from ..pdf import invoice_pdf_ensure

PAGE_SIZE = 20


@family_required
@require_GET
def index(request):
    invoices = request.scope.parent(Invoice)
    form = InvoiceFilterForm(request.GET or None, years=selectors.invoice_years(invoices))
    shown = selectors.family_invoices(form.apply(invoices)).order_by("-issue_date", "-pk")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("p"))
    return render(
        request,
        "billing/index.html",
        {
            "form": form,
            "page": page,
            "balance": selectors.balance_due(invoices),
            "filtered": form.is_bound and any(form.data.get(k) for k in ("annee", "etat")),
            "online_ids": _online_ids(request, page),
            "certificates": request.scope.parent(TaxCertificate)
            .select_related("child")
            .order_by("-year", "child__birth_date", "pk"),
            "mandates": list(
                request.scope.parent(Mandate)
                .filter(status=Mandate.Status.ACTIVE)
                .select_related("regie")
                .order_by("regie__code", "pk")
            ),
        },
    )


def _online_ids(request, invoices) -> set[int]:
    """The invoices shown that may be paid online here (the module on, their régie set)."""
    if not request.collectivity.modules.get("online_payment", False):
        return set()
    return {invoice.pk for invoice in selectors.online_payable(invoices)}


def _invoice(request, pk: int) -> Invoice:
    return get_object_or_404(selectors.family_invoices(request.scope.parent(Invoice)), pk=pk)


@family_required
@require_GET
def invoice_detail(request, pk: int):
    invoice = _invoice(request, pk)
    lines = list(invoice.lines.select_related("child"))
    children: dict[str, list] = {}
    for line in lines:
        children.setdefault(line.child_name or _("Famille"), []).append(line)
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "children": children,
            "online_ids": _online_ids(request, [invoice]),
        },
    )


@family_required
@require_GET
def invoice_pdf(request, pk: int):
    """The stored PDF, as an attachment, to the family's accounts only."""
    invoice = _invoice(request, pk)
    if not invoice.pdf:
        # Still waiting for its task (a run's PDFs are rendered after numbering): rendered
        # now, once, and stored like the others.
        invoice_pdf_ensure(request.scope.parent(Invoice).filter(pk=invoice.pk))
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
    return response


@family_required
@require_GET
def certificate_pdf(request, pk: int):
    """A tax certificate's stored PDF, to the family's accounts only (another family's: 404)."""
    certificate = get_object_or_404(request.scope.parent(TaxCertificate), pk=pk)
    if not certificate.pdf:
        raise Http404(_("Le PDF de cette attestation n’est pas disponible."))
    response = FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"attestation-frais-de-garde-{certificate.year}-{certificate.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
