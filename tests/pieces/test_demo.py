"""The demo: the module on in both collectivities, parent1@beaulieu sees the five states."""

from django.core.management import call_command
from django.test import Client

import pytest

from portal.models import User

pytestmark = pytest.mark.django_db


def test_parent1_sees_all_five_states_and_the_demo_reloads():
    call_command("demo_load", quiet=True)
    call_command("demo_load", quiet=True)  # idempotent
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email="parent1@beaulieu.localhost"))
    page = client.get("/famille/pieces-justificatives/").content.decode()
    for state in ("A compléter", "En cours de validation", "Transmis", "Invalide", "Obsolète"):
        assert f"</span> {state}</span>" in page, state
    assert "envoyez celle de cette année" in page
    valfleuri = Client(HTTP_HOST="valfleuri.localhost")
    valfleuri.force_login(User.objects.get(email="parent1@valfleuri.localhost"))
    assert valfleuri.get("/famille/pieces-justificatives/").status_code == 200
