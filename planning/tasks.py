"""Thin django-q entry points of the planning app: they open their scope and call services.

The dotted paths (``planning.tasks.*``) are stored in django-q2's schedules: keep them.
"""

from portal.scoping import scopes_disabled

from .services import bookings


def offers_expire() -> int:
    """Every 10 minutes: cancel the freed-place offers whose time ran out and propose the
    places to the next families on the waiting lists. The sweep spans every collectivity of
    the deployment (each slot is locked and handled on its own), hence no tenant scope."""
    with scopes_disabled():
        return bookings.offers_expire()
