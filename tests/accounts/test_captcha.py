"""The self-hosted CAPTCHA of « Créer un compte » (ALTCHA, with a question as fallback)."""

import base64
import html
import json
import re

from django.contrib.auth import get_user_model
from django.core import mail

import altcha
import pytest

from portal.captcha import NUMBERS

from .conftest import signup_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captcha_on")]
User = get_user_model()
SIGNUP = "/compte/inscription/"


@pytest.fixture
def captcha_on(settings):
    settings.PORTAL_CAPTCHA_ENABLED = True


def _page(client):
    return client.get(SIGNUP).content.decode()


def _challenge(page: str) -> altcha.Challenge:
    raw = re.search(r'<altcha-widget[^>]* challenge="([^"]+)"', page).group(1)
    return altcha.Challenge.from_dict(json.loads(html.unescape(raw)))


def _solved_payload(page: str) -> str:
    challenge = _challenge(page)
    solution = altcha.solve_challenge(challenge, timeout=60)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def _question(page: str) -> tuple[str, int]:
    token = re.search(r'name="captcha_token" value="([^"]+)"', page).group(1)
    words = re.search(r"Combien font (\S+) plus (\S+) \?", html.unescape(page)).groups()
    return token, NUMBERS.index(words[0]) + NUMBERS.index(words[1])


def _created():
    return User.objects.filter(email="claire.durand@example.test").exists()


def test_the_page_offers_the_widget_and_the_question(client_a):
    page = _page(client_a)
    assert "<altcha-widget" in page
    assert "/static/vendor/altcha/altcha.min.js" in page
    assert "Vérification anti-robot" in page
    assert "Combien font" in page
    challenge = _challenge(page)
    assert challenge.signature and challenge.parameters.expires_at


def test_missing_solution_refused_in_french(client_a):
    response = client_a.post(SIGNUP, signup_data())
    assert response.status_code == 200
    assert "Merci de compléter la vérification anti-robot" in response.content.decode()
    assert not _created()
    assert not mail.outbox


def test_invalid_solution_refused(client_a):
    page = _page(client_a)
    challenge = _challenge(page)
    forged = altcha.Solution(counter=1, derived_key="00" * 32)
    payload = altcha.Payload(challenge, forged).to_base64()
    for bad in (payload, "pas-du-base64", base64.b64encode(b'{"a": 1}').decode()):
        response = client_a.post(SIGNUP, signup_data(altcha=bad))
        assert "La vérification anti-robot a échoué ou a expiré" in response.content.decode()
    assert not _created()


def test_solution_to_a_challenge_signed_elsewhere_refused(client_a):
    challenge = altcha.create_challenge(
        "PBKDF2/SHA-256", 10, counter=5, hmac_secret="pas-notre-cle", hmac_key_secret="x"
    )
    solution = altcha.solve_challenge(challenge)
    payload = altcha.Payload(challenge, solution).to_base64()
    response = client_a.post(SIGNUP, signup_data(altcha=payload))
    assert "La vérification anti-robot a échoué ou a expiré" in response.content.decode()
    assert not _created()


def test_valid_solution_passes_once(client_a, django_capture_on_commit_callbacks):
    payload = _solved_payload(_page(client_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(SIGNUP, signup_data(altcha=payload))
    assert response.status_code == 302
    assert _created()
    # Replayed for another account: refused.
    response = client_a.post(
        SIGNUP, signup_data(altcha=payload, email="autre.personne@example.test")
    )
    assert "La vérification anti-robot a échoué ou a expiré" in response.content.decode()
    assert not User.objects.filter(email="autre.personne@example.test").exists()


def test_fallback_question_without_javascript(client_a, django_capture_on_commit_callbacks):
    token, answer = _question(_page(client_a))
    response = client_a.post(
        SIGNUP, signup_data(captcha_token=token, captcha_answer=str(answer + 1))
    )
    assert "La réponse à la question anti-robot est incorrecte" in response.content.decode()
    assert not _created()
    # The token of a wrong answer is spent: the right answer with it is refused too.
    response = client_a.post(SIGNUP, signup_data(captcha_token=token, captcha_answer=str(answer)))
    assert "La réponse à la question anti-robot est incorrecte" in response.content.decode()
    assert not _created()

    token, answer = _question(response.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            SIGNUP, signup_data(captcha_token=token, captcha_answer=f" {answer} ")
        )
    assert response.status_code == 302
    assert _created()


def test_code_not_looked_up_when_the_captcha_fails(client_a):
    from family.models import CodeAttempt

    client_a.post(SIGNUP, signup_data(subscriber_code="XXXXYYYYZZZZ"))
    assert not CodeAttempt.objects.exists()


def test_widget_script_is_served_from_node_modules(client_a):
    response = client_a.get("/static/vendor/altcha/altcha.min.js")
    assert response.status_code == 200
