"""« E-mails » in the back office (/admin/e-mails/): this collectivity's outbox only, the
status filter, the detail (HTML only in a sandboxed frame) and the resend of a failed e-mail."""

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

import pytest

from notifications.models import OutboxEmail
from notifications.services import email_queue
from tests.conftest import HOST_A

pytestmark = pytest.mark.django_db

Status = OutboxEmail.Status


def queue(collectivity, to, status=Status.SENT):
    email = email_queue(
        template="account/unknown_account",
        to=[to],
        collectivity=collectivity,
        context={"email": to},
    )
    OutboxEmail.objects.filter(pk=email.pk).update(status=status)
    email.refresh_from_db()
    return email


@pytest.fixture
def agent_client(agent_a):
    client = Client(HTTP_HOST=HOST_A)
    client.force_login(agent_a)
    return client


def test_the_list_shows_this_collectivitys_emails_and_filters_them(
    agent_client, collectivity_a, collectivity_b
):
    sent = queue(collectivity_a, "envoye@example.test")
    failed = queue(collectivity_a, "echec@example.test", status=Status.FAILED)
    OutboxEmail.objects.filter(pk=failed.pk).update(last_error="550 Mailbox unavailable")
    queue(collectivity_b, "autre@example.test", status=Status.FAILED)
    page = agent_client.get(reverse("notifications_admin:emails")).content.decode()
    assert "envoye@example.test" in page and "echec@example.test" in page
    assert "autre@example.test" not in page
    assert "Échec" in page and "550 Mailbox unavailable" in page
    page = agent_client.get(reverse("notifications_admin:emails"), {"statut": "failed"})
    text = page.content.decode()
    assert "echec@example.test" in text and "envoye@example.test" not in text
    assert sent.pk  # listed above, filtered out here


def test_another_collectivitys_email_is_not_found(agent_client, collectivity_b):
    other = queue(collectivity_b, "autre@example.test", status=Status.FAILED)
    detail = reverse("notifications_admin:email_detail", args=[other.pk])
    assert agent_client.get(detail).status_code == 404
    resend = reverse("notifications_admin:email_resend", args=[other.pk])
    assert agent_client.post(resend).status_code == 404
    other.refresh_from_db()
    assert other.status == Status.FAILED


def test_the_detail_shows_the_text_and_the_html_sandboxed(agent_client, collectivity_a):
    email = queue(collectivity_a, "parent@example.test")
    OutboxEmail.objects.filter(pk=email.pk).update(body_html="<p>Bonjour</p><script>x()</script>")
    response = agent_client.get(reverse("notifications_admin:email_detail", args=[email.pk]))
    page = response.content.decode()
    assert escape(email.message_id) in page and escape(email.body_text.splitlines()[0]) in page
    assert '<iframe sandbox=""' in page and "<script>x()</script>" not in page
    assert "Renvoyer" not in page  # only a failed e-mail is resent


def test_resend_from_the_page(agent_client, collectivity_a, django_capture_on_commit_callbacks):
    from django.core import mail

    email = queue(collectivity_a, "parent@example.test", status=Status.FAILED)
    detail = reverse("notifications_admin:email_detail", args=[email.pk])
    assert "Renvoyer" in agent_client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("notifications_admin:email_resend", args=[email.pk]), follow=True
        )
    assert "remis dans la file d’envoi" in response.content.decode()
    email.refresh_from_db()
    assert email.status == Status.SENT and len(mail.outbox) == 1


def test_a_non_failed_email_is_refused(agent_client, collectivity_a):
    email = queue(collectivity_a, "parent@example.test", status=Status.SENT)
    response = agent_client.post(
        reverse("notifications_admin:email_resend", args=[email.pk]), follow=True
    )
    assert "Seul un e-mail en échec peut être renvoyé." in response.content.decode()
    email.refresh_from_db()
    assert email.status == Status.SENT


def test_the_menu_shows_e_mails_to_agents(agent_client):
    page = agent_client.get("/admin/").content.decode()
    assert reverse("notifications_admin:emails") in page


def test_an_email_not_rendered_yet_is_listed_by_name(agent_client, collectivity_a):
    """An acknowledgement queued for the task cluster to render (issue #17) has no subject
    until it is sent: the list, the family page and the detail name it (never an empty link)
    and say its text comes at sending."""
    email = OutboxEmail.objects.create(
        collectivity=collectivity_a,
        from_email="portail@example.test",
        to=["parent@example.test"],
        subject="",
        body_text="",
        template="planning/request_received",
        data={"request_id": 1},
    )
    assert not email.rendered and email.subject_shown == "E-mail en préparation"
    page = agent_client.get(reverse("notifications_admin:emails")).content.decode()
    detail = reverse("notifications_admin:email_detail", args=[email.pk])
    assert f'<a href="{detail}">E-mail en préparation</a>' in page
    page = agent_client.get(detail).content.decode()
    assert "<dd>E-mail en préparation</dd>" in page
    assert "Le texte sera composé au moment de l’envoi" in page
    sent = queue(collectivity_a, "autre@example.test")
    assert sent.rendered and sent.subject_shown == sent.subject
