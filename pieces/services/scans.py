"""The antivirus check of a stored file (a django-q2 task after the upload's commit, and a
sweep that retries the files still waiting): clean → the agents may open it; infected → the
file is deleted, the document loses it and the family is told; scanner unreachable → the file
keeps waiting (fails closed)."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from family.photos import file_delete_on_commit
from notifications.registry import family_emails
from notifications.services import email_queue, event_record

from ..antivirus import ScannerUnavailable, scan_bytes, scanner_enabled
from ..models import DocumentFile, SupportingDocument
from .documents import document_title, document_url

logger = logging.getLogger(__name__)
Scan = DocumentFile.Scan
RETRY_AFTER = datetime.timedelta(minutes=2)


def file_scan(*, file_id: int) -> str:
    """Scan one waiting file; returns its scan state."""
    row = DocumentFile.objects.filter(pk=file_id).first()
    if row is None or row.scan != Scan.PENDING:
        return row.scan if row else ""
    if not scanner_enabled():
        # The scanner was switched off since the upload: nothing can clear the file.
        return row.scan
    with row.file.open("rb") as handle:
        data = handle.read()
    try:
        clean, signature = scan_bytes(data)
    except ScannerUnavailable as error:
        DocumentFile.objects.filter(pk=row.pk).update(scan_attempts=row.scan_attempts + 1)
        logger.warning("clamd unreachable for document file %s: %s", row.pk, error)
        return Scan.PENDING
    if clean:
        DocumentFile.objects.filter(pk=row.pk, scan=Scan.PENDING).update(
            scan=Scan.CLEAN, scanned_at=timezone.now(), scan_attempts=row.scan_attempts + 1
        )
        return Scan.CLEAN
    _infected(row, signature)
    return Scan.INFECTED


def _infected(row: DocumentFile, signature: str) -> None:
    with transaction.atomic():
        document = SupportingDocument.objects.select_for_update().get(pk=row.document_id)
        updated = DocumentFile.objects.filter(pk=row.pk, scan=Scan.PENDING).update(
            scan=Scan.INFECTED,
            current=False,
            scanned_at=timezone.now(),
            scan_result=signature[:200],
        )
        if not updated:
            return
        file_delete_on_commit(row.file)
        if (
            document.status == SupportingDocument.Status.PENDING
            and not document.files.filter(current=True).exists()
        ):
            document.status = SupportingDocument.Status.MISSING
            document.save(update_fields=["status", "updated_at"])
        family = document.family
        title = document_title(document)
        event_record(
            collectivity=family.collectivity,
            family_id=family.pk,
            subject=document,
            verb="document_file_infected",
            message=_(
                "Fichier refusé par l’antivirus : %(name)s (%(title)s). Il a été supprimé ; "
                "envoyez un autre fichier."
            )
            % {"name": row.original_name, "title": title},
            data={"signature": signature},
        )
        to = family_emails(family.pk)
        if to:
            email_queue(
                template="pieces/file_infected",
                context={"title": title, "name": row.original_name},
                collectivity=family.collectivity,
                family=family,
                to=to,
                link=document_url(document.document_type, document.child, family),
                idempotency_key=f"document_file_infected:{row.pk}",
            )


def scans_retry(*, now=None) -> int:
    """The files still waiting for their scan (the scanner was unreachable): try again."""
    if not scanner_enabled():
        return 0
    now = now or timezone.now()
    waiting = DocumentFile.objects.filter(
        scan=Scan.PENDING, uploaded_at__lte=now - RETRY_AFTER
    ).values_list("pk", flat=True)
    return sum(file_scan(file_id=pk) != Scan.PENDING for pk in list(waiting))
