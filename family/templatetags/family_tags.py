"""``{% load family_tags %}``: ``{{ value|dossier_value:field }}`` (see ``family.display``)."""

from django import template

from ..display import dossier_value as dossier_value_format

register = template.Library()


@register.filter
def dossier_value(value, field=None) -> str:
    return dossier_value_format(value, field)
