"""Validators every form of the project shares: postal codes, birth dates and free text
(issue #11, item 7). French messages; a refused value changes nothing.

- Postal codes are five ASCII digits: ``\\d`` also matches ``７５００１`` (full-width) or
  ``٤٥٦٣٠`` (Arabic-Indic), which no letter carrier reads.
- Birth dates lie in a sensible range: an adult's from 1900, a child's within the last
  ``CHILD_MAX_AGE_YEARS`` years, and never in the future (year 1 or 1800 were accepted).
- Free text has a length limit (``TextRulesMixin`` gives one to every text field that has
  none) and no character that hides or reorders what an agent reads: bidirectional controls
  (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C), other control characters,
  and in one-line fields (names, addresses, phones) zero-width characters (U+200B–U+200D,
  U+2060, U+FEFF). A value made only of invisible characters is refused.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext as _

POSTAL_CODE_RE = re.compile(r"[0-9]{5}", re.ASCII)

ADULT_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
CHILD_MAX_AGE_YEARS = 30

# Lengths given to text fields that have none (a model TextField has no limit).
ONE_LINE_MAX_LENGTH = 200
MULTI_LINE_MAX_LENGTH = 2000

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # marks
)
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# Letters and symbols that print as nothing (Hangul fillers, the braille blank, …).
BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f\u00ad")
LINE_BREAKS = frozenset("\n\r\t")


def validate_postal_code(value: str) -> None:
    """Five digits 0–9, as a French postal code is written."""
    if value and not POSTAL_CODE_RE.fullmatch(value.strip()):
        raise ValidationError(
            _("Code postal invalide : 5 chiffres de 0 à 9, par exemple 45000."),
            code="postal_code",
        )


def _validate_birth_date(value, earliest: datetime.date, too_early: str) -> None:
    if not value:
        return
    if value > timezone.localdate():
        raise ValidationError(
            _("La date de naissance ne peut pas être dans le futur."), code="future"
        )
    if value < earliest:
        raise ValidationError(too_early, code="too_early")


def validate_adult_birth_date(value) -> None:
    """A guardian's (or any adult's) birth date: from 1 January 1900 to today."""
    _validate_birth_date(
        value,
        ADULT_EARLIEST_BIRTH_DATE,
        _("Date de naissance invalide : elle doit être postérieure au 1er janvier 1900."),
    )


def child_earliest_birth_date(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - CHILD_MAX_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - CHILD_MAX_AGE_YEARS, day=28)


def validate_child_birth_date(value) -> None:
    """A child's birth date: within the last 30 years, not in the future."""
    _validate_birth_date(
        value,
        child_earliest_birth_date(),
        _(
            "Date de naissance invalide : un enfant est né il y a moins de %(years)s ans "
            "(vérifiez l’année)."
        )
        % {"years": CHILD_MAX_AGE_YEARS},
    )


def _is_invisible(char: str) -> bool:
    return (
        char.isspace()
        or char in BLANK_LOOKALIKES
        or unicodedata.category(char) in {"Cc", "Cf", "Mn", "Me", "Zs", "Zl", "Zp"}
    )


def validate_text(value: str, *, one_line: bool = True) -> None:
    """Free text an agent or a parent will read: no bidirectional or other control
    characters, no zero-width characters on one line, and at least one visible character."""
    if not value:
        return
    if any(char in BIDI_CONTROLS for char in value):
        raise ValidationError(
            _(
                "Ce texte contient des caractères de contrôle invisibles qui inversent le sens "
                "d’écriture : retapez-le sans copier-coller."
            ),
            code="bidi",
        )
    if any(
        unicodedata.category(char) == "Cc" and (one_line or char not in LINE_BREAKS)
        for char in value
    ):
        raise ValidationError(
            _("Ce texte contient des caractères de contrôle : retapez-le sans copier-coller."),
            code="control",
        )
    if one_line and any(char in ZERO_WIDTH for char in value):
        raise ValidationError(
            _(
                "Ce texte contient des caractères invisibles (espaces de largeur nulle) : "
                "retapez-le sans copier-coller."
            ),
            code="zero_width",
        )
    if all(_is_invisible(char) for char in value):
        raise ValidationError(_("Ce texte ne contient aucun caractère visible."), code="invisible")


def validate_one_line_text(value: str) -> None:
    validate_text(value, one_line=True)


def validate_multi_line_text(value: str) -> None:
    validate_text(value, one_line=False)


SKIPPED_WIDGETS = (forms.HiddenInput, forms.PasswordInput)


def text_rules_apply(form: forms.BaseForm) -> None:
    """Every free-text field of ``form`` gets a length limit (when it has none) and the text
    rules: one-line fields ``validate_one_line_text``, text areas ``validate_multi_line_text``.
    Hidden fields (tokens), passwords and e-mail addresses (their own validator) keep theirs."""
    for field in form.fields.values():
        if type(field) is not forms.CharField or isinstance(field.widget, SKIPPED_WIDGETS):
            continue
        multi_line = isinstance(field.widget, forms.Textarea)
        if field.max_length is None:
            field.max_length = MULTI_LINE_MAX_LENGTH if multi_line else ONE_LINE_MAX_LENGTH
            field.validators.append(MaxLengthValidator(field.max_length))
            field.widget.attrs["maxlength"] = str(field.max_length)
        validator = validate_multi_line_text if multi_line else validate_one_line_text
        if validator not in field.validators:
            field.validators.append(validator)


class TextRulesMixin:
    """Put first in a form's bases: ``text_rules_apply`` once the fields are built."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        text_rules_apply(self)


__all__ = [
    "TextRulesMixin",
    "text_rules_apply",
    "validate_adult_birth_date",
    "validate_child_birth_date",
    "validate_multi_line_text",
    "validate_one_line_text",
    "validate_postal_code",
    "validate_text",
]
