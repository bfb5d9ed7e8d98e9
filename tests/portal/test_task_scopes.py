"""Tasks run in the cluster with no request, hence no scope: each one opens its own.

The tests call each task inside ``scope()`` (enabled, no collectivity: what a worker thread
has), so a task that forgot its scope raises ``ScopeError`` here instead of in production.
"""

import pytest

from notifications import tasks as notification_tasks
from notifications.services import email_queue
from planning import tasks as planning_tasks
from portal.scoping import scope

pytestmark = pytest.mark.django_db


def test_outbox_tasks_open_their_scope(collectivity_a, mailoutbox):
    email = email_queue(
        template="account/unknown_account", to=["a@example.test"], collectivity=collectivity_a
    )
    with scope():
        assert notification_tasks.outbox_sweep() >= 0
        notification_tasks.outbox_send(email.pk)


def test_planning_tasks_open_their_scope(collectivity_a):
    with scope():
        assert planning_tasks.offers_expire() == 0


def test_demo_load_opens_its_scope():
    from django.core.management import call_command

    with scope():
        call_command("demo_load", "--quiet")


def test_billing_tasks_open_their_scope(collectivity_a):
    from billing import tasks as billing_tasks

    with scope():
        assert billing_tasks.payment_status() == {"checked": 0, "expired": 0}


def test_reminder_and_certificate_tasks_open_their_scope(collectivity_a, agent_a):
    from django.utils import timezone

    from billing import tasks as billing_tasks

    year = timezone.localdate().year - 1
    with scope():
        assert billing_tasks.reminders_send() == 0
        assert billing_tasks.tax_certificates_generate() == 0
        assert billing_tasks.tax_certificates_generate_for(collectivity_a.pk, year, agent_a.pk) == 0


def test_pieces_tasks_open_their_scope(collectivity_a):
    from pieces import tasks as pieces_tasks

    with scope():
        assert pieces_tasks.documents_daily() == {"obsolete": 0, "reminded": 0}
        assert pieces_tasks.scans_retry() == 0
        assert pieces_tasks.file_scan(999999) == ""
