"""The family quotient (QF) over time: ``QuotientPeriod`` rows, one open at a time, that
invoicing reads on the day billed; ``FiscalData.family_quotient`` mirrors the latest one (the
value the dossier shows).

``quotient_set`` starts a new value from a date and closes the open period the day before; a
new value on the same start date as the latest period corrects it; a date before the latest
period's start is refused (the history is only extended, never rewritten in the past). An
accepted change request of the fiscal data that changes the QF starts its value on the first
day of the month of acceptance (``quotient_from_change``).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.formats import euros

from ..models import Family, FiscalData, QuotientPeriod
from .events import family_event

MAX_QUOTIENT = Decimal("999999.99")  # max_digits=8, decimal_places=2


class QuotientError(DomainError):
    """A refused family-quotient change; ``.message`` is the French text for the agent."""


def _day(value: datetime.date) -> str:
    return value.strftime("%d/%m/%Y")


def _value(value) -> Decimal:
    try:
        value = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError) as error:
        raise QuotientError(
            _("Saisissez un quotient familial en euros, par exemple 820,50.")
        ) from error
    if value < 0:
        raise QuotientError(_("Le quotient familial ne peut pas être négatif."))
    if value > MAX_QUOTIENT:
        raise QuotientError(_("Ce quotient familial est trop grand."))
    return value


def _latest(family: Family) -> QuotientPeriod | None:
    return QuotientPeriod.objects.filter(family=family).order_by("-valid_from", "-pk").first()


def _mirror(family: Family, value: Decimal | None) -> None:
    FiscalData.objects.update_or_create(family=family, defaults={"family_quotient": value})


@transaction.atomic
def quotient_set(*, family: Family, value, valid_from: datetime.date, by) -> QuotientPeriod:
    """The family's QF is ``value`` from ``valid_from`` on (open-ended)."""
    value = _value(value)
    # One change of a family's quotient at a time (two agents, or an agent and a decision).
    Family.objects.select_for_update().filter(pk=family.pk).first()
    latest = _latest(family)
    if latest is not None and valid_from < latest.valid_from:
        raise QuotientError(
            _(
                "Le quotient familial de %(value)s s’applique depuis le %(start)s : un nouveau "
                "quotient commence ce jour-là ou après, pas le %(date)s."
            )
            % {
                "value": euros(latest.value),
                "start": _day(latest.valid_from),
                "date": _day(valid_from),
            }
        )
    if latest is not None and latest.valid_from == valid_from:
        previous_value = latest.value
        latest.value, latest.valid_to = value, None
        latest.save(update_fields=["value", "valid_to"])
        period = latest
        message = _("Quotient familial corrigé : %(old)s → %(new)s à partir du %(start)s.") % {
            "old": euros(previous_value),
            "new": euros(value),
            "start": _day(valid_from),
        }
    else:
        if latest is not None and (latest.valid_to is None or latest.valid_to >= valid_from):
            latest.valid_to = valid_from - datetime.timedelta(days=1)
            latest.save(update_fields=["valid_to"])
        period = QuotientPeriod.objects.create(family=family, value=value, valid_from=valid_from)
        message = _("Quotient familial : %(new)s à partir du %(start)s.") % {
            "new": euros(value),
            "start": _day(valid_from),
        }
    _mirror(family, value)
    family_event(
        family,
        actor=by,
        verb="quotient_set",
        message=message,
        data={"value": str(value), "valid_from": valid_from.isoformat()},
    )
    return period


def change_start(family: Family, today: datetime.date | None = None) -> datetime.date:
    """Where the QF of an accepted change request starts: the first day of the month of
    acceptance, or the latest period's start if that is later (the request then corrects it)."""
    start = (today or timezone.localdate()).replace(day=1)
    latest = _latest(family)
    return max(start, latest.valid_from) if latest is not None else start


def quotient_from_change(*, family: Family, value, by) -> None:
    """The dossier's QF changed by an accepted change request (inside its transaction)."""
    start = change_start(family)
    latest = _latest(family)
    if value is None or value == "":
        if latest is None or latest.valid_to is not None:
            return
        if latest.valid_from < start:
            latest.valid_to = start - datetime.timedelta(days=1)
            latest.save(update_fields=["valid_to"])
        else:
            latest.delete()  # entered this month and withdrawn this month: never applied
        family_event(
            family,
            actor=by,
            verb="quotient_cleared",
            message=_("Quotient familial retiré à partir du %(start)s.") % {"start": _day(start)},
        )
        return
    value = _value(value)
    if latest is not None and latest.valid_to is None and latest.value == value:
        return
    quotient_set(family=family, value=value, valid_from=start, by=by)
