"""« Créer un compte »: the account, its activation e-mail and every refusal."""

from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from family.models import CodeAttempt, PendingSignupCode, Subscription
from notifications.models import OutboxEmail
from tests.portal.factories import FamilyFactory, UserFactory

from .conftest import PASSWORD, activation_link, signup_data

pytestmark = pytest.mark.django_db
User = get_user_model()
SIGNUP = "/compte/inscription/"


def _signup(client, django_capture_on_commit_callbacks, **overrides):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(SIGNUP, signup_data(**overrides))


def test_french_urls_keep_allauth_names():
    assert reverse("account_signup") == "/compte/inscription/"
    assert reverse("account_login") == "/compte/connexion/"
    assert reverse("account_logout") == "/compte/deconnexion/"
    assert reverse("account_reset_password") == "/compte/mot-de-passe-oublie/"
    assert reverse("account_email") == "/compte/adresse-email/"
    assert reverse("account_change_password") == "/compte/mot-de-passe/"
    assert reverse("account_confirm_email", args=["abc:def"]) == "/compte/confirmer/abc:def/"
    assert reverse("account_email_verification_sent") == "/compte/activation/envoyee/"
    assert reverse("account_resend_activation") == "/compte/activation/renvoyer/"


def test_signup_page_in_french_with_terms_link(client_a):
    html = client_a.get(SIGNUP).content.decode()
    for label in (
        "Civilité",
        "Madame",
        "Monsieur",
        "Nom",
        "Prénom",
        "Adresse e-mail",
        "Mot de passe",
        "Confirmation du mot de passe",
        "Code abonné famille",
        "conditions générales d’utilisation",
        "S’inscrire",
    ):
        assert label in html, label


def test_signup_creates_unverified_account_and_queues_french_activation_email(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    collectivity_a.sender_email = "portail@alpha.example"
    collectivity_a.save()
    response = _signup(client_a, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="claire.durand@example.test")
    assert (user.civility, user.first_name, user.last_name) == ("mme", "Claire", "Durand")
    assert user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert address.verified is False

    assert OutboxEmail.objects.count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["claire.durand@example.test"]
    assert message.from_email == "Ville de Alpha <portail@alpha.example>"
    assert message.subject == "[Ville de Alpha] Activez votre compte"
    assert "Ville de Alpha" in message.body
    assert "valable 3 jours" in message.body
    link = activation_link(message)
    assert urlsplit(link).hostname == "localhost"
    assert message.alternatives and link in message.alternatives[0][0]

    page = client_a.get(response["Location"]).content.decode()
    assert "Activez votre compte" in page


def test_activation_link_activates_then_login_lands_on_account_space(
    client_a, django_capture_on_commit_callbacks
):
    _signup(client_a, django_capture_on_commit_callbacks)
    link = activation_link(mail.outbox[0])
    path = urlsplit(link).path

    page = client_a.get(path)
    assert page.status_code == 200
    assert "Confirmer mon adresse e-mail" in page.content.decode()
    # Opening the link alone (a mail scanner) activates nothing.
    assert not EmailAddress.objects.get(email="claire.durand@example.test").verified

    response = client_a.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="claire.durand@example.test").verified

    response = client_a.post(
        reverse("account_login"),
        {"login": "claire.durand@example.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:account_space")
    assert "Mon espace citoyen" in client_a.get(response["Location"]).content.decode()


def test_login_refused_before_activation(client_a, django_capture_on_commit_callbacks):
    _signup(client_a, django_capture_on_commit_callbacks)
    client_a.logout()
    response = client_a.post(
        reverse("account_login"),
        {"login": "claire.durand@example.test", "password": PASSWORD},
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client_a.session


def test_email_already_used_reveals_nothing_and_creates_nothing(
    client_a, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="claire.durand@example.test")
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)
    before = User.objects.count()

    response = _signup(client_a, django_capture_on_commit_callbacks)

    assert response.status_code == 302  # exactly what a new account gets
    assert response["Location"] == reverse("account_email_verification_sent")
    assert User.objects.count() == before
    owner.refresh_from_db()
    assert owner.first_name != "Claire" or owner.last_name != "Durand"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["claire.durand@example.test"]
    assert message.subject == "[Ville de Alpha] Vous avez déjà un compte"
    assert "aucun nouveau compte n’a été créé" in message.body
    assert "/compte/mot-de-passe-oublie/" in message.body
    assert OutboxEmail.objects.count() == 1


def _assert_refused(response, message):
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="claire.durand@example.test").exists()
    assert not mail.outbox
    assert not PendingSignupCode.objects.exists()


def test_weak_password_refused(client_a, django_capture_on_commit_callbacks):
    response = _signup(
        client_a, django_capture_on_commit_callbacks, password1="12345678", password2="12345678"
    )
    _assert_refused(response, "Ce mot de passe est trop court")


def test_different_passwords_refused(client_a, django_capture_on_commit_callbacks):
    response = _signup(client_a, django_capture_on_commit_callbacks, password2="Autre-Chose-2026")
    _assert_refused(response, "Vous devez saisir deux fois le même mot de passe.")


def test_terms_not_accepted_refused(client_a, django_capture_on_commit_callbacks):
    data = signup_data()
    del data["accept_terms"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(SIGNUP, data)
    _assert_refused(response, "Vous devez accepter les conditions générales d’utilisation.")


def test_missing_civility_and_names_refused(client_a, django_capture_on_commit_callbacks):
    response = _signup(
        client_a, django_capture_on_commit_callbacks, civility="", last_name="", first_name=""
    )
    _assert_refused(response, "Choisissez votre civilité.")
    assert "Indiquez votre nom." in response.content.decode()
    assert "Indiquez votre prénom." in response.content.decode()


def test_wrong_code_refused_and_logged(client_a, django_capture_on_commit_callbacks):
    response = _signup(client_a, django_capture_on_commit_callbacks, subscriber_code="XXXXYYYYZZZZ")
    _assert_refused(response, "Ce code abonné n’est pas reconnu.")
    assert CodeAttempt.objects.filter(success=False).count() == 1


def test_code_of_another_collectivity_is_not_recognised(
    client_a, collectivity_b, django_capture_on_commit_callbacks
):
    family_b = FamilyFactory(collectivity=collectivity_b, subscriber_code="MRCW4HKPTX9E")
    response = _signup(client_a, django_capture_on_commit_callbacks, subscriber_code="MRCW4HKPTX9E")
    _assert_refused(response, "Ce code abonné n’est pas reconnu.")
    assert not Subscription.objects.filter(family=family_b).exists()


def test_sixth_failed_code_lookup_refused(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    family = FamilyFactory(collectivity=collectivity_a, subscriber_code="DEMQ3AKTW7HA")
    for _ in range(5):
        response = _signup(
            client_a, django_capture_on_commit_callbacks, subscriber_code="XXXXYYYYZZZZ"
        )
        assert "Ce code abonné n’est pas reconnu." in response.content.decode()
    # Even the right code is refused now: the address is throttled.
    response = _signup(client_a, django_capture_on_commit_callbacks, subscriber_code="DEMQ3AKTW7HA")
    _assert_refused(response, "Trop de tentatives infructueuses.")
    assert not Subscription.objects.filter(family=family).exists()


def test_valid_code_links_the_family_right_after_activation(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    family = FamilyFactory(
        collectivity=collectivity_a, name="Moreau", subscriber_code="MRCW4HKPTX9E"
    )
    _signup(client_a, django_capture_on_commit_callbacks, subscriber_code="mrcw-4hkp-tx9e")
    user = User.objects.get(email="claire.durand@example.test")
    assert PendingSignupCode.objects.filter(user=user, family=family).exists()
    assert not Subscription.objects.filter(user=user).exists()  # not before activation

    client_a.post(urlsplit(activation_link(mail.outbox[0])).path)

    assert Subscription.objects.filter(user=user, family=family).exists()
    assert not PendingSignupCode.objects.filter(user=user).exists()


# --- Hostile names (issue #11, item 7)

RLO = "\u202e"


def test_name_with_a_bidi_override_refused(client_a, django_capture_on_commit_callbacks):
    """« Claire\u202eeniloraC »: a right-to-left override makes the name read otherwise."""
    response = _signup(
        client_a, django_capture_on_commit_callbacks, first_name=f"Claire{RLO}eniloraC"
    )
    _assert_refused(response, "inversent le sens d’écriture")


def test_name_made_only_of_invisible_characters_refused(
    client_a, django_capture_on_commit_callbacks
):
    response = _signup(
        client_a, django_capture_on_commit_callbacks, last_name="\u200b\u200b\u3164\u2060"
    )
    _assert_refused(response, "caractères invisibles")
