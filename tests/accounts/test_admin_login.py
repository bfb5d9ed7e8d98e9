"""The back office log-in is throttled: 5 failures per address and e-mail in 15 minutes."""

from datetime import timedelta

from django.utils import timezone

import pytest

pytestmark = pytest.mark.django_db
ADMIN_LOGIN = "/admin/login/"
GOOD = "Un-mot-de-passe-solide-2026"


def _login(client, email, password):
    return client.post(ADMIN_LOGIN, {"username": email, "password": password})


def test_sixth_failed_admin_login_refused_even_with_the_right_password(
    client_a, agent_a, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(5):
        response = _login(client_a, agent_a.email, "mauvais-mot-de-passe")
        assert response.status_code == 200  # the log-in form again, with its error
    response = _login(client_a, agent_a.email, GOOD)
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert "_auth_user_id" not in client_a.session

    time_machine.shift(timedelta(minutes=16))
    response = _login(client_a, agent_a.email, GOOD)
    assert response.status_code == 302
    assert client_a.session["_auth_user_id"] == str(agent_a.pk)


def test_a_success_resets_the_count(client_a, agent_a):
    for _ in range(4):
        _login(client_a, agent_a.email, "mauvais-mot-de-passe")
    assert _login(client_a, agent_a.email, GOOD).status_code == 302
    client_a.logout()
    for _ in range(4):
        _login(client_a, agent_a.email, "mauvais-mot-de-passe")
    assert _login(client_a, agent_a.email, GOOD).status_code == 302


def test_the_address_is_throttled_across_e_mails(client_a, agent_a):
    for n in range(5):
        _login(client_a, f"inconnu{n}@example.test", "mauvais-mot-de-passe")
    response = _login(client_a, agent_a.email, GOOD)
    assert response.status_code == 429


def test_admin_login_page_still_shows(client_a):
    response = client_a.get(ADMIN_LOGIN)
    assert response.status_code == 200
