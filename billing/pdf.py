"""The invoice PDF: rendered once, when the invoice is issued, and stored in private storage.
Rendering goes through ``portal.pdf`` only (no network, no disk, escaped values)."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from portal.pdf import render_pdf


def invoice_html(invoice) -> str:
    lines = list(invoice.lines.all())
    with translation.override("fr"):
        return render_to_string(
            "billing/pdf/invoice.html",
            {"invoice": invoice, "lines": lines, "collectivity": invoice.family.collectivity},
        )


def invoice_pdf_store(invoice) -> None:
    """Render and store the invoice's PDF (its name is the number, chosen by the server)."""
    pdf = render_pdf(invoice_html(invoice))
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(pdf), save=False)
    type(invoice).objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)


def invoices_pdf_render(invoice_ids) -> int:
    """Render and store the PDF of each of these invoices that has none yet, each in its own
    transaction under the invoice's row lock (a PDF is rendered once, even when a parent asks
    for it while the task is rendering it). Returns how many were rendered."""
    from .models import Invoice

    rendered = 0
    for invoice_id in invoice_ids:
        rendered += invoice_pdf_ensure(Invoice.objects.filter(pk=invoice_id)) is not None
    return rendered


def invoice_pdf_ensure(invoices):
    """The stored PDF of the one invoice of ``invoices`` (an already scoped queryset),
    rendered and stored now if it has none yet. Returns the invoice when it rendered it,
    ``None`` when the PDF was already there (or the invoice does not exist)."""
    with transaction.atomic():
        invoice = (
            invoices.select_for_update(of=("self",))
            .select_related("regie", "family__collectivity")
            .first()
        )
        if invoice is None or invoice.pdf:
            return None
        invoice_pdf_store(invoice)
        return invoice


def reminder_letters_pdf(invoices, *, collectivity, today) -> bytes:
    """The reminder letters of ``invoices`` (each with ``last_level``, as
    ``selectors.overdue_invoices`` gives them), one A4 page each, in one PDF to print."""
    with translation.override("fr"):
        html = render_to_string(
            "billing/pdf/reminder_letters.html",
            {"invoices": list(invoices), "collectivity": collectivity, "today": today},
        )
    return render_pdf(html)


def tax_certificates_pdf(certificates, *, collectivity) -> bytes:
    """Tax certificates, one A4 page each (one for the stored file, all of a year for the
    agents' batch print), from what each certificate recorded (``details``)."""
    import datetime
    from decimal import Decimal

    pages = []
    for certificate in certificates:
        details = certificate.details or {}
        pages.append(
            {
                "certificate": certificate,
                "child": certificate.child,
                "regies": [
                    {**regie, "amount": Decimal(regie["amount"])}
                    for regie in details.get("regies", [])
                ],
                "payers": details.get("payers", []),
                "place": details.get("place", collectivity.name),
                "date": datetime.date.fromisoformat(details["date"])
                if details.get("date")
                else None,
                "born_after": datetime.date(certificate.year - 6, 1, 1),
            }
        )
    with translation.override("fr"):
        html = render_to_string(
            "billing/pdf/tax_certificate.html", {"pages": pages, "collectivity": collectivity}
        )
    return render_pdf(html)
