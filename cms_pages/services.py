"""Writes of the CMS: a collectivity's site with its page tree and settings."""

import json

from django.db import transaction

from wagtail.models import Page, Site

from portal.models import Collectivity
from portal.services import collectivity_create

from .models import (
    BrandingSettings,
    FooterMenuItem,
    HeaderMenuItem,
    HelpGuidePage,
    HelpIndexPage,
    HomePage,
    NavigationSettings,
    StandardPage,
)


@transaction.atomic
def collectivity_site_create(
    *,
    name: str,
    hostname: str,
    port: int = 80,
    home: dict,
    primary_colour: str = "#1f4e8c",
    tagline: str = "",
    **config,
) -> Collectivity:
    """A new collectivity: its home page under the tree root, its Site, its record, its
    groups, and default branding. ``home`` holds the home page's title, welcome texts and
    tiles (``[{"title", "text", "target"}]``)."""
    root = tree_roots_ensure()
    placeholder_site_remove(hostname=hostname, port=port)
    home_page = root.add_child(
        instance=HomePage(
            title=home["title"],
            slug=_free_root_slug(root, config.get("slug_hint") or hostname.split(".")[0]),
            welcome_title=home["welcome_title"],
            welcome_text=home["welcome_text"],
            tiles=json.dumps([{"type": "tile", "value": tile} for tile in home["tiles"]]),
        )
    )
    config.pop("slug_hint", None)
    site = Site.objects.create(
        hostname=hostname, port=port, root_page=home_page, site_name=name, is_default_site=False
    )
    collectivity = collectivity_create(site=site, name=name, **config)
    branding = BrandingSettings.for_site(site)
    branding.primary_colour = primary_colour
    branding.tagline = tagline
    branding.full_clean()
    branding.save()
    return collectivity


def tree_roots_ensure() -> Page:
    """Wagtail's root page, root collection and default locale (made by its migrations;
    recreated when a test run flushed the tables)."""
    from django.conf import settings

    from wagtail.models import Collection, Locale

    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", live=True))
    return root


def placeholder_site_remove(*, hostname: str | None = None, port: int | None = None) -> None:
    """Remove Wagtail's placeholder site ("Welcome to your new Wagtail site!"), which its
    migrations create on localhost:80, when it stands in the way of a collectivity."""
    sites = Site.objects.filter(collectivity__isnull=True)
    if hostname is not None:
        sites = sites.filter(hostname=hostname, port=port) | sites.filter(is_default_site=True)
    for site in sites:
        page = site.root_page
        site.delete()
        if page.specific_class is Page and not page.get_children().exists():
            page.delete()


def _free_root_slug(root: Page, base: str) -> str:
    slug, n = base, 1
    while root.get_children().filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def help_guide_publish(
    *, index: HelpIndexPage, title: str, slug: str, summary: str, body
) -> HelpGuidePage:
    """Create or update (by slug) a published help guide under ``index``."""
    guide = HelpGuidePage.objects.child_of(index).filter(slug=slug).first()
    raw = json.dumps(body)
    if guide is None:
        guide = index.add_child(
            instance=HelpGuidePage(title=title, slug=slug, summary=summary, body=raw)
        )
    else:
        guide.title, guide.summary, guide.body = title, summary, raw
    guide.save_revision().publish()
    return guide


@transaction.atomic
def standard_page_publish(*, home: HomePage, title: str, slug: str, body) -> StandardPage:
    page = StandardPage.objects.child_of(home).filter(slug=slug).first()
    raw = json.dumps(body)
    if page is None:
        page = home.add_child(instance=StandardPage(title=title, slug=slug, body=raw))
    else:
        page.title, page.body = title, raw
    page.save_revision().publish()
    return page


@transaction.atomic
def navigation_set(
    *, site: Site, header: list[dict], footer: list[dict], terms_page=None
) -> NavigationSettings:
    """Replace a site's menus. Each entry: ``{"label", "page" | "portal_link" | "external_url"}``."""
    navigation = NavigationSettings.for_site(site)
    navigation.terms_page = terms_page
    navigation.save()
    for model, entries in ((HeaderMenuItem, header), (FooterMenuItem, footer)):
        model.objects.filter(setting=navigation).delete()
        for order, entry in enumerate(entries):
            item = model(
                setting=navigation,
                sort_order=order,
                label=entry.get("label", ""),
                link_page=entry.get("page"),
                portal_link=entry.get("portal_link", ""),
                external_url=entry.get("external_url", ""),
            )
            item.full_clean(exclude=["setting"])
            item.save()
    return navigation


def branding_for_emails(collectivity):
    """The logo (absolute URL on the collectivity's host) and colour for e-mails (from the
    site's cached branding, the one the pages print: ``site_cache.branding``)."""
    from portal.branding import DEFAULT_COLOUR, Branding

    from .site_cache import branding

    found = branding(collectivity.site)
    logo_url = found["logo_url"]
    if logo_url.startswith("/"):
        logo_url = collectivity.base_url + logo_url
    return Branding(
        colour=found["primary_colour"] or DEFAULT_COLOUR,
        logo_url=logo_url,
        logo_alt=found["logo_alt"] or collectivity.name,
    )
