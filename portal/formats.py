"""Small helpers every app shares: French dates as parents read them, the acting user.

Python code and templates use the same functions (``portal_tags`` exposes them as filters), so
« lundi 14 décembre 2026 » is written in one place.
"""

import datetime

from django.utils import formats

LONG_DATE = "l j F Y"


def date_long(value: datetime.date | None, *, capitalise: bool = False) -> str:
    """« lundi 14 décembre 2026 » (« Lundi 14 décembre 2026 » when it opens a sentence)."""
    if value is None:
        return ""
    text = formats.date_format(value, LONG_DATE)
    return text[:1].upper() + text[1:] if capitalise else text


def actor_or_none(user):
    """The user to stamp as the author of a change: None for no one or an anonymous visitor."""
    return user if user is not None and user.is_authenticated else None
