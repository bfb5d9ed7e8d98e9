"""Issue #11, item 1: Wagtail's front-end log-in (``/_util/login/``, mounted with
``wagtail_urls``) was a second door with no throttle and no activation: it accepted 20 wrong
passwords then the right one from one address, logged in an account whose e-mail was never
confirmed, and let an agent into the back office. It now answers 404 whatever is posted."""

from django.conf import settings

import pytest
from allauth.account.models import EmailAddress

from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db
DOOR = "/_util/login/"
GOOD = "Un-mot-de-passe-solide-2026"


def test_wagtail_front_end_login_is_closed(client_a, agent_a):
    agent_a.set_password(GOOD)
    agent_a.save()
    for _ in range(20):
        assert (
            client_a.post(DOOR, {"username": agent_a.email, "password": "faux"}).status_code == 404
        )
    response = client_a.post(DOOR, {"username": agent_a.email, "password": GOOD})
    assert response.status_code == 404
    assert "_auth_user_id" not in client_a.session
    assert client_a.get("/admin/").status_code == 302  # still the log-in page of the back office
    assert client_a.get(DOOR).status_code == 404


def test_an_unconfirmed_account_cannot_log_in_there(client_a, collectivity_a):
    user = UserFactory(email="jamais.confirme@example.test")
    user.set_password(GOOD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = client_a.post(DOOR, {"username": user.email, "password": GOOD})
    assert response.status_code == 404
    assert "_auth_user_id" not in client_a.session
    assert client_a.get("/mon-espace/abonnements/").status_code == 302


def test_private_pages_send_visitors_to_allauths_log_in():
    assert settings.WAGTAIL_FRONTEND_LOGIN_URL == "/compte/connexion/"
