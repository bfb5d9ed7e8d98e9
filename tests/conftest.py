"""Shared fixtures: two collectivities on two host names, and their people.

Collectivity A answers on ``localhost`` (so a live server's own URL reaches it), B on
``autre.localhost``. Tests that check isolation create B's rows too, so that data that *could*
leak exists before asserting it doesn't.
"""

import os

from django.core.cache import cache
from django.test import Client

import pytest
from django_scopes import scopes_disabled

from cms_pages.services import collectivity_site_create
from portal.models import Membership
from portal.services import membership_grant
from tests.portal.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HOST_A = "localhost"
HOST_B = "autre.localhost"


def make_collectivity(name: str, hostname: str, *, colour: str = "#1f4e8c", **config):
    home = {
        "title": "Accueil",
        "welcome_title": f"Bienvenue — {name}",
        "welcome_text": f"<p>Le portail des familles de {name}.</p>",
        "tiles": [
            {"title": "Mon espace citoyen", "text": "Votre compte.", "target": "account_space"},
            {"title": "Espace famille", "text": "Votre famille.", "target": "family_space"},
            {"title": "Espace facturation", "text": "Vos factures.", "target": "billing_space"},
            {"title": "Aide", "text": "Les guides.", "target": "help"},
        ],
    }
    return collectivity_site_create(
        name=name, hostname=hostname, home=home, primary_colour=colour, **config
    )


@pytest.fixture(autouse=True)
def _tenant_scopes_disabled():
    """Tests build rows of several collectivities and read them back: scoping is disabled
    for the test's own code, explicitly (pretix's way). Requests through the test client or
    the live server still run inside their host's scope (the middleware opens it), and a test
    that opens ``scope()`` itself sees unscoped queries refused."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles (portal.throttle, allauth's rate limits) and used CAPTCHA challenges live in
    the cache, and every test client comes from the same address: start each test empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def collectivity_a(db):
    return make_collectivity("Ville de Alpha", HOST_A, colour="#1f4e8c")


@pytest.fixture
def collectivity_b(db):
    return make_collectivity("Ville de Bêta", HOST_B, colour="#0b6e4f")


@pytest.fixture
def client_a(collectivity_a):
    return Client(HTTP_HOST=HOST_A)


@pytest.fixture
def client_b(collectivity_b):
    return Client(HTTP_HOST=HOST_B)


@pytest.fixture
def agent_a(collectivity_a):
    user = UserFactory(email="agent.a@example.test")
    membership_grant(user=user, collectivity=collectivity_a, role=Membership.Role.AGENT)
    return user


@pytest.fixture
def agent_b(collectivity_b):
    """An agent of the other collectivity (the forbidden side of the isolation tests)."""
    user = UserFactory(email="agent.b@example.test")
    membership_grant(user=user, collectivity=collectivity_b, role=Membership.Role.AGENT)
    return user


@pytest.fixture
def editor_a(collectivity_a):
    user = UserFactory(email="editeur.a@example.test")
    membership_grant(user=user, collectivity=collectivity_a, role=Membership.Role.EDITOR)
    return user


@pytest.fixture
def editor_b(collectivity_b):
    user = UserFactory(email="editeur.b@example.test")
    membership_grant(user=user, collectivity=collectivity_b, role=Membership.Role.EDITOR)
    return user


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)
