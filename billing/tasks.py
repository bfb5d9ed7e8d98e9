"""Thin django-q entry points of billing (their dotted paths are stored in the schedules)."""

from django.utils import timezone

from portal.scoping import scopes_disabled, tenant_scope

from .services import certificates, online, reminders


def payment_status() -> dict:
    """Every 5 minutes: online payments left open are asked again where the provider can say
    (PayFiP), and expired after 30 minutes otherwise — their invoices stay to pay. The sweep
    spans every collectivity (each transaction is locked and handled on its own)."""
    with scopes_disabled():
        return online.transactions_check()


def reminders_send() -> int:
    """Every day at 07:00 (local time): the reminders of overdue invoices due today, once per
    invoice and level. Each collectivity is handled in its own scope."""
    with scopes_disabled():
        return reminders.reminders_send(today=timezone.localdate())


def tax_certificates_generate() -> int:
    """Every 15 January at 06:00: the tax certificates of the year before, in every
    collectivity (idempotent: the certificates already made are left as they are)."""
    with scopes_disabled():
        return certificates.tax_certificates_generate_all(year=timezone.localdate().year - 1)


def tax_certificates_generate_for(collectivity_id: int, year: int, by_id: int | None = None):
    """« Générer les attestations » from the back office: one collectivity's year, in the
    task cluster (hundreds of PDFs do not fit in a web request)."""
    from django.contrib.auth import get_user_model

    from portal.models import Collectivity
    from portal.scoping import tenant_scope

    collectivity = Collectivity.objects.get(pk=collectivity_id)
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    with tenant_scope(collectivity):
        return certificates.tax_certificates_generate(collectivity=collectivity, year=year, by=by)


def run_issue(run_id: int) -> str:
    """« Émettre » an invoicing run: its invoices in batches, within its collectivity's
    scope (queued by ``run_issue_start``; a task that runs out of time queues the next)."""
    from .models import InvoicingRun
    from .services.runs import run_issue_process

    with scopes_disabled():
        collectivity = (
            InvoicingRun.objects.select_related("regie__collectivity")
            .get(pk=run_id)
            .regie.collectivity
        )
    with tenant_scope(collectivity):
        return run_issue_process(run_id=run_id).status


def invoices_pdf_render(invoice_ids: list[int]) -> int:
    """The PDFs of one batch of an invoicing run's invoices (queued when the batch commits;
    the cluster's workers render several batches side by side). Invoices that already have
    their PDF are left alone, so a retried task renders nothing twice."""
    from .models import Invoice
    from .pdf import invoices_pdf_render as render

    with scopes_disabled():
        first = (
            Invoice.objects.filter(pk__in=invoice_ids).select_related("regie__collectivity").first()
        )
    if first is None:
        return 0
    with tenant_scope(first.regie.collectivity):
        return render(invoice_ids)
