from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

import pytest
from django_q.models import Schedule

from notifications.models import OutboxEmail, TimelineEvent
from notifications.services import email_queue, event_record, outbox_send, outbox_sweep
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

# A real e-mail of the product (allauth's, owned by notifications.accounts): the outbox does not
# care which one it carries.
TEMPLATE = "account/password_reset_key"
LINK = "/compte/mot-de-passe-oublie/cle/1-abc/"


def queue(collectivity, to):
    return email_queue(
        template=TEMPLATE, to=to, collectivity=collectivity, context={"email": to[0]}, link=LINK
    )


def test_email_is_sent_after_commit_from_the_collectivity(
    collectivity_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(collectivity_a, ["parent@example.test"])
        assert len(mail.outbox) == 0  # nothing leaves before the transaction commits
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.from_email == "Ville de Alpha <ne-pas-repondre@localhost>"
    assert sent.to == ["parent@example.test"] and sent.alternatives[0][0] == email.body_html
    assert sent.subject == "[Ville de Alpha] Choisir un nouveau mot de passe"
    assert sent.body == email.body_text and f"http://localhost{LINK}" in sent.body
    assert f'href="http://localhost{LINK}"' in email.body_html
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1


def test_rolled_back_transaction_queues_nothing(collectivity_a, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue(collectivity_a, ["a@example.test"])
        raise RuntimeError
    assert OutboxEmail.objects.count() == 0 and len(mail.outbox) == 0


def test_an_email_is_sent_once(collectivity_a):
    email = queue(collectivity_a, ["a@example.test"])
    assert outbox_send(email_id=email.pk) is True
    assert outbox_send(email_id=email.pk) is False
    assert outbox_sweep() == 0
    assert len(mail.outbox) == 1


def test_transport_errors_are_retried_then_marked_failed(collectivity_a, settings):
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.FailingBackend"
    email = queue(collectivity_a, ["a@example.test"])
    for _ in range(5):
        assert outbox_send(email_id=email.pk) is False
        # Each retry waits for its backoff: make this one due now.
        OutboxEmail.objects.filter(pk=email.pk).update(retry_after=timezone.now())
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and "SMTP indisponible" in email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    pending = queue(collectivity_a, ["b@example.test"])
    assert outbox_sweep() == 1
    pending.refresh_from_db()
    assert pending.status == OutboxEmail.Status.SENT


def test_event_record_links_its_subject_and_family(collectivity_a, collectivity_b):
    family = FamilyFactory(collectivity=collectivity_a)
    FamilyFactory(collectivity=collectivity_b)
    event = event_record(
        collectivity=collectivity_a, family_id=family.pk, subject=family, verb="test"
    )
    assert event.subject == family
    assert list(TimelineEvent.objects.for_collectivity(collectivity_b)) == []


def test_schedules_install_is_idempotent(db):
    call_command("schedules_install")
    call_command("schedules_install")
    assert Schedule.objects.filter(func="notifications.tasks.outbox_sweep").count() == 1
    digests = Schedule.objects.get(func="notifications.tasks.digests_send")
    assert (digests.schedule_type, digests.minutes) == (Schedule.MINUTES, 1)


def test_an_email_about_a_family_is_filed_under_it(collectivity_a):
    family = FamilyFactory(collectivity=collectivity_a)
    email = email_queue(
        template=TEMPLATE,
        to=["a@example.test"],
        collectivity=collectivity_a,
        context={"email": "a@example.test"},
        family=family,
    )
    assert email.family_id == family.pk
