"""The letter that carries a family's subscriber code ("Votre collectivité vous l’a transmis
par courrier"): one page per family, rendered to PDF by ``portal.pdf``."""

from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Collectivity
from portal.pdf import render_pdf

from ..models import Family
from .subscriptions import family_code_regenerate


def letters_codes_ensure(*, families: list[Family], by=None) -> list[Family]:
    """Give a code to the families that have none (each through family_code_regenerate)."""
    for family in families:
        if not family.subscriber_code:
            family.subscriber_code = family_code_regenerate(family=family, by=by)
    return families


def letters_html(*, collectivity: Collectivity, families: list[Family]) -> str:
    """The letters as one HTML document, one page per family (codes must exist)."""
    letters = []
    for family in families:
        guardians = list(family.guardians.all())
        letters.append({"family": family, "addressee": guardians[0] if guardians else None})
    return render_to_string(
        "family/pdf/letter.html",
        {
            "collectivity": collectivity,
            "portal_url": collectivity.site.root_url,
            "letters": letters,
            "today": timezone.localdate(),
        },
    )


def letters_pdf(*, collectivity: Collectivity, families: list[Family], by=None) -> bytes:
    """Generate missing codes, then render the letters to one PDF."""
    letters_codes_ensure(families=families, by=by)
    return render_pdf(letters_html(collectivity=collectivity, families=families))
