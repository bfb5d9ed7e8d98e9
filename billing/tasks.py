"""Thin django-q entry points of billing (their dotted paths are stored in the schedules)."""

from portal.scoping import scopes_disabled

from .services import online


def payment_status() -> dict:
    """Every 5 minutes: online payments left open are asked again where the provider can say
    (PayFiP), and expired after 30 minutes otherwise — their invoices stay to pay. The sweep
    spans every collectivity (each transaction is locked and handled on its own)."""
    with scopes_disabled():
        return online.transactions_check()
