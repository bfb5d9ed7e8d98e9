"""The outbox claims a row, sends outside any transaction, then records the outcome: retries
with backoff on temporary failures, FAILED on permanent ones, a lease for crashed workers,
idempotent queuing and the agent's resend."""

import threading
from datetime import timedelta

from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from notifications.services import (
    LEASE,
    MAX_ATTEMPTS,
    OutboxError,
    email_queue,
    outbox_resend,
    outbox_send,
    outbox_sweep,
)
from portal.scoping import scopes_disabled
from tests.notifications import failing_backend
from tests.notifications.failing_backend import BlockingBackend, ScriptedBackend

pytestmark = pytest.mark.django_db

TEMPLATE = "account/password_reset_key"
LINK = "/compte/mot-de-passe-oublie/cle/1-abc/"
SCRIPTED = "tests.notifications.failing_backend.ScriptedBackend"


def queue(collectivity, to=("a@example.test",), **kwargs):
    return email_queue(
        template=TEMPLATE,
        to=list(to),
        collectivity=collectivity,
        context={"email": to[0]},
        link=LINK,
        **kwargs,
    )


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = SCRIPTED
    ScriptedBackend.errors = []
    yield ScriptedBackend
    ScriptedBackend.errors = []


def test_a_dropped_connection_is_retried_when_due(collectivity_a, scripted):
    scripted.errors = [failing_backend.disconnected()]
    email = queue(collectivity_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert outbox_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.RETRY and email.attempts == 1
    assert email.retry_after == start + timedelta(minutes=1)
    assert "Connexion fermée" in email.last_error and email.smtp_code is None
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert outbox_sweep() == 0  # not due yet
    assert len(mail.outbox) == 0
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        assert outbox_sweep() == 1
        assert outbox_sweep() == 0
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == email.message_id


def test_the_backoff_doubles(collectivity_a, scripted):
    scripted.errors = [failing_backend.busy() for _ in range(3)]
    email = queue(collectivity_a)
    now = timezone.now()
    delays = []
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            outbox_send(email_id=email.pk)
        email.refresh_from_db()
        delays.append(email.retry_after - now)
        now = email.retry_after
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert email.smtp_code == 451


def test_a_permanent_refusal_fails_then_the_agent_resends_it(collectivity_a, agent_a, scripted):
    scripted.errors = [failing_backend.refused_for_good()]
    email = queue(collectivity_a)
    assert outbox_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and email.smtp_code == 550
    assert "Mailbox unavailable" in email.last_error

    email = outbox_resend(email=email, agent=agent_a)  # the tests' transaction is not committed
    assert email.status == OutboxEmail.Status.PENDING and email.attempts == 0
    assert not email.last_error and email.smtp_code is None
    event = TimelineEvent.objects.get(verb="email_resent")
    assert event.subject == email and event.actor == agent_a
    assert outbox_sweep() == 1 and outbox_sweep() == 0
    assert len(mail.outbox) == 1


def test_resend_is_enqueued_on_commit(collectivity_a, agent_a, django_capture_on_commit_callbacks):
    email = queue(collectivity_a)
    OutboxEmail.objects.filter(pk=email.pk).update(status=OutboxEmail.Status.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_resend(email=email, agent=agent_a)
        assert len(mail.outbox) == 0
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1


@pytest.mark.parametrize(
    "status", [OutboxEmail.Status.PENDING, OutboxEmail.Status.SENT, OutboxEmail.Status.RETRY]
)
def test_only_a_failed_email_is_resent(collectivity_a, agent_a, status):
    email = queue(collectivity_a)
    OutboxEmail.objects.filter(pk=email.pk).update(status=status)
    with pytest.raises(OutboxError, match="Seul un e-mail en échec peut être renvoyé"):
        outbox_resend(email=email, agent=agent_a)
    email.refresh_from_db()
    assert email.status == status
    assert not TimelineEvent.objects.filter(verb="email_resent").exists()


def test_temporary_failures_give_up_after_max_attempts(collectivity_a, scripted):
    scripted.errors = [failing_backend.busy() for _ in range(MAX_ATTEMPTS + 1)]
    email = queue(collectivity_a)
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(now, tick=False):
            assert outbox_send(email_id=email.pk) is False
        now += timedelta(hours=1)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and email.attempts == MAX_ATTEMPTS
    assert email.smtp_code == 451
    with time_machine.travel(now, tick=False):
        assert outbox_sweep() == 0
    assert len(mail.outbox) == 0


def test_a_stale_claim_is_taken_back_by_the_sweep_once(collectivity_a):
    stale, fresh = queue(collectivity_a), queue(collectivity_a, to=["b@example.test"])
    now = timezone.now()
    OutboxEmail.objects.filter(pk=stale.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=now - LEASE - timedelta(seconds=1)
    )
    OutboxEmail.objects.filter(pk=fresh.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=now - timedelta(minutes=1)
    )
    assert outbox_sweep() == 1
    assert outbox_sweep() == 0
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == OutboxEmail.Status.SENT
    assert fresh.status == OutboxEmail.Status.SENDING  # its worker may still be talking
    assert [message.to for message in mail.outbox] == [["a@example.test"]]


def test_two_sends_of_one_row_send_one_message(collectivity_a):
    email = queue(collectivity_a)
    assert outbox_send(email_id=email.pk) is True
    assert outbox_send(email_id=email.pk) is False
    assert len(mail.outbox) == 1


def test_a_sending_row_is_not_claimed_again(collectivity_a):
    email = queue(collectivity_a)
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENDING, claimed_at=timezone.now()
    )
    assert outbox_send(email_id=email.pk) is False
    assert len(mail.outbox) == 0


def test_the_same_idempotency_key_queues_one_row(
    collectivity_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first = queue(collectivity_a, idempotency_key="booking-12-confirmed")
        again = queue(
            collectivity_a, to=["other@example.test"], idempotency_key="booking-12-confirmed"
        )
    assert again.pk == first.pk and again.to == ["a@example.test"]
    assert OutboxEmail.objects.count() == 1
    assert len(callbacks) == 1  # the second call enqueued nothing either


def test_emails_without_a_key_get_their_own(collectivity_a):
    one, two = queue(collectivity_a), queue(collectivity_a)
    assert (
        one.idempotency_key and two.idempotency_key and one.idempotency_key != two.idempotency_key
    )
    assert one.message_id != two.message_id
    assert one.message_id.endswith("@localhost>")  # the collectivity's host


def _send_in_thread(email_id, results):
    try:
        with scopes_disabled():
            results.append(outbox_send(email_id=email_id))
    except Exception as error:  # noqa: BLE001 -- reported to the main thread
        results.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_no_lock_is_held_while_the_mail_server_is_spoken_to(collectivity_a, settings, monkeypatch):
    """The send blocks inside the backend; meanwhile this thread writes. On the test database
    (SQLite in memory, shared cache: one writer at a time, "database table is locked" at once
    otherwise) this write failed when the claim's transaction stayed open during send()."""
    # Autocommit here: the synchronous task cluster would send on commit, in this thread.
    monkeypatch.setattr("notifications.services._enqueue_send", lambda email_id: None)
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.BlockingBackend"
    BlockingBackend.entered.clear()
    BlockingBackend.release.clear()
    email = queue(collectivity_a)
    results = []
    worker = threading.Thread(target=_send_in_thread, args=(email.pk, results))
    worker.start()
    try:
        assert BlockingBackend.entered.wait(timeout=10), results
        with transaction.atomic():
            other = queue(collectivity_a, to=["b@example.test"])
            OutboxEmail.objects.filter(pk=other.pk).update(subject="Écrit pendant l’envoi")
        assert OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENDING
    finally:
        BlockingBackend.release.set()
        worker.join(timeout=30)
    assert results == [True]
    assert OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENT
    assert OutboxEmail.objects.get(pk=other.pk).subject == "Écrit pendant l’envoi"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_one_message(collectivity_a, monkeypatch):
    """Eight workers start on one row at once: the conditional claim lets one through.
    PostgreSQL only (SQLite serialises writers, which would prove nothing)."""
    monkeypatch.setattr("notifications.services._enqueue_send", lambda email_id: None)
    email = queue(collectivity_a)
    workers = 8
    barrier = threading.Barrier(workers)
    results = []

    def work():
        barrier.wait(timeout=10)
        _send_in_thread(email.pk, results)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results, key=str) == [False] * (workers - 1) + [True]
    assert len(mail.outbox) == 1
