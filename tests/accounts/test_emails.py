"""allauth's e-mails in the shared layout: a text and an HTML part, the collectivity of the
request (name, sender, subject prefixed once), the main link as the layout's button, absolute
on the request's host."""

from django.core import mail
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from tests.portal.factories import UserFactory

from .conftest import signup_data

pytestmark = pytest.mark.django_db


def _html(message) -> str:
    (html, mimetype), *_rest = message.alternatives
    assert mimetype == "text/html"
    return html


def _reset(client, email, capture):
    with capture(execute=True):
        client.post(reverse("account_reset_password"), {"email": email})
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_password_reset_has_an_html_part_with_the_link_as_button(
    client_a, django_capture_on_commit_callbacks
):
    user = UserFactory(email="parent@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    message = _reset(client_a, user.email, django_capture_on_commit_callbacks)
    html = _html(message)
    assert 'href="http://localhost/compte/mot-de-passe-oublie/cle/' in html
    assert "Choisir un nouveau mot de passe</a>" in html
    assert "Ville de Alpha" in html and "message automatique" in html
    assert "message automatique" in message.body


def test_unknown_address_gets_a_sign_up_link_in_the_layout(
    client_a, django_capture_on_commit_callbacks
):
    message = _reset(client_a, "inconnue@example.test", django_capture_on_commit_callbacks)
    assert message.subject == "[Ville de Alpha] Aucun compte avec cette adresse"
    assert "Créer un compte : http://localhost/compte/inscription/" in message.body
    assert 'href="http://localhost/compte/inscription/"' in _html(message)


def test_account_already_exists_offers_the_log_in_page(
    client_a, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="claire.durand@example.test")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/compte/inscription/", signup_data())
    (message,) = mail.outbox
    html = _html(message)
    assert 'href="http://localhost/compte/connexion/"' in html and "Me connecter</a>" in html
    assert 'href="http://localhost/compte/mot-de-passe-oublie/"' in html


def test_each_collectivity_signs_its_own_emails_on_its_own_host(
    client_b, collectivity_b, django_capture_on_commit_callbacks
):
    message = _reset(client_b, "inconnue@example.test", django_capture_on_commit_callbacks)
    assert message.subject == "[Ville de Bêta] Aucun compte avec cette adresse"
    assert message.from_email == collectivity_b.from_email
    assert "http://autre.localhost/compte/inscription/" in message.body
    assert "Ville de Alpha" not in message.body + _html(message)
