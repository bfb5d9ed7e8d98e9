"""allauth's adapter outside a request (a command, a task): the e-mail still goes through the
outbox, in the layout, with the deployment's name and sender."""

from django.conf import settings

import pytest
from allauth.account.adapter import get_adapter

from notifications.accounts import AccountAdapter
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db


def test_allauth_uses_the_notifications_adapter():
    assert isinstance(get_adapter(), AccountAdapter)


def test_without_a_request_the_email_is_queued_with_the_deployment_defaults():
    AccountAdapter().send_mail(
        "account/email/unknown_account",
        "parent@example.test",
        {"signup_url": "https://portail.example.test/compte/inscription/"},
    )
    email = OutboxEmail.objects.get()
    assert email.collectivity is None and email.to == ["parent@example.test"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert email.subject == f"[{settings.WAGTAIL_SITE_NAME}] Aucun compte avec cette adresse"
    assert 'href="https://portail.example.test/compte/inscription/"' in email.body_html
    assert "message automatique" in email.body_text


def test_the_subject_is_not_prefixed_by_allauth():
    assert AccountAdapter().format_email_subject("Objet") == "Objet"
