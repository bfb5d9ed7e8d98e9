"""Small helpers every app shares: French dates as parents read them, the acting user.

Python code and templates use the same functions (``portal_tags`` exposes them as filters), so
« lundi 14 décembre 2026 » is written in one place.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, timezone

LONG_DATE = "l j F Y"
CENT = Decimal("0.01")
NBSP, NNBSP = "\u00a0", "\u202f"


def date_long(value: datetime.date | None, *, capitalise: bool = False) -> str:
    """« lundi 14 décembre 2026 » (« Lundi 14 décembre 2026 » when it opens a sentence)."""
    if value is None:
        return ""
    text = formats.date_format(value, LONG_DATE)
    if value.day == 1:  # « le 1er juillet », as French writes the first of the month
        weekday, _day, rest = text.split(" ", 2)
        text = f"{weekday} 1er {rest}"
    return text[:1].upper() + text[1:] if capitalise else text


def time_fr(value: datetime.time | datetime.datetime | None) -> str:
    """« 16 h 30 », « 9 h » (French typography; no-break spaces keep it on one line)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if value.minute:
        return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}"
    return f"{value.hour}{NBSP}h"


def time_range_fr(start, end) -> str:
    """« 16 h 30 – 18 h 30 »."""
    return f"{time_fr(start)} – {time_fr(end)}"


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def datetime_fr(value: datetime.datetime | None) -> str:
    """« 01/12/2026 à 14 h 05 », where a list or a record shows a moment."""
    if not value:
        return ""
    local = _local(value)
    return f"{local:%d/%m/%Y} à {time_fr(local)}"


def datetime_long(value: datetime.datetime | None) -> str:
    """« mardi 1er décembre 2026 à 14 h 05 », in sentences."""
    if not value:
        return ""
    local = _local(value)
    return f"{date_long(local.date())} à {time_fr(local)}"


def money_round(value) -> Decimal:
    """Euros to the cent, half up (as public accounting rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def euros(value) -> str:
    """« 1 234,56 € »: French grouping (narrow no-break space), decimal comma, a no-break
    space before the sign, a minus sign for a credit."""
    if value is None or value == "":
        return ""
    amount = money_round(value)
    sign = "−" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"


def actor_or_none(user):
    """The user to stamp as the author of a change: None for no one or an anonymous visitor."""
    return user if user is not None and user.is_authenticated else None
