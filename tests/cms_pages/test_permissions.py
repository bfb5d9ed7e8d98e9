"""Editors of one collectivity edit only their own tree and settings."""

import pytest

from cms_pages.models import BrandingSettings, HomePage

pytestmark = pytest.mark.django_db


def _home(collectivity):
    return HomePage.objects.get(pk=collectivity.site.root_page_id)


def test_editor_edits_own_home_page(client_a, editor_a, collectivity_a):
    client_a.force_login(editor_a)
    response = client_a.get(f"/admin/pages/{_home(collectivity_a).pk}/edit/")
    assert response.status_code == 200


def test_editor_cannot_open_or_edit_other_collectivity_pages(
    client_a, editor_a, collectivity_a, collectivity_b
):
    other = _home(collectivity_b)
    client_a.force_login(editor_a)
    response = client_a.get(f"/admin/pages/{other.pk}/edit/")
    assert response.status_code in (302, 403)
    assert other.welcome_title not in response.content.decode()
    response = client_a.post(
        f"/admin/pages/{other.pk}/edit/",
        {"title": "Piraté", "slug": other.slug, "welcome_title": "Piraté", "action-publish": "1"},
    )
    assert response.status_code in (302, 403)
    other.refresh_from_db()
    assert other.title == "Accueil"


def test_editor_sees_only_own_tree_in_explorer(client_a, editor_a, collectivity_a, collectivity_b):
    client_a.force_login(editor_a)
    response = client_a.get(f"/admin/pages/{_home(collectivity_b).pk}/")
    assert response.status_code in (302, 403, 404)


@pytest.mark.parametrize(
    "setting", ["portal/collectivity", "cms_pages/navigationsettings", "cms_pages/brandingsettings"]
)
def test_editor_settings_are_per_site(client_a, editor_a, collectivity_a, collectivity_b, setting):
    client_a.force_login(editor_a)
    assert client_a.get(f"/admin/settings/{setting}/{collectivity_a.site_id}/").status_code == 200
    denied = client_a.get(f"/admin/settings/{setting}/{collectivity_b.site_id}/")
    assert denied.status_code in (302, 403)
    assert collectivity_b.name not in denied.content.decode()


def test_editor_cannot_save_other_site_branding(client_a, editor_a, collectivity_a, collectivity_b):
    client_a.force_login(editor_a)
    client_a.post(
        f"/admin/settings/cms_pages/brandingsettings/{collectivity_b.site_id}/",
        {"primary_colour": "#000000", "tagline": "Piraté"},
    )
    assert BrandingSettings.for_site(collectivity_b.site).tagline != "Piraté"


def test_member_of_a_cannot_use_back_office_on_b_host(client_b, editor_a, collectivity_b):
    client_b.force_login(editor_a)
    assert client_b.get("/admin/").status_code == 403


def test_editor_saves_branding_with_contrast_check(client_a, editor_a, collectivity_a):
    client_a.force_login(editor_a)
    url = f"/admin/settings/cms_pages/brandingsettings/{collectivity_a.site_id}/"
    response = client_a.post(url, {"primary_colour": "#ffcc00", "tagline": "Jaune"})
    assert response.status_code == 200
    assert "Contraste insuffisant" in response.content.decode()
    assert BrandingSettings.for_site(collectivity_a.site).primary_colour == "#1f4e8c"
    response = client_a.post(url, {"primary_colour": "#6b2d5c", "tagline": "Prune"})
    assert response.status_code == 302
    assert BrandingSettings.for_site(collectivity_a.site).primary_colour == "#6b2d5c"
