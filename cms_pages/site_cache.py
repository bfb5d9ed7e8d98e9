"""The collectivity's branding and menus, read from the deployment's cache on every page.

Every page of a site draws its header and footer: the branding setting (colour, tagline,
logo rendition) and both menus (the setting, its entries, the pages they link to, the
modules the collectivity switched on) were four to six queries a page. They are kept per
site, as plain values, and dropped when an editor saves what they are made of: the
settings, a menu entry, a page (published, unpublished, moved, renamed, deleted), an image,
or the collectivity's configuration (its modules decide which portal links show). The
entry is dropped at once and again after the commit, so that a page read between the two
cannot keep the old values.

What depends on the request is not stored: which menu entry is the current page.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

MAX_AGE = 24 * 3600  # a safety net: every editor's save drops the entry
FORMAT = 2  # 2: the branding entry also holds the e-mails' logo URL and text


def _key(kind: str, site_id, language: str | None = None) -> str:
    return f"cms:{kind}:{FORMAT}:{site_id}:{language or ''}"


def _languages() -> list[str]:
    from django.conf import settings

    return [code for code, _name in settings.LANGUAGES] or [settings.LANGUAGE_CODE]


def site_forget(site_id) -> None:
    """Drop the site's cached branding and menus, now and after the current commit."""
    if site_id is None:
        return
    keys = [_key("branding", site_id)] + [_key("menus", site_id, lang) for lang in _languages()]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def all_sites_forget() -> None:
    from wagtail.models import Site

    for site_id in Site.objects.values_list("pk", flat=True):
        site_forget(site_id)


def branding(site) -> dict:
    """The site's branding as the page frame prints it: colour, dark colour, tagline and the
    logo's ``<img>`` (already rendered); and, for its e-mails, the logo's URL (as the storage
    gives it: a path or an absolute URL) and text."""
    key = _key("branding", site.pk)
    found = cache.get(key)
    if found is not None:
        return found
    from .models import BrandingSettings

    row = BrandingSettings.for_site(site)
    logo_html = logo_url = ""
    if row.logo_id:
        rendition = row.logo.get_rendition("height-64")
        logo_html = rendition.img_tag({"alt": "", "class": "site-brand__logo"})
        logo_url = rendition.url
    found = {
        "primary_colour": row.primary_colour,
        "primary_colour_dark": row.primary_colour_dark,
        "tagline": row.tagline,
        "logo_html": str(logo_html),
        "logo_url": logo_url,
        "logo_alt": row.logo_alt,
    }
    cache.set(key, found, MAX_AGE)
    return found


def menus(request, collectivity) -> dict[str, list[tuple[str, str]]]:
    """(label, url) of the site's header and footer entries that lead somewhere here."""
    site = request._wagtail_site if hasattr(request, "_wagtail_site") else None
    if site is None:
        from wagtail.models import Site

        site = Site.find_for_request(request)
    key = _key("menus", site.pk, get_language())
    found = cache.get(key)
    if found is not None:
        return found
    from .models import NavigationSettings

    navigation = NavigationSettings.for_site(site)
    found = {}
    for relation in ("header_items", "footer_items"):
        entries = []
        for item in getattr(navigation, relation).select_related("link_page").all():
            resolved = item.resolve(collectivity, request)
            if resolved:
                entries.append(resolved)
        found[relation] = entries
    cache.set(key, found, MAX_AGE)
    return found


# --- what an editor saves -------------------------------------------------------------------


def _setting_saved(sender, instance, created=False, **kwargs):
    # A new row is the one ``for_site`` creates with its defaults on first reading (every
    # reading goes through it, so no entry was made of another row): nothing to drop.
    if not created:
        site_forget(instance.site_id)


def _item_saved(sender, instance, **kwargs):
    from .models import NavigationSettings

    site_id = (
        NavigationSettings.objects.filter(pk=instance.setting_id)
        .values_list("site_id", flat=True)
        .first()
    )
    site_forget(site_id)


def _page_changed(sender, instance=None, **kwargs):
    # A page's title, URL or « live » shows in the menus of its site; a move may change the
    # site; pages are few and saved by editors only.
    all_sites_forget()


def _any_saved(sender, instance, **kwargs):
    """Every page class (``post_save`` names the concrete class as its sender)."""
    from wagtail.models import Page

    if isinstance(instance, Page) and not kwargs.get("raw"):
        all_sites_forget()


def _image_saved(sender, instance, **kwargs):
    from .models import BrandingSettings

    for site_id in BrandingSettings.objects.filter(logo_id=instance.pk).values_list(
        "site_id", flat=True
    ):
        site_forget(site_id)


def _collectivity_saved(sender, instance, **kwargs):
    site_forget(instance.site_id)


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from wagtail.images import get_image_model
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from portal.models import Collectivity

    from .models import BrandingSettings, FooterMenuItem, HeaderMenuItem, NavigationSettings

    for model in (BrandingSettings, NavigationSettings):
        post_save.connect(_setting_saved, sender=model, dispatch_uid=f"site_cache_{model.__name__}")
        post_delete.connect(
            _setting_saved, sender=model, dispatch_uid=f"site_cache_del_{model.__name__}"
        )
    for model in (HeaderMenuItem, FooterMenuItem):
        post_save.connect(_item_saved, sender=model, dispatch_uid=f"site_cache_{model.__name__}")
        post_delete.connect(
            _item_saved, sender=model, dispatch_uid=f"site_cache_del_{model.__name__}"
        )
    page_published.connect(_page_changed, dispatch_uid="site_cache_page_published")
    page_unpublished.connect(_page_changed, dispatch_uid="site_cache_page_unpublished")
    post_page_move.connect(_page_changed, dispatch_uid="site_cache_page_moved")
    post_save.connect(_any_saved, dispatch_uid="site_cache_page_saved")
    post_delete.connect(_any_saved, dispatch_uid="site_cache_page_deleted")
    image = get_image_model()
    post_save.connect(_image_saved, sender=image, dispatch_uid="site_cache_image")
    post_delete.connect(_image_saved, sender=image, dispatch_uid="site_cache_del_image")
    post_save.connect(_collectivity_saved, sender=Collectivity, dispatch_uid="site_cache_coll")
