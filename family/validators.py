"""Validators shared by forms, services and imports (French messages)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def normalize_iban(value: str) -> str:
    return "".join((value or "").split()).upper()


def validate_iban(value: str) -> None:
    try:
        IBAN(normalize_iban(value))
    except SchwiftyException as error:
        raise ValidationError(
            _(
                "IBAN invalide : vérifiez les caractères saisis (exemple : FR76 3000 6000 0112 3456 7890 189)."
            )
        ) from error


def validate_bic(value: str) -> None:
    if not value:
        return
    try:
        BIC("".join(value.split()).upper())
    except SchwiftyException as error:
        raise ValidationError(
            _("BIC invalide : 8 ou 11 caractères, par exemple AGRIFRPP.")
        ) from error
