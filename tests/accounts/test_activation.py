"""Activation links: used once, expire after 3 days, can be sent again; other e-mails of the
account flows (password reset) go through the outbox too."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.urls import reverse
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress

from family.models import Subscription
from notifications.models import OutboxEmail
from tests.portal.factories import FamilyFactory, UserFactory

from .conftest import PASSWORD, activation_link, signup_data

pytestmark = pytest.mark.django_db
EMAIL = "claire.durand@example.test"
RESEND = "/compte/activation/renvoyer/"


@pytest.fixture
def signed_up(client_a, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/compte/inscription/", signup_data())
    return urlsplit(activation_link(mail.outbox[0])).path


def test_replayed_link_gives_a_clear_page_and_changes_nothing(client_a, signed_up):
    client_a.post(signed_up)
    address = EmailAddress.objects.get(email=EMAIL)
    assert address.verified

    for response in (client_a.get(signed_up), client_a.post(signed_up)):
        assert response.status_code == 200
        html = response.content.decode()
        assert "Lien d’activation expiré ou déjà utilisé" in html
        assert reverse("account_resend_activation") in html
        assert "Recevoir un nouveau lien" in html
    assert EmailAddress.objects.filter(email=EMAIL).count() == 1


def test_expired_link_gives_a_clear_page_and_activates_nothing(client_a, signed_up, time_machine):
    time_machine.shift(timedelta(days=3, minutes=1))
    for response in (client_a.get(signed_up), client_a.post(signed_up)):
        assert response.status_code == 200
        assert "Lien d’activation expiré ou déjà utilisé" in response.content.decode()
        assert "3 jours" in response.content.decode()
    assert not EmailAddress.objects.get(email=EMAIL).verified


def test_link_still_valid_just_before_expiry(client_a, signed_up, time_machine):
    time_machine.shift(timedelta(days=2, hours=23))
    client_a.post(signed_up)
    assert EmailAddress.objects.get(email=EMAIL).verified


def test_resend_sends_a_new_working_link(
    client_a, signed_up, time_machine, django_capture_on_commit_callbacks
):
    time_machine.shift(timedelta(days=4))  # the first link has expired
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(RESEND, {"email": EMAIL.upper()})
    assert response.status_code == 200
    assert "Si un compte non activé correspond à cette adresse" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Ville de Alpha] Confirmez votre adresse e-mail"
    new_link = urlsplit(activation_link(mail.outbox[0])).path
    client_a.post(new_link)
    assert EmailAddress.objects.get(email=EMAIL).verified


def test_resend_is_neutral_for_unknown_and_verified_addresses(
    client_a, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="deja.active@example.test")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    answers = []
    for email in ("inconnu@example.test", "deja.active@example.test"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_a.post(RESEND, {"email": email})
        # The page's CSP nonce differs on every response: it says nothing of the address.
        page = re.sub(r'nonce="[^"]+"', "", response.content.decode())
        answers.append(page.replace(email, ""))
    assert answers[0] == answers[1]
    assert "Si un compte non activé correspond à cette adresse" in answers[0]
    assert not mail.outbox
    assert not OutboxEmail.objects.exists()


def test_resend_is_rate_limited(client_a, signed_up, django_capture_on_commit_callbacks):
    for _ in range(3):
        client_a.post(RESEND, {"email": EMAIL})
    response = client_a.post(RESEND, {"email": EMAIL})
    assert response.status_code == 200
    assert "Trop de demandes d’envoi" in response.content.decode()


def test_resend_refuses_an_invalid_address(client_a):
    response = client_a.post(RESEND, {"email": "pas-une-adresse"})
    assert (
        "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
        in response.content.decode()
    )
    assert not OutboxEmail.objects.exists()


def test_code_given_at_signup_links_on_activation_only_once(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    family = FamilyFactory(
        collectivity=collectivity_a, name="Moreau", subscriber_code="MRCW4HKPTX9E"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/compte/inscription/", signup_data(subscriber_code="MRCW4HKPTX9E"))
    path = urlsplit(activation_link(mail.outbox[0])).path
    client_a.post(path)
    client_a.post(path)  # replayed: nothing more
    assert Subscription.objects.filter(family=family).count() == 1
    client_a.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert "Moreau" in client_a.get("/famille/").content.decode()


def test_password_reset_email_is_french_and_goes_through_the_outbox(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    user = UserFactory(email="parent@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("account_reset_password"), {"email": user.email})
    assert response["Location"] == reverse("account_reset_password_done")
    assert OutboxEmail.objects.filter(to=[user.email]).count() == 1
    message = mail.outbox[0]
    assert message.subject == "[Ville de Alpha] Choisir un nouveau mot de passe"
    assert message.from_email.startswith("Ville de Alpha <")
    assert "http://localhost/compte/mot-de-passe-oublie/cle/" in message.body


def test_pages_of_the_flows_answer_in_french(client_a):
    for name, text in (
        ("account_login", "Se connecter"),
        ("account_reset_password", "Mot de passe oublié"),
        ("account_resend_activation", "Renvoyer le lien d’activation"),
        ("account_email_verification_sent", "Activez votre compte"),
    ):
        response = client_a.get(reverse(name))
        assert response.status_code == 200
        assert text in response.content.decode()


def test_account_pages_need_log_in_and_show_in_french(client_a):
    assert client_a.get(reverse("account_email"))["Location"].startswith("/compte/connexion/")
    user = UserFactory(email="parent@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client_a.force_login(user)
    assert "Mon adresse e-mail" in client_a.get(reverse("account_email")).content.decode()
    html = client_a.get(reverse("account_change_password")).content.decode()
    assert "Changer mon mot de passe" in html
    assert (
        "Voulez-vous vraiment vous déconnecter"
        in client_a.get(reverse("account_logout")).content.decode()
    )
