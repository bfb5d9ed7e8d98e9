"""Template helpers shared by every app: ``{% load portal_tags %}``.

- ``{{ day|date_long }}`` → « lundi 14 décembre 2026 » (``portal.formats.date_long``);
- ``{{ slot.start_time|time_fr }}`` → « 16 h 30 » (``portal.formats.time_fr``);
- ``{{ amount|euros }}`` → « 1 234,56 € » (``portal.formats.euros``);
- ``{% pagination page %}`` → the one pagination block (``templates/includes/pagination.html``),
  keeping the current query string (filters, another list's page) and changing only its own
  page parameter.
"""

from django import template

from portal import formats

register = template.Library()


@register.filter
def date_long(value):
    return formats.date_long(value)


@register.filter
def date_long_cap(value):
    return formats.date_long(value, capitalise=True)


@register.filter
def time_fr(value):
    """« 16 h 30 » (``portal.formats.time_fr``)."""
    return formats.time_fr(value)


@register.filter
def datetime_fr(value):
    """« 01/12/2026 à 14 h 05 » (``portal.formats.datetime_fr``)."""
    return formats.datetime_fr(value)


@register.filter
def datetime_long(value):
    """« mardi 1er décembre 2026 à 14 h 05 » (``portal.formats.datetime_long``)."""
    return formats.datetime_long(value)


@register.filter
def euros(value):
    """« 1 234,56 € » (``portal.formats.euros``)."""
    return formats.euros(value)


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pagination(context, page, param="p", anchor=""):
    request = context.get("request")

    def url(number: int) -> str:
        query = request.GET.copy() if request is not None else {}
        if request is None:
            return f"?{param}={number}"
        query[param] = number
        return f"?{query.urlencode()}{'#' + anchor if anchor else ''}"

    return {
        "page": page,
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }
