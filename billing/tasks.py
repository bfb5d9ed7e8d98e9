"""Thin django-q entry points of billing (their dotted paths are stored in the schedules)."""

from portal.scoping import scopes_disabled, tenant_scope

from .services import online


def payment_status() -> dict:
    """Every 5 minutes: online payments left open are asked again where the provider can say
    (PayFiP), and expired after 30 minutes otherwise — their invoices stay to pay. The sweep
    spans every collectivity (each transaction is locked and handled on its own)."""
    with scopes_disabled():
        return online.transactions_check()


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
