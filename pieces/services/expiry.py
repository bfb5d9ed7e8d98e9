"""The daily task's services: documents past their end of validity become « Obsolète », and the
family is e-mailed once, 30 days before a mandatory document expires."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.models import OutboxEmail
from notifications.registry import family_emails
from notifications.services import email_queue, event_record

from ..models import SupportingDocument
from .documents import document_title, document_url

Status = SupportingDocument.Status
REMINDER_DAYS = 30


def documents_expire(*, today: datetime.date) -> int:
    """« Transmis » documents whose end of validity has passed → « Obsolète » (with their
    event), in the current scope."""
    count = 0
    expired = SupportingDocument.objects.filter(
        status=Status.ACCEPTED, valid_until__lt=today
    ).select_related("family__collectivity", "document_type", "child")
    for document in expired:
        with transaction.atomic():
            changed = SupportingDocument.objects.filter(
                pk=document.pk, status=Status.ACCEPTED
            ).update(status=Status.OBSOLETE)
            if not changed:
                continue
            event_record(
                collectivity=document.family.collectivity,
                family_id=document.family_id,
                subject=document,
                verb="document_obsolete",
                message=_("Pièce justificative obsolète : %(title)s (fin de validité le %(date)s).")
                % {
                    "title": document_title(document),
                    "date": document.valid_until.strftime("%d/%m/%Y"),
                },
            )
            count += 1
    return count


def reminder_key(document) -> str:
    return f"document_expiry:{document.pk}:{document.valid_until.isoformat()}"


def documents_remind(*, today: datetime.date) -> int:
    """One e-mail per mandatory « Transmis » document that expires within 30 days, once (the
    idempotency key names the document and its end of validity: a document renewed later gets
    its own reminder)."""
    horizon = today + datetime.timedelta(days=REMINDER_DAYS)
    due = list(
        SupportingDocument.objects.filter(
            status=Status.ACCEPTED,
            document_type__mandatory=True,
            valid_until__gte=today,
            valid_until__lte=horizon,
        ).select_related("family__collectivity", "document_type", "child")
    )
    if not due:
        return 0
    sent = set(
        OutboxEmail.objects.filter(
            idempotency_key__in=[reminder_key(document) for document in due]
        ).values_list("idempotency_key", flat=True)
    )
    count = 0
    for document in due:
        key = reminder_key(document)
        to = family_emails(document.family_id)
        if key in sent or not to:
            continue
        with transaction.atomic():
            email_queue(
                template="pieces/document_expiring",
                context={
                    "title": document_title(document),
                    "valid_until": document.valid_until,
                },
                collectivity=document.family.collectivity,
                family=document.family,
                to=to,
                link=document_url(document.document_type, document.child, document.family),
                idempotency_key=key,
            )
            event_record(
                collectivity=document.family.collectivity,
                family_id=document.family_id,
                subject=document,
                verb="document_expiring",
                message=_("Rappel : %(title)s arrive en fin de validité le %(date)s.")
                % {
                    "title": document_title(document),
                    "date": document.valid_until.strftime("%d/%m/%Y"),
                },
            )
        count += 1
    return count
