from django.core.management import call_command
from django.test import Client

from wagtail.models import Page

import pytest

from cms_pages.models import HelpGuidePage
from portal.models import Collectivity, Membership, User

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Collectivity.objects.count(),
        Page.objects.count(),
        HelpGuidePage.objects.live().count(),
        User.objects.count(),
        Membership.objects.count(),
    )


def test_demo_is_complete_and_idempotent():
    call_command("demo_load", quiet=True)
    first = _counts()
    call_command("demo_load", quiet=True)
    assert _counts() == first
    assert first[0] == 2
    for host, name in (("localhost", "Beaulieu"), ("valfleuri.localhost", "Val Fleuri")):
        client = Client(HTTP_HOST=host)
        home = client.get("/")
        assert home.status_code == 200 and name in home.content.decode()
        help_index = client.get("/aide/").content.decode()
        assert help_index.count('class="guide-list__item"') >= 7
    agent = User.objects.get(email="agent@beaulieu.localhost")
    assert agent.check_password("Portail-Demo-2026")
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    assert client.get("/admin/").status_code == 200
