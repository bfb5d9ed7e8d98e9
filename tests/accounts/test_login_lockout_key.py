"""Issue #11, item 2: allauth's failed-log-in key included the request's raw domain. After 5
failures on ``valfleuri.localhost:8300``, the same account logged in from another address
through ``…:9999``, ``VALFLEURI.LOCALHOST`` or ``valfleuri.localhost.`` (15 guesses a minute).
The key is now the normalised e-mail and the collectivity."""

from django.test import Client

import pytest

pytestmark = pytest.mark.django_db
LOGIN = "/compte/connexion/"
GOOD = "Un-mot-de-passe-solide-2026"


def _post(host: str, address: str, email: str, password: str) -> Client:
    client = Client(HTTP_HOST=host, REMOTE_ADDR=address)
    client.post(LOGIN, {"login": email, "password": password})
    return client


@pytest.mark.parametrize(
    "other_host", ["localhost:9999", "LOCALHOST", "localhost.", "Localhost.:8300"]
)
def test_the_lock_out_holds_whatever_the_host_spelling(collectivity_a, agent_a, other_host):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=agent_a, email=agent_a.email, defaults={"verified": True, "primary": True}
    )
    for attempt in range(5):
        _post("localhost:8300", f"10.0.0.{attempt + 1}", agent_a.email, "mauvais")
    client = _post(other_host, "10.0.1.1", agent_a.email.upper(), GOOD)
    assert "_auth_user_id" not in client.session


def test_the_right_password_still_works_before_the_limit(collectivity_a, agent_a):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=agent_a, email=agent_a.email, defaults={"verified": True, "primary": True}
    )
    for attempt in range(4):
        _post("localhost", f"10.0.0.{attempt + 1}", agent_a.email, "mauvais")
    client = _post("LOCALHOST", "10.0.1.1", agent_a.email, GOOD)
    assert "_auth_user_id" in client.session
