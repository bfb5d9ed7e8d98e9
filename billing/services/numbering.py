"""Gapless numbers: one counter row per régie, kind and year, locked while a number is taken.

The number is taken inside the caller's transaction: if the invoice (or payment) is not
written, the transaction rolls back with the counter, so no number is ever lost or given twice.
"""

from django.db import transaction

from ..models import NumberCounter


def number_next(*, regie, kind: str, year: int) -> str:
    """« F01-2026-000123 »: the next number of ``kind`` for ``regie`` in ``year``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside the transaction that uses the number.")
    NumberCounter.objects.get_or_create(regie=regie, kind=kind, year=year)
    counter = NumberCounter.objects.select_for_update().get(regie=regie, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{kind}{regie.code}-{year}-{counter.last:06d}"
