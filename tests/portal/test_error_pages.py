"""Error pages speak French, in the collectivity's frame, with a way back (issue #16, item 9)."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client, RequestFactory

import pytest

from portal import error_views
from tests.conftest import HOST_A, HOST_B

ROOT = Path(__file__).resolve().parents[2]


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_404_in_the_collectivity_frame(client_a, collectivity_a):
    response = client_a.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = _text(response)
    assert "Page introuvable" in html
    assert "Ville de Alpha" in html  # the collectivity's header and footer
    assert 'href="/"' in html and "Retour à l’accueil du portail" in html
    assert "Not Found" not in html


@pytest.mark.django_db
def test_403_for_an_agent_of_the_other_collectivity(collectivity_a, collectivity_b, editor_b):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(editor_b)
    response = client.get("/admin/")
    assert response.status_code == 403
    html = _text(response)
    assert "Accès refusé" in html
    assert "Forbidden" not in html
    assert "n’a pas accès à l’espace de gestion" in html
    assert "Se déconnecter et changer de compte" in html
    # Its own collectivity's back office still opens.
    own = Client(HTTP_HOST=HOST_B)
    own.force_login(editor_b)
    assert own.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_csrf_failure_is_explained_in_french(collectivity_a):
    client = Client(HTTP_HOST=HOST_A, enforce_csrf_checks=True)
    response = client.post("/compte/connexion/", {"login": "x@example.test", "password": "x"})
    assert response.status_code == 403
    html = _text(response)
    assert "Formulaire expiré" in html
    assert "Rien n’a été enregistré" in html
    assert "CSRF" not in html


@pytest.mark.django_db
def test_500_in_the_frame_and_plain_when_the_frame_fails(collectivity_a, monkeypatch):
    request = RequestFactory(HTTP_HOST=HOST_A).get("/")
    request.collectivity = collectivity_a
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = error_views.server_error(request)
    assert response.status_code == 500
    assert "Erreur du service" in _text(response)
    assert "Ville de Alpha" in _text(response)

    # The database (or anything the frame needs) is the failure: the plain page still answers.
    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("cms_pages.templatetags.cms_tags._items", broken)
    response = error_views.server_error(request)
    assert response.status_code == 500
    html = _text(response)
    assert "Erreur du service" in html and "Retour à l’accueil du portail" in html


@pytest.mark.django_db
def test_400_for_a_refused_host_is_plain_french(collectivity_a):
    response = Client(HTTP_HOST="pirate.example").get("/")
    assert response.status_code == 400
    html = _text(response)
    assert "Demande incorrecte" in html
    assert "Bad Request" not in html


@pytest.mark.django_db
def test_admin_login_labels_are_french(client_a):
    html = _text(client_a.get("/admin/login/"))
    assert "Mot de passe" in html
    assert ">Password<" not in html and "Remember" not in html


def test_the_demo_runs_without_debug_unless_asked():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.dev"
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    off = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True)
    assert off.stdout.decode().strip() == "False", off.stderr.decode()
    env["DEBUG"] = "true"
    on = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True)
    assert on.stdout.decode().strip() == "True", on.stderr.decode()


def test_settings_confirmations_agree_in_french():
    from django.urls import resolve

    from cms_pages.models import BrandingSettings, NavigationSettings
    from portal.models import Collectivity
    from portal.views import SettingsEditView, settings_edit

    assert resolve("/admin/settings/portal/collectivity/1/").func is settings_edit
    view = SettingsEditView()
    expected = {
        Collectivity: "Collectivité mise à jour.",
        NavigationSettings: "Menus mis à jour.",
        BrandingSettings: "Identité visuelle mise à jour.",
    }
    for model, message in expected.items():
        view.model = model
        assert view.get_success_message() == message


@pytest.mark.django_db
def test_the_collectivity_settings_form_saves_with_the_french_message(collectivity_a):
    import re

    from portal.models import User

    admin = User.objects.create_superuser(email="super@example.test", password="x-Portail-2026")
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(admin)
    url = f"/admin/settings/portal/collectivity/{collectivity_a.site_id}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    data = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = "on"
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for select in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select[1])
        data[select[0]] = chosen.group(1) if chosen else ""
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        data[name] = value.strip()
    response = client.post(url, data, follow=True)
    assert "Collectivité mise à jour." in response.content.decode()
