"""An agent finds a bounced e-mail in « E-mails », filters the failures, opens it and sends it
again; axe-core checks every page."""

import pytest
from playwright.sync_api import expect

from notifications.models import OutboxEmail
from notifications.services import email_queue
from tests.e2e.test_backoffice import login_as

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_resends_a_failed_email(live_server, page, axe, collectivity_a, agent_a):
    emails = {}
    for to, status in (("envoye@example.test", "sent"), ("echec@example.test", "failed")):
        email = email_queue(
            template="account/unknown_account",
            to=[to],
            collectivity=collectivity_a,
            context={"email": to},
        )
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=status, last_error="550 Mailbox unavailable" if status == "failed" else ""
        )
        emails[status] = email
    login_as(page, live_server, agent_a)

    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="E-mails").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("E-mails")
    expect(page.get_by_text("envoye@example.test")).to_be_visible()
    axe(page)

    page.get_by_label("État").select_option(label="Échec")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("echec@example.test")).to_be_visible()
    expect(page.get_by_text("envoye@example.test")).to_have_count(0)
    axe(page)

    page.get_by_role("link", name=emails["failed"].subject).click()
    expect(page.get_by_role("heading", name="Texte")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Renvoyer").click()
    expect(page.get_by_text("remis dans la file d’envoi")).to_be_visible()
    axe(page)
    emails["failed"].refresh_from_db()
    assert emails["failed"].status == OutboxEmail.Status.SENT
