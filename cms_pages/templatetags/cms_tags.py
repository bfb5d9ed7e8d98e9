from django import template
from django.utils.safestring import mark_safe

from cms_pages import site_cache
from cms_pages.models import HelpIndexPage
from portal.links import portal_link_url

register = template.Library()


def _items(context, relation):
    request = context.get("request")
    collectivity = getattr(request, "collectivity", None)
    if request is None or collectivity is None:
        return []
    current = request.path
    return [
        {"label": label, "url": url, "current": url == current}
        for label, url in site_cache.menus(request, collectivity)[relation]
    ]


@register.simple_tag(takes_context=True)
def site_branding(context):
    """The site's branding (``cms_pages.site_cache.branding``), or the portal's defaults."""
    request = context.get("request")
    site = getattr(request, "_wagtail_site", None) if request is not None else None
    if site is None and request is not None:
        from wagtail.models import Site

        site = Site.find_for_request(request)
    if site is None:
        return {}
    found = site_cache.branding(site)
    return {**found, "logo_html": mark_safe(found["logo_html"])}  # noqa: S308 -- Wagtail's img_tag


@register.inclusion_tag("includes/menu.html", takes_context=True)
def header_menu(context):
    return {"entries": _items(context, "header_items"), "menu_id": "menu-principal"}


@register.inclusion_tag("includes/footer_menu.html", takes_context=True)
def footer_menu(context):
    return {"entries": _items(context, "footer_items")}


@register.simple_tag(takes_context=True)
def tile_url(context, target):
    """URL of a home-page tile's destination, or '' when it is not available here."""
    request = context["request"]
    if target == "help":
        page = HelpIndexPage.objects.live().descendant_of(request._wagtail_site.root_page).first()
        return page.get_url(request) if page else ""
    return portal_link_url(target, request.collectivity) or ""


@register.simple_tag(takes_context=True)
def help_url(context):
    return tile_url(context, "help")


@register.filter
def portal_links(html, request):
    """Rich text as parents read it: a link to a module this collectivity has not switched on
    keeps its words and loses its link (``cms_pages.links.unlink_unavailable``)."""
    from django.utils.safestring import mark_safe

    from cms_pages.links import unlink_unavailable

    collectivity = getattr(request, "collectivity", None)
    return mark_safe(unlink_unavailable(html, collectivity))  # noqa: S308 - rich text, already safe


@register.simple_tag
def callout_label(kind, title):
    """« Attention : Pensez à … », but « Attention aux délais » alone: the kind's word is not
    repeated when the title already opens with it."""
    from django.utils.translation import gettext as _

    word = {"warning": _("Attention"), "tip": _("Conseil")}.get(kind, _("À savoir"))
    title = (title or "").strip()
    if not title:
        return word
    if title.lower().startswith(word.lower()):
        return title
    return f"{word} : {title}"
