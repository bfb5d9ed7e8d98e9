"""Thin django-q entry points of billing (their dotted paths are stored in the schedules)."""

from django.utils import timezone

from portal.scoping import scopes_disabled

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
