"""The daily task: « Transmis » documents past their validity become « Obsolète »; a mandatory
document 30 days from its end is reminded to the family once, however often the task runs."""

import datetime

from django.core import mail

import pytest
import time_machine

from notifications.models import OutboxEmail, TimelineEvent
from pieces import tasks
from pieces.models import SupportingDocument
from pieces.services import document_accept, document_upload
from portal.scoping import scope
from tests.pieces.factories import pdf_upload

pytestmark = pytest.mark.django_db


def _accepted(world, on: datetime.date):
    world.insurance.validity = "duration"
    world.insurance.validity_months = 12
    world.insurance.save()
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(9), datetime.UTC)):
        document = document_upload(
            family=world.own.family,
            document_type=world.insurance,
            uploads=[pdf_upload()],
            by=world.own.user,
        )
        return document_accept(document=document, by=world.agent)


def test_the_expiry_reminder_is_sent_once(world, django_capture_on_commit_callbacks):
    document = _accepted(world, datetime.date(2025, 12, 15))
    assert document.valid_until == datetime.date(2026, 12, 14)
    mail.outbox.clear()
    for day in (
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 15),
        datetime.date(2026, 11, 16),
    ):
        moment = datetime.datetime.combine(day, datetime.time(6), datetime.UTC)
        with (
            time_machine.travel(moment),
            scope(),
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.documents_daily()
    rows = OutboxEmail.objects.filter(idempotency_key__startswith="document_expiry:")
    assert rows.count() == 1
    reminders = [m for m in mail.outbox if "à renouveler" in m.subject]
    assert len(reminders) == 1 and reminders[0].to == ["lea@example.test"]
    assert "14/12/2026" in reminders[0].body
    assert TimelineEvent.objects.filter(verb="document_expiring").count() == 1


def test_past_validity_becomes_obsolete(world, client_a):
    document = _accepted(world, datetime.date(2025, 9, 1))
    with time_machine.travel(datetime.datetime(2026, 9, 2, 6, tzinfo=datetime.UTC)), scope():
        assert tasks.documents_daily()["obsolete"] == 1
        assert tasks.documents_daily()["obsolete"] == 0
    document.refresh_from_db()
    assert document.status == SupportingDocument.Status.OBSOLETE
    assert (
        TimelineEvent.objects.filter(verb="document_obsolete", subject_id=document.pk).count() == 1
    )
