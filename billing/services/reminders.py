"""Reminders (« relances ») of overdue invoices, sent by a daily schedule.

For each collectivity with its billing module on, an invoice still to pay (« À payer » or
« Partiellement payée », not cancelled, not on direct debit with its debit date still to come)
reaches level N once ``Collectivity.reminder_days[N-1]`` days have passed since its due date.
Each run sends, for each invoice whose level went up since its last reminder, the reminder of
the level it has reached — only the highest one: an invoice that reached level 2 without level
1 (a first run late, delays changed) gets level 2 alone, never two reminders on the same day.

Exactly once per invoice and level: the ``InvoiceReminder`` row is unique on (invoice, level),
the e-mail's idempotency key is ``reminder:invoice-<id>:level-<n>``, and a collectivity's run
takes its row lock first, so two runs (a task replayed, two clusters) queue each reminder
once. The families without any e-mail address (no subscribed account with one and none in the
dossier's guardians) get a letter (channel « courrier ») that agents print in the back office.

Bulk: a fixed number of queries per collectivity whatever the number of invoices (the
invoices with their last level, the families' addresses, then bulk inserts of the reminders,
the timeline events and the e-mails).
"""

import datetime
import logging
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from family.models import Guardian
from notifications.emails import email_render
from notifications.models import OutboxEmail, TimelineEvent
from notifications.registry import family_accounts
from notifications.services import outbox_enqueue_many, outbox_row
from portal.branding import branding_for
from portal.formats import date_long, euros
from portal.models import Collectivity
from portal.scoping import tenant_scope

from .. import selectors
from ..models import Invoice, InvoiceReminder

logger = logging.getLogger(__name__)

Channel = InvoiceReminder.Channel


def reminder_key(invoice_id: int, level: int) -> str:
    return f"reminder:invoice-{invoice_id}:level-{level}"


def family_addresses(family_ids) -> dict[int, list[str]]:
    """Each family's e-mail addresses, in two queries whatever their number: its subscribed
    accounts' (as every billing e-mail), else its guardians' from the dossier."""
    family_ids = set(family_ids)
    found: dict[int, set[str]] = defaultdict(set)
    for family_id, users in family_accounts(family_ids).items():
        found[family_id].update(user.email for user in users if user.email)
    missing = [pk for pk in family_ids if not found.get(pk)]
    if missing:
        rows = Guardian.objects.filter(family_id__in=missing).exclude(email="")
        for family_id, email in rows.values_list("family_id", "email"):
            found[family_id].add(email.lower())
    return {pk: sorted(emails) for pk, emails in found.items() if emails}


def reminders_send(*, today: datetime.date) -> int:
    """Send the reminders due ``today`` in every collectivity whose billing module is on;
    returns how many were sent (e-mails queued and letters to print)."""
    sent = 0
    collectivities = Collectivity.objects.filter(module_billing=True).select_related("site")
    for collectivity in collectivities.order_by("pk"):
        with tenant_scope(collectivity):
            sent += collectivity_reminders_send(collectivity=collectivity, today=today)
    return sent


@transaction.atomic
def collectivity_reminders_send(*, collectivity, today: datetime.date) -> int:
    delays = collectivity.reminder_days
    if not delays:
        return 0
    # One run at a time per collectivity: a concurrent run waits here, then finds the
    # reminders of this one already written.
    Collectivity.objects.select_for_update().filter(pk=collectivity.pk).first()
    candidates = selectors.overdue_invoices(
        Invoice.objects.filter(regie__collectivity=collectivity), today=today
    ).filter(due_date__lte=today - datetime.timedelta(days=delays[0]))
    todo = []
    for invoice in candidates:
        level = selectors.reminder_level(due_date=invoice.due_date, today=today, delays=delays)
        if level > invoice.last_level:
            todo.append((invoice, level))
    if not todo:
        return 0
    addresses = family_addresses({invoice.family_id for invoice, _level in todo})
    now = timezone.now()
    reminders, events, emails = [], [], []
    content_type = ContentType.objects.get_for_model(Invoice)
    branding = branding_for(collectivity)
    for invoice, level in todo:
        to = addresses.get(invoice.family_id, [])
        channel = Channel.EMAIL if to else Channel.LETTER
        reminders.append(
            InvoiceReminder(
                invoice=invoice, level=level, sent_at=now, channel=channel, balance=invoice.balance
            )
        )
        message = _message(invoice, level=level, today=today, channel=channel)
        events.append(
            TimelineEvent(
                collectivity=collectivity,
                family_id=invoice.family_id,
                subject_type=content_type,
                subject_id=invoice.pk,
                verb="invoice_reminder",
                message=message,
                data={"level": level, "channel": channel},
            )
        )
        if to:
            emails.append(
                outbox_row(
                    rendered=email_render(
                        template="billing/invoice_reminder",
                        context={
                            "invoice": invoice,
                            "level": level,
                            "days": (today - invoice.due_date).days,
                            "due": date_long(invoice.due_date),
                            "amount": euros(invoice.balance),
                        },
                        collectivity=collectivity,
                        family=invoice.family,
                        link=reverse("billing:invoice", args=[invoice.pk]),
                        branding=branding,
                    ),
                    to=to,
                    collectivity=collectivity,
                    family_id=invoice.family_id,
                    idempotency_key=reminder_key(invoice.pk, level),
                )
            )
    InvoiceReminder.objects.bulk_create(reminders, batch_size=500)
    TimelineEvent.objects.bulk_create(events, batch_size=500)
    if emails:
        OutboxEmail.objects.bulk_create(emails, batch_size=500, ignore_conflicts=True)
        ids = list(
            OutboxEmail.objects.filter(
                idempotency_key__in=[email.idempotency_key for email in emails],
                status=OutboxEmail.Status.PENDING,
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: outbox_enqueue_many(ids))
    logger.info(
        "Reminders %s on %s: %s sent (%s by e-mail)", collectivity, today, len(todo), len(emails)
    )
    return len(todo)


def _message(invoice, *, level: int, today, channel) -> str:
    values = {
        "level": level,
        "number": invoice.number,
        "balance": euros(invoice.balance),
        "due": date_long(invoice.due_date),
        "days": (today - invoice.due_date).days,
    }
    if channel == Channel.LETTER:
        return (
            _(
                "Relance n° %(level)s par courrier : la facture %(number)s, échue le %(due)s "
                "(il y a %(days)s jours), reste à payer pour %(balance)s."
            )
            % values
        )
    return (
        _(
            "Relance n° %(level)s par e-mail : la facture %(number)s, échue le %(due)s "
            "(il y a %(days)s jours), reste à payer pour %(balance)s."
        )
        % values
    )
