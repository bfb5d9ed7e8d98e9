"""``{% load family_tags %}``: ``{{ value|dossier_value:field }}`` (see ``family.display``) and
``{{ day|date_since }}`` (« 1er février 2027 », after « depuis le »)."""

from django import template
from django.utils import formats

from ..display import dossier_value as dossier_value_format

register = template.Library()


@register.filter
def dossier_value(value, field=None) -> str:
    return dossier_value_format(value, field)


@register.inclusion_tag("family/dossier/includes/landing.html", takes_context=True)
def landing_messages(context, *parts):
    """The messages for the section ``#<parts joined>`` of the dossier, shown where the parent
    lands after an edit (``family.views.dossier._landed``)."""
    anchor = "".join(str(part) for part in parts)
    return {"messages_here": (context.get("landing") or {}).get(anchor, [])}


@register.filter
def date_since(value) -> str:
    """« 1er février 2027 », « 15 février 2027 » (after « depuis le »)."""
    if not value:
        return ""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {formats.date_format(value, 'F Y')}"
