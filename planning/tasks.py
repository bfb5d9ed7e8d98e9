"""Thin django-q entry points of the planning app: they call the services."""

from . import bookings


def offers_expire() -> int:
    """Every 10 minutes: cancel the freed-place offers whose time ran out and propose the
    places to the next families on the waiting lists."""
    return bookings.offers_expire()
