"""E-mail change with re-confirmation: the new address replaces the old one only once the
link sent to it is confirmed."""

import re

from django.core import mail

import pytest
from allauth.account.models import EmailAddress

from tests.portal.factories import UserFactory

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    match = re.search(r"https?://[^\s\"<>]+/compte/confirmer/[^\s\"<>]+/", message.body)
    assert match, message.body
    return match.group(0)


def test_new_address_needs_confirmation_before_replacing_the_old_one(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    user = UserFactory(email="ancienne@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client_a.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/compte/adresse-email/", {"email": "nouvelle@example.test", "action_add": ""}
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "ancienne@example.test"  # not before confirmation
    sent = [m for m in mail.outbox if m.to == ["nouvelle@example.test"]]
    assert len(sent) == 1 and collectivity_a.name in sent[0].from_email
    link = _link(sent[0]).split("localhost", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(link)
    user.refresh_from_db()
    assert user.email == "nouvelle@example.test"
    assert EmailAddress.objects.get(user=user, primary=True).email == "nouvelle@example.test"
    assert not EmailAddress.objects.filter(email="ancienne@example.test").exists()


def test_change_to_an_address_already_used_changes_nothing(
    client_a, collectivity_a, django_capture_on_commit_callbacks
):
    other = UserFactory(email="prise@example.test")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    user = UserFactory(email="moi@example.test")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client_a.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post("/compte/adresse-email/", {"email": "prise@example.test", "action_add": ""})
    user.refresh_from_db()
    assert user.email == "moi@example.test"
    # allauth does not reveal that the address is taken (enumeration prevention): it may keep
    # an unverified row for this account, but the address never becomes theirs.
    assert EmailAddress.objects.get(user=other).verified
    assert not EmailAddress.objects.filter(user=user, email="prise@example.test", verified=True)
    # Even if the mailbox owner follows a link sent there, the address stays the owner's.
    for message in mail.outbox:
        if "/compte/confirmer/" in message.body:
            with django_capture_on_commit_callbacks(execute=True):
                client_a.post(_link(message).split("localhost", 1)[1])
    user.refresh_from_db()
    assert user.email == "moi@example.test"
    assert not EmailAddress.objects.filter(user=user, email="prise@example.test", verified=True)
    assert EmailAddress.objects.get(user=other).verified
