"""How a dossier value reads, for parents and agents alike: choice labels, « Oui » / « Non »,
French dates and amounts. Templates use it as ``{{ value|dossier_value:field }}``
(``family_tags``); a value may be the model's own or the JSON-friendly string a change
request stores."""

from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _


def dossier_value(value, field=None) -> str:
    """``value`` as read on the dossier and in the back office; "" when empty. ``field`` is
    the model field it belongs to (None for a plain yes/no, like an authorisation)."""
    if value is None or value == "":
        return ""
    if field is not None and not isinstance(value, bool | Decimal | date):
        try:
            value = field.to_python(value)
        except Exception:  # noqa: BLE001 -- a value stored as typed: show it as is
            return str(value)
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, date):
        return formats.date_format(value, "d/m/Y")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2)
    return str(value)


def iban_masked(iban: str) -> str:
    """« FR76 •••• 0189 »: what parents read of their IBAN."""
    iban = (iban or "").replace(" ", "")
    if len(iban) <= 8:
        return iban
    return f"{iban[:4]} •••• {iban[-4:]}"
