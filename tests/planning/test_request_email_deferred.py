"""The acknowledgement a parent's POST queues is rendered by the task cluster from the data
its outbox row froze (issue #17, item 2): the e-mail sent is the one the request rendered at
once before, byte for byte; it says what was true at submission; and the row is written in
the request's transaction like every outbox row."""

import datetime

from django.core import mail
from django.db import transaction
from django.urls import reverse

import pytest
import time_machine

from notifications.emails import email_render
from notifications.models import OutboxEmail
from notifications.services import outbox_send
from planning.calendar import activity_open_dates
from planning.models import Activity, Booking, BookingRequest, Slot
from planning.services import request_preview, request_submit
from planning.services.acknowledgements import (
    AskedDay,
    LeftOutDay,
    _line_outcome,
    acknowledgement_build,
    waiting_positions_of,
)
from tests.planning import test_acknowledgements as acknowledgements
from tests.planning.factories import (
    ActivityFactory,
    BookingFactory,
    ChildFactory,
    EnrolmentFactory,
)
from tests.planning.test_acknowledgements import WEDNESDAY, wednesday_activity
from tests.portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db

Kind = BookingRequest.Kind
State = Booking.State
D = datetime.date
# The same family, children and instant as the acknowledgements' own tests.
frozen, parent, family = acknowledgements.frozen, acknowledgements.parent, acknowledgements.family
lea, tom = acknowledgements.lea, acknowledgements.tom


def as_before(request: BookingRequest, *, excluded):
    """The acknowledgement as ``request_submit`` rendered it at once before it was deferred
    (the code of then, kept here as the reference): built from the request's rows and the
    preview's days left out, then rendered."""
    activity = request.activity
    lines = list(request.lines.select_related("child", "slot").order_by("pk"))
    positions = waiting_positions_of(lines)
    children = {}
    for item in [*lines, *excluded]:
        children.setdefault(item.child.pk, item.child.first_name)
    days = []
    for line in lines:
        outcome = _line_outcome(request.kind, line)
        billed = outcome in ("absence_billed", "absence_billed_pending")
        days.append(
            AskedDay(
                child=line.child.first_name,
                date=line.slot.date,
                outcome=outcome,
                position=positions.get((line.child_id, line.slot_id)),
                cost=activity.unit_price if billed and activity.unit_price else None,
            )
        )
    ack = acknowledgement_build(
        kind=request.kind,
        activity=activity.name,
        children=list(children.values()),
        date_from=request.date_from,
        date_to=request.date_to,
        weekdays=request.weekdays,
        days=days,
        left_out=[LeftOutDay(e.child.first_name, e.date, e.reason) for e in excluded],
        start_time=lines[0].slot.start_time,
        end_time=lines[0].slot.end_time,
        collectivity=request.family.collectivity.display_name,
    )
    return email_render(
        template="planning/request_received",
        context={"ack": ack, "recipient_name": request.created_by.get_full_name()},
        collectivity=request.family.collectivity,
        family=request.family,
        link=reverse("planning:request_detail", args=[request.pk]),
    )


def deferred_submit(family, parent, activity, children, start, end, weekdays, kind):
    """``request_submit`` as the web POST calls it; returns (request, the preview's days left
    out just before, as the submission saw them)."""
    asked = {
        "family": family,
        "kind": kind,
        "activity": activity,
        "children": children,
        "date_from": start,
        "date_to": end,
        "weekdays": weekdays,
    }
    excluded = request_preview(**asked).excluded
    request = request_submit(user=parent, email_deferred=True, **asked)
    return request, excluded


def sent(parent):
    """Send the queued acknowledgement as the task cluster does; the message and its row."""
    row = OutboxEmail.objects.filter(to=[parent.email]).latest("pk")
    assert row.template == "planning/request_received" and row.body_text == ""
    mail.outbox.clear()
    assert outbox_send(email_id=row.pk)
    (message,) = mail.outbox
    row.refresh_from_db()
    return message, row


def assert_same(message, row, expected):
    (html, _mime), *_others = message.alternatives
    assert (message.subject, message.body, html) == (
        expected.subject,
        expected.body_text,
        expected.body_html,
    )
    # The row keeps what was sent (a resend and the outbox view read it as any other).
    assert (row.subject, row.body_text, row.body_html) == (
        expected.subject,
        expected.body_text,
        expected.body_html,
    )
    assert row.status == OutboxEmail.Status.SENT


def test_a_one_day_request_through_the_page_sends_what_it_sent_before(
    collectivity_a, family, parent, lea, tom, client_a
):
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    slot = Slot.objects.get(activity=activity)
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    other = ChildFactory(family=FamilyFactory(collectivity=collectivity_a), first_name="Zoé")
    BookingFactory(child=other, slot=slot, state=State.RESERVED)
    client_a.force_login(parent)
    url = reverse("planning:request_day", args=[slot.pk, lea.pk, "reservation"])
    response = client_a.post(url, {"submission_key": "k1"})
    assert response.status_code == 302
    request = BookingRequest.objects.get()
    message, row = sent(parent)
    assert "En liste d’attente, position 1" in message.body
    assert_same(message, row, as_before(request, excluded=[]))


def test_a_billed_absence_keeps_its_cost(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a, cancellation_notice_days=2)
    EnrolmentFactory(child=lea, activity=activity)
    BookingFactory(child=lea, slot=Slot.objects.get(activity=activity), state=State.RESERVED)
    with time_machine.travel(datetime.datetime(2027, 1, 12, 8, 0, tzinfo=datetime.UTC)):
        request, excluded = deferred_submit(
            family, parent, activity, [lea], WEDNESDAY, WEDNESDAY, [2], Kind.ABSENCE
        )
        message, row = sent(parent)
        expected = as_before(request, excluded=excluded)
    assert "facturée 12,40 €" in message.body
    assert_same(message, row, expected)


def test_a_period_with_days_left_out_sends_what_it_sent_before(
    collectivity_a, family, parent, lea, tom
):
    activity = ActivityFactory(
        collectivity=collectivity_a,
        name="Accueil périscolaire du soir",
        weekdays=[0, 1, 3, 4],
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 30),
        requires_approval=False,
        capacity=10,
    )
    Slot.objects.bulk_create(
        Slot(
            activity=activity,
            date=day,
            start_time=activity.start_time,
            end_time=activity.end_time,
            capacity=activity.capacity,
        )
        for day in activity_open_dates(activity)
        if D(2027, 1, 4) <= day <= D(2027, 7, 2)
    )
    EnrolmentFactory(child=lea, activity=activity)
    EnrolmentFactory(child=tom, activity=activity, end_date=D(2027, 6, 30))
    BookingFactory(child=lea, slot=Slot.objects.get(activity=activity, date=D(2027, 1, 11)))
    Slot.objects.filter(activity=activity, date=D(2027, 1, 14)).update(capacity=0)
    request, excluded = deferred_submit(
        family,
        parent,
        activity,
        [lea, tom],
        D(2027, 1, 4),
        D(2027, 7, 2),
        [0, 2, 3],
        Kind.RESERVATION,
    )
    assert excluded
    message, row = sent(parent)
    assert "(Léa position 1, Tom position 2)" in message.body
    assert "- Jour férié — lundi 29 mars 2027 (Lundi de Pâques)" in message.body
    assert_same(message, row, as_before(request, excluded=excluded))


def test_the_email_says_what_was_true_at_submission(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    request, excluded = deferred_submit(
        family, parent, activity, [lea], WEDNESDAY, WEDNESDAY, [2], Kind.RESERVATION
    )
    expected = as_before(request, excluded=excluded)
    # Changed after the submission, before the cluster renders the e-mail.
    Activity.objects.filter(pk=activity.pk).update(name="Autre activité")
    lea.first_name = "Autre"
    lea.save()
    Booking.objects.filter(child=lea).update(state=State.CANCELLED)
    message, row = sent(parent)
    assert "Accueil du mercredi" in message.subject and "Autre" not in message.body
    assert_same(message, row, expected)


def test_the_row_is_written_in_the_requests_transaction(collectivity_a, family, parent, lea):
    activity = wednesday_activity(collectivity_a)
    EnrolmentFactory(child=lea, activity=activity)
    with transaction.atomic():
        deferred_submit(
            family, parent, activity, [lea], WEDNESDAY, WEDNESDAY, [2], Kind.RESERVATION
        )
        assert OutboxEmail.objects.filter(to=[parent.email]).count() == 1
        transaction.set_rollback(True)
    assert not OutboxEmail.objects.exists()
