"""Editors are told, when they save, about the links their parents would not be able to
follow: a help link or a menu entry to a module that is off here, an internal link that
leads nowhere (``cms_pages.links``)."""

from django.contrib import messages
from django.utils.translation import gettext as _

from wagtail import hooks

from portal.links import PENDING_LINKS, PORTAL_LINK_CHOICES, portal_link_url

from .links import link_problems, stream_html


def _collectivity_of(site):
    from portal.models import Collectivity

    return Collectivity.objects.filter(site=site).first() if site else None


def _page_warnings(request, page) -> None:
    page = page.specific
    site = page.get_site()
    collectivity = _collectivity_of(site)
    html = "\n".join(
        stream_html(getattr(page, field))
        if hasattr(getattr(page, field), "raw_data")
        else str(getattr(page, field) or "")
        for field in ("body", "welcome_text", "intro")
        if hasattr(page, field)
    )
    for problem in link_problems(html, collectivity=collectivity, site=site, request=request):
        messages.warning(request, problem.message())


@hooks.register("after_create_page")
def warn_page_links_on_create(request, page):
    _page_warnings(request, page)


@hooks.register("after_edit_page")
def warn_page_links_on_edit(request, page):
    _page_warnings(request, page)


@hooks.register("after_edit_setting")
def warn_menu_entries(request, instance):
    from .models import NavigationSettings

    if not isinstance(instance, NavigationSettings):
        return
    collectivity = _collectivity_of(instance.site)
    labels = dict(PORTAL_LINK_CHOICES)
    for item in [*instance.header_items.all(), *instance.footer_items.all()]:
        if not item.portal_link:
            continue
        if portal_link_url(item.portal_link, collectivity):
            continue
        label = item.label or labels.get(item.portal_link, item.portal_link)
        if item.portal_link in PENDING_LINKS:
            reason = _("n’existe pas encore dans le portail")
        else:
            reason = _("mène à un module désactivé pour cette collectivité")
        messages.warning(
            request,
            _("L’entrée « %(label)s » du menu %(reason)s : elle n’est pas affichée aux familles.")
            % {"label": label, "reason": reason},
        )
