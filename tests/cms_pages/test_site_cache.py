"""The branding and menus of every page come from the cache (cms_pages.site_cache), and an
editor's save shows on the next page at once."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.images.models import Image
from wagtail.images.tests.utils import get_test_image_file

import pytest

from cms_pages.models import BrandingSettings, HomePage
from cms_pages.services import navigation_set, standard_page_publish

pytestmark = pytest.mark.django_db


def home(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries]


BODY = [{"type": "paragraph", "value": "<p>Les tarifs.</p>"}]


def _home(collectivity):
    return HomePage.objects.get(pk=collectivity.site.root_page_id)


def _reads(sql, table) -> bool:
    return any(f'FROM "{table}"' in query for query in sql)


def test_the_second_page_reads_neither_branding_nor_menus(client_a, collectivity_a):
    first, sql = home(client_a)
    assert _reads(sql, "cms_pages_brandingsettings")
    second, sql = home(client_a)
    assert not _reads(sql, "cms_pages_brandingsettings")
    assert not _reads(sql, "cms_pages_navigationsettings")
    assert not _reads(sql, "cms_pages_headermenuitem")
    nonce = re.compile(r'nonce="[^"]+"')
    assert nonce.sub("", first) == nonce.sub("", second)


def test_an_editors_branding_shows_at_once(client_a, editor_a, collectivity_a):
    home(client_a)
    client_a.force_login(editor_a)
    url = f"/admin/settings/cms_pages/brandingsettings/{collectivity_a.site_id}/"
    response = client_a.post(url, {"primary_colour": "#6b2d5c", "tagline": "Prune et Cie"})
    assert response.status_code == 302
    client_a.logout()
    page, _sql = home(client_a)
    assert "--brand: #6b2d5c" in page
    assert "Prune et Cie" in page


def test_a_new_logo_shows_at_once(client_a, collectivity_a):
    home(client_a)
    branding = BrandingSettings.for_site(collectivity_a.site)
    branding.logo = Image.objects.create(title="Logo", file=get_test_image_file())
    branding.save()
    page, _sql = home(client_a)
    assert 'class="site-brand__logo"' in page


def test_an_editors_menu_shows_at_once(client_a, collectivity_a):
    page = standard_page_publish(
        home=_home(collectivity_a), title="Tarifs", slug="tarifs", body=BODY
    )
    navigation_set(site=collectivity_a.site, header=[{"page": page}], footer=[])
    html, _sql = home(client_a)
    assert ">Tarifs</a>" in html
    navigation_set(
        site=collectivity_a.site,
        header=[{"label": "Nos tarifs", "page": page}],
        footer=[{"label": "Mairie", "external_url": "https://mairie.example.test/"}],
    )
    html, _sql = home(client_a)
    assert ">Nos tarifs</a>" in html
    assert "https://mairie.example.test/" in html


def test_a_page_renamed_or_unpublished_leaves_the_menu(client_a, collectivity_a):
    page = standard_page_publish(
        home=_home(collectivity_a), title="Tarifs", slug="tarifs", body=BODY
    )
    navigation_set(site=collectivity_a.site, header=[{"page": page}], footer=[])
    assert ">Tarifs</a>" in home(client_a)[0]
    page.title = "Tarifs 2027"
    page.save_revision().publish()
    assert ">Tarifs 2027</a>" in home(client_a)[0]
    page.unpublish()
    assert "Tarifs 2027" not in home(client_a)[0]


def test_a_module_switched_off_leaves_the_menu(client_a, collectivity_a):
    navigation_set(
        site=collectivity_a.site,
        header=[{"label": "Mes factures", "portal_link": "billing_space"}],
        footer=[],
    )
    assert ">Mes factures</a>" in home(client_a)[0]
    collectivity_a.module_billing = False
    collectivity_a.save()
    assert ">Mes factures</a>" not in home(client_a)[0]


def test_each_site_keeps_its_own(client_a, client_b, collectivity_a, collectivity_b):
    navigation_set(
        site=collectivity_a.site,
        header=[{"label": "Alpha", "external_url": "https://alpha.example.test/"}],
        footer=[],
    )
    navigation_set(
        site=collectivity_b.site,
        header=[{"label": "Bêta", "external_url": "https://beta.example.test/"}],
        footer=[],
    )
    assert "https://alpha.example.test/" in home(client_a)[0]
    page_b = home(client_b)[0]
    assert "https://beta.example.test/" in page_b
    assert "https://alpha.example.test/" not in page_b
    assert HomePage.objects.count() >= 2


def _email(collectivity):
    from notifications.emails import email_render

    with CaptureQueriesContext(connection) as queries:
        rendered = email_render(
            template="account/password_reset_key",
            context={"password_reset_url": "http://localhost/r/"},
            collectivity=collectivity,
            link="/mon-espace/",
        )
    return rendered, [q["sql"] for q in queries]


def test_emails_read_the_branding_once_and_show_an_editors_change_at_once(
    collectivity_a, collectivity_b
):
    first, sql = _email(collectivity_a)
    assert _reads(sql, "cms_pages_brandingsettings")
    again, sql = _email(collectivity_a)
    assert not _reads(sql, "cms_pages_brandingsettings")
    assert again.body_html == first.body_html
    branding = BrandingSettings.for_site(collectivity_a.site)
    branding.primary_colour = "#6b2d5c"
    branding.logo = Image.objects.create(title="Logo", file=get_test_image_file())
    branding.logo_alt = "Blason de la ville"
    branding.save()
    changed, _sql = _email(collectivity_a)
    assert "#6b2d5c" in changed.body_html
    assert 'alt="Blason de la ville"' in changed.body_html
    assert re.search(rf'<img src="{re.escape(collectivity_a.base_url)}/[^"]+"', changed.body_html)
    # Another collectivity's e-mails keep their own.
    other, _sql = _email(collectivity_b)
    assert "#6b2d5c" not in other.body_html
    assert "Blason de la ville" not in other.body_html
