"""Writes of notifications: timeline events and queued e-mails (transactional outbox)."""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from portal.formats import actor_or_none

from .emails import RenderedEmail, email_render
from .models import OutboxEmail, TimelineEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def event_record(
    *,
    collectivity,
    verb: str,
    family_id: int | None = None,
    subject=None,
    actor=None,
    message: str = "",
    data: dict | None = None,
) -> TimelineEvent:
    """Record one event on a family's (or the collectivity's) timeline."""
    return TimelineEvent.objects.create(
        collectivity=collectivity,
        family_id=family_id,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        verb=verb,
        message=message,
        data=data or {},
        actor=actor_or_none(actor),
    )


def email_queue(
    *,
    template: str,
    to: list[str],
    collectivity,
    context: dict | None = None,
    family=None,
    link: str = "",
) -> OutboxEmail:
    """Render ``templates/<app>/email/<name>.*`` (``template="<app>/<name>"``) in the shared
    layout and queue it in the current transaction; it is sent after commit.

    ``link`` is the path of the page concerned (``reverse(...)``): the e-mail carries it as
    an absolute URL on the collectivity's host. ``family`` (or None) files the e-mail under
    that family. The sender is the collectivity's own address ("Ville de X <portail@x.fr>").
    """
    rendered = email_render(
        template=template, context=context, collectivity=collectivity, family=family, link=link
    )
    return email_queue_rendered(
        rendered=rendered, to=to, collectivity=collectivity, family_id=getattr(family, "pk", None)
    )


def email_queue_rendered(
    *, rendered: RenderedEmail, to: list[str], collectivity, family_id: int | None = None
) -> OutboxEmail:
    """Queue an e-mail already rendered by ``email_render`` (or by allauth's adapter, which
    renders its own templates inside the same layout)."""
    email = OutboxEmail.objects.create(
        collectivity=collectivity,
        family_id=family_id,
        from_email=collectivity.from_email
        if collectivity is not None
        else settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
    )
    transaction.on_commit(lambda: _enqueue_send(email.pk))
    return email


def _enqueue_send(email_id: int) -> None:
    from django_q.tasks import async_task

    async_task("notifications.tasks.outbox_send", email_id)


def outbox_send(*, email_id: int) -> bool:
    """Send one queued e-mail; True when sent. Locks the row so it is sent once."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update()
            .filter(pk=email_id, status=OutboxEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.body_text, from_email=email.from_email, to=email.to
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as error:  # noqa: BLE001 -- any transport error is retried later
            logger.warning("E-mail %s not sent: %s", email.pk, error)
            email.last_error = str(error)[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            return False
        email.status = OutboxEmail.Status.SENT
        email.sent_at = timezone.now()
        email.save(update_fields=["attempts", "status", "sent_at"])
        return True


def outbox_sweep() -> int:
    """Send what is still pending (a crash between commit and send, or a transport error)."""
    sent = 0
    ids = OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).values_list("pk", flat=True)
    for email_id in list(ids[:500]):
        sent += outbox_send(email_id=email_id)
    return sent
