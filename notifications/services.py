"""Writes of notifications: timeline events and queued e-mails (transactional outbox)."""

import logging
import smtplib
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.formats import actor_or_none

from .emails import RenderedEmail, email_context, email_context_registered, email_render
from .models import OutboxEmail, TimelineEvent

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)  # then 2, 4, 8 minutes
LEASE = timedelta(minutes=10)  # a claim older than this is a crashed worker's


def event_record(
    *,
    collectivity,
    verb: str,
    family_id: int | None = None,
    subject=None,
    actor=None,
    message: str = "",
    data: dict | None = None,
    digest: bool = False,
    account=None,
) -> TimelineEvent:
    """Record one event on a family's (or the collectivity's) timeline.

    ``digest=True`` marks a decision (or a message of the collectivity) the family must be
    told of: it goes in the family's next decision digest, and is e-mailed at once to the
    accounts that chose so (in this same transaction). ``account`` is who reads it when the
    subject has no family yet.
    """
    event = TimelineEvent.objects.create(
        collectivity=collectivity,
        family_id=family_id,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        verb=verb,
        message=message,
        data=data or {},
        actor=actor_or_none(actor),
        digest=digest,
        account=account,
    )
    if digest:
        from .digests import decision_send_now

        decision_send_now(event, subject=subject)
    return event


def email_queue(
    *,
    template: str,
    to: list[str],
    collectivity,
    context: dict | None = None,
    family=None,
    link: str = "",
    idempotency_key: str = "",
) -> OutboxEmail:
    """Render ``templates/<app>/email/<name>.*`` (``template="<app>/<name>"``) in the shared
    layout and queue it in the current transaction; it is sent after commit.

    ``link`` is the path of the page concerned (``reverse(...)``): the e-mail carries it as
    an absolute URL on the collectivity's host. ``family`` (or None) files the e-mail under
    that family. The sender is the collectivity's own address ("Ville de X <portail@x.fr>").
    ``idempotency_key`` (optional): queuing the same key again returns the existing row and
    writes nothing.
    """
    if idempotency_key:
        existing = OutboxEmail.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    rendered = email_render(
        template=template, context=context, collectivity=collectivity, family=family, link=link
    )
    return email_queue_rendered(
        rendered=rendered,
        to=to,
        collectivity=collectivity,
        family_id=getattr(family, "pk", None),
        idempotency_key=idempotency_key,
    )


def email_queue_deferred(
    *,
    template: str,
    data: dict,
    to: list[str],
    collectivity,
    family=None,
    link: str = "",
) -> OutboxEmail:
    """Queue an e-mail that the task cluster renders when it sends it (``outbox_send``), so
    that the web request which queues it does not spend its time rendering templates.

    ``data`` (plain JSON values) is frozen in the row now, in the current transaction
    (transactional outbox): the e-mail says what was true when it was queued. The function
    registered for ``template`` (``emails.email_context_register``) turns it into the
    template's context; ``link`` and the layout are as for ``email_queue``."""
    if not email_context_registered(template):
        raise ImproperlyConfigured(f"No context builder is registered for {template!r}.")
    # The row of any e-mail, with no subject and no bodies until the cluster renders them.
    unrendered = RenderedEmail(subject="", body_text="", body_html="")
    email = OutboxEmail.objects.create(
        **_row_fields(unrendered, to, collectivity, getattr(family, "pk", None)),
        template=template,
        data=data,
        link=link,
    )
    transaction.on_commit(lambda: _enqueue_send(email.pk))
    return email


def outbox_render(email: OutboxEmail) -> OutboxEmail:
    """Render a deferred e-mail from its frozen data into its row (subject and bodies), once:
    a later attempt, a resend and the outbox view read the row as for any other e-mail."""
    rendered = email_render(
        template=email.template,
        context=email_context(email.template, email.data),
        collectivity=email.collectivity,
        link=email.link,
    )
    email.subject = rendered.subject
    email.body_text = rendered.body_text
    email.body_html = rendered.body_html
    OutboxEmail.objects.filter(pk=email.pk).update(
        subject=email.subject, body_text=email.body_text, body_html=email.body_html
    )
    return email


def outbox_row(
    *,
    rendered: RenderedEmail,
    to: list[str],
    collectivity,
    family_id: int | None = None,
    idempotency_key: str = "",
) -> OutboxEmail:
    """An unsaved outbox row for ``rendered`` (for bulk queuing, as the digests do)."""
    row = OutboxEmail(**_row_fields(rendered, to, collectivity, family_id))
    if idempotency_key:
        row.idempotency_key = idempotency_key
    return row


def _row_fields(rendered: RenderedEmail, to, collectivity, family_id) -> dict:
    return {
        "collectivity": collectivity,
        "family_id": family_id,
        "from_email": collectivity.from_email
        if collectivity is not None
        else settings.DEFAULT_FROM_EMAIL,
        "to": list(to),
        "subject": rendered.subject,
        "body_text": rendered.body_text,
        "body_html": rendered.body_html,
        "message_id": make_msgid(domain=_message_id_domain(collectivity)),
    }


def email_queue_rendered(
    *,
    rendered: RenderedEmail,
    to: list[str],
    collectivity,
    family_id: int | None = None,
    idempotency_key: str = "",
) -> OutboxEmail:
    """Queue an e-mail already rendered by ``email_render`` (or by allauth's adapter, which
    renders its own templates inside the same layout). Same ``idempotency_key`` twice: the
    existing row, nothing written (``get_or_create`` retries the read when a concurrent insert
    wins the unique constraint, inside a savepoint, so the caller's transaction survives)."""
    fields = _row_fields(rendered, to, collectivity, family_id)
    if idempotency_key:
        email, created = OutboxEmail.objects.get_or_create(
            idempotency_key=idempotency_key, defaults=fields
        )
        if not created:
            return email
    else:
        email = OutboxEmail.objects.create(**fields)
    transaction.on_commit(lambda: _enqueue_send(email.pk))
    return email


def _message_id_domain(collectivity) -> str:
    hostname = getattr(getattr(collectivity, "site", None), "hostname", "") if collectivity else ""
    return hostname or "portail.localhost"


def _enqueue_send(email_id: int) -> None:
    from django_q.tasks import async_task

    async_task("notifications.tasks.outbox_send", email_id)


def outbox_enqueue_many(email_ids: list[int]) -> None:
    """One task that sends these queued e-mails: what the services that queue e-mails in bulk
    (digests, reminders, invoicing runs) call once their transaction has committed."""
    if not email_ids:
        return
    from django_q.tasks import async_task

    async_task("notifications.tasks.outbox_send_many", list(email_ids))


def outbox_send_many(*, email_ids: list[int]) -> int:
    """Send a batch of queued e-mails (a digest run queues one task per batch)."""
    return sum(outbox_send(email_id=email_id) for email_id in email_ids)


def outbox_send(*, email_id: int) -> bool:
    """Send one queued e-mail; True when sent.

    Three steps, so no transaction (on SQLite, the database's write lock) is open while the
    mail server is spoken to: claim the row (PENDING, or RETRY when due) with a conditional
    UPDATE, so two workers never both claim it; send; record the outcome.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            OutboxEmail.objects.filter(pk=email_id)
            .filter(
                Q(status=OutboxEmail.Status.PENDING)
                | Q(status=OutboxEmail.Status.RETRY, retry_after__lte=now)
            )
            .update(status=OutboxEmail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
        if not claimed:
            return False
        email = OutboxEmail.objects.get(pk=email_id)
    try:
        if email.template and not email.body_text:
            outbox_render(email)
        _message(email).send()
    except Exception as error:  # noqa: BLE001 -- every transport (or rendering) error is recorded
        _record_failure(email, error)
        return False
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.SENDING).update(
            status=OutboxEmail.Status.SENT,
            sent_at=timezone.now(),
            claimed_at=None,
            retry_after=None,
            last_error="",
            smtp_code=None,
        )
    return True


def _message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=email.to,
        headers={"Message-ID": email.message_id} if email.message_id else None,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _smtp_code(error: Exception) -> int | None:
    """The server's reply code, if any. Refused recipients: 5xx only when every recipient was
    refused for good, else the temporary (4xx) code, worth another try."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        codes = [reply[0] for reply in error.recipients.values()]
        temporary = [code for code in codes if code < 500]
        return max(temporary) if temporary else min(codes)
    return None


def _is_permanent(code: int | None) -> bool:
    """A 5xx reply is final. A 4xx, a dropped connection, a timeout, a socket error, or any
    other error (as before this outbox knew SMTP codes) is tried again, up to MAX_ATTEMPTS."""
    return code is not None and code >= 500


def _record_failure(email: OutboxEmail, error: Exception) -> None:
    code = _smtp_code(error)
    logger.warning("E-mail %s not sent (attempt %s): %s", email.pk, email.attempts, error)
    if _is_permanent(code) or email.attempts >= MAX_ATTEMPTS:
        status, retry_after = OutboxEmail.Status.FAILED, None
    else:
        status = OutboxEmail.Status.RETRY
        retry_after = timezone.now() + RETRY_BASE * 2 ** (email.attempts - 1)
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.SENDING).update(
            status=status,
            retry_after=retry_after,
            claimed_at=None,
            last_error=str(error)[:2000] or type(error).__name__,
            smtp_code=code,
        )


def outbox_sweep() -> int:
    """Send what is left: PENDING rows (a crash between commit and send), RETRY rows that are
    due, and rows a crashed worker left SENDING past the lease (put back to PENDING first)."""
    now = timezone.now()
    with transaction.atomic():
        OutboxEmail.objects.filter(
            status=OutboxEmail.Status.SENDING, claimed_at__lt=now - LEASE
        ).update(status=OutboxEmail.Status.PENDING, claimed_at=None)
    ids = (
        OutboxEmail.objects.filter(
            Q(status=OutboxEmail.Status.PENDING)
            | Q(status=OutboxEmail.Status.RETRY, retry_after__lte=now)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = 0
    for email_id in list(ids[:500]):
        sent += outbox_send(email_id=email_id)
    return sent


class OutboxError(DomainError):
    """A refused operation on the outbox."""


def outbox_resend(*, email: OutboxEmail, agent) -> OutboxEmail:
    """Put a FAILED e-mail back in the queue (attempts reset); it is sent after commit."""
    with transaction.atomic():
        reset = OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.FAILED).update(
            status=OutboxEmail.Status.PENDING,
            attempts=0,
            retry_after=None,
            claimed_at=None,
            smtp_code=None,
            last_error="",
        )
        if not reset:
            raise OutboxError(_("Seul un e-mail en échec peut être renvoyé."), code="not_failed")
        event_record(
            collectivity=email.collectivity,
            family_id=email.family_id,
            subject=email,
            verb="email_resent",
            actor=agent,
            message=_("E-mail « %(subject)s » renvoyé.") % {"subject": email.subject},
        )
        transaction.on_commit(lambda: _enqueue_send(email.pk))
    email.refresh_from_db()
    return email


# --- « Mes demandes »: messages, reads, preferences

MESSAGE_MAX_LENGTH = 2000


class MessageError(DomainError):
    """A message to a family that cannot be sent."""


def request_message_send(*, collectivity, kind, subject, agent, text: str) -> TimelineEvent:
    """An agent writes to the family about a request without deciding it: the family reads it
    in the request's history (« informations apportées par votre collectivité ») and in its
    next digest (or at once, by choice). ``subject`` was found through the agent's scope of
    ``collectivity``."""
    text = (text or "").strip()
    if not text:
        raise MessageError(_("Écrivez le message à la famille."), code="empty")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessageError(
            _("Le message est trop long (%(max)s caractères au plus).")
            % {"max": MESSAGE_MAX_LENGTH},
            code="too_long",
        )
    row = kind.row(subject)
    with transaction.atomic():
        return event_record(
            collectivity=collectivity,
            family_id=row.family_id,
            account=_account(row),
            subject=subject,
            actor=agent,
            verb="agent_message",
            message=text,
            digest=True,
        )


def _account(row):
    from django.contrib.auth import get_user_model

    if row.family_id is not None or row.account_id is None:
        return None
    return get_user_model().objects.filter(pk=row.account_id).first()


def request_read_mark(*, account, kind, pk: int) -> None:
    """This account opened the request's history: what is there now is read (for it only)."""
    from .models import RequestRead

    RequestRead.objects.update_or_create(
        user=account,
        subject_type=kind.content_type,
        subject_id=pk,
        defaults={"read_at": timezone.now()},
    )


def preference_set(*, account, decisions: str):
    from .models import NotificationPreference

    if decisions not in NotificationPreference.Decisions.values:
        raise MessageError(_("Choisissez comment recevoir les décisions."), code="invalid")
    preference, _created = NotificationPreference.objects.update_or_create(
        user=account, defaults={"decisions": decisions}
    )
    return preference
