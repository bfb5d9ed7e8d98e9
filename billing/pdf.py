"""The invoice PDF: rendered once, when the invoice is issued, and stored in private storage.
Rendering goes through ``portal.pdf`` only (no network, no disk, escaped values)."""

from django.core.files.base import ContentFile
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
