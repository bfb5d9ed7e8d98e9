"""``{% load family_tags %}``: ``{{ value|dossier_value:field }}`` (see ``family.display``) and
``{% change_attachments change_request %}`` (see ``family.hooks``)."""

from django import template

from ..display import dossier_value as dossier_value_format

register = template.Library()


@register.filter
def dossier_value(value, field=None) -> str:
    return dossier_value_format(value, field)


@register.inclusion_tag("family/admin/includes/attachments.html")
def change_attachments(change_request):
    """What other apps attached to a change request (``family.hooks``: the fiscal data's
    supporting document), shown to the agent beside « ancien → nouveau »."""
    from ..hooks import change_attachments_describe

    return {"attachments": change_attachments_describe(change_request=change_request)}
