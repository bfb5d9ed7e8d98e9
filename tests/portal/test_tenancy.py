from django.test import Client

import pytest

from portal.tenancy import collectivity_for_host

pytestmark = pytest.mark.django_db


def test_host_name_selects_the_collectivity(collectivity_a, collectivity_b):
    assert collectivity_for_host("localhost") == collectivity_a
    assert collectivity_for_host("autre.localhost:8000") == collectivity_b
    assert collectivity_for_host("AUTRE.localhost") == collectivity_b


def test_each_host_serves_its_own_home_page(client_a, client_b):
    page_a = client_a.get("/").content.decode()
    page_b = client_b.get("/").content.decode()
    assert "Bienvenue — Ville de Alpha" in page_a
    assert "Ville de Bêta" not in page_a
    assert "Bienvenue — Ville de Bêta" in page_b
    assert "Ville de Alpha" not in page_b
    assert "--brand: #1f4e8c" in page_a
    assert "--brand: #0b6e4f" in page_b


def test_unknown_host_is_a_404_not_the_default_site(collectivity_a):
    response = Client(HTTP_HOST="inconnu.localhost").get("/")
    assert response.status_code == 404
    assert "Ville de Alpha" not in response.content.decode()


def test_unknown_host_is_a_404_for_every_path(collectivity_a):
    client = Client(HTTP_HOST="inconnu.localhost")
    for path in ("/compte/login/", "/admin/", "/mon-espace/", "/aide/"):
        assert client.get(path).status_code == 404, path


def test_health_check_answers_on_any_host(db):
    response = Client(HTTP_HOST="127.0.0.1").get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_request_carries_its_collectivity_and_wagtail_site(client_a, collectivity_a):
    response = client_a.get("/")
    assert response.wsgi_request.collectivity == collectivity_a
    assert response.wsgi_request._wagtail_site == collectivity_a.site
