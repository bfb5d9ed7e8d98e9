"""``{% load family_tags %}``: ``{{ value|dossier_value:field }}`` (see ``family.display``) and
``{{ day|date_since }}`` (« 1er février 2027 », after « depuis le »),
``{% change_attachments change_request %}`` (see ``family.hooks``)."""

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


@register.inclusion_tag("family/admin/includes/attachments.html")
def change_attachments(change_request):
    """What other apps attached to a change request (``family.hooks``: the fiscal data's
    supporting document), shown to the agent beside « ancien → nouveau »."""
    from ..hooks import change_attachments_describe

    return {"attachments": change_attachments_describe(change_request=change_request)}
