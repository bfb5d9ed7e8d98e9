"""A document's life: the family (or an agent, for a paper one) sends files, an agent accepts
or refuses it; each step is one transaction with its timeline event and its e-mail or digest
decision. Allowed moves:

- send files (``document_upload``): from every state → « En cours de validation »; from a
  decided state (or with ``replace``) the files sent before are set aside;
- ``document_accept``: « En cours de validation » → « Transmis », every current file scanned
  clean; the end of validity follows the type's rule from the document's date;
- ``document_refuse``: « En cours de validation » → « Invalide », with the reason;
- ``document_paper_record`` (an agent): from every state → « Transmis », received on paper;
- the daily task: « Transmis » past its end of validity → « Obsolète » (``expiry``).
"""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from family.photos import file_delete_on_commit
from notifications.registry import family_emails
from notifications.services import email_queue, event_record
from portal.errors import refusal_reason

from ..antivirus import scanner_enabled
from ..files import DocumentError, file_check, max_files
from ..models import DocumentFile, DocumentType, SupportingDocument

Status = SupportingDocument.Status


def document_url(document_type: DocumentType, child=None, family=None) -> str:
    if child is not None:
        return reverse("pieces:child_document", args=[document_type.pk, child.pk])
    url = reverse("pieces:family_document", args=[document_type.pk])
    return f"{url}?famille={family.pk}" if family is not None else url


def document_title(document: SupportingDocument) -> str:
    if document.child_id:
        return _("%(type)s de %(child)s") % {
            "type": document.document_type.name,
            "child": document.child.first_name,
        }
    return document.document_type.name


def _event(document, *, actor, verb, message, digest=False, data=None):
    return event_record(
        collectivity=document.family.collectivity,
        family_id=document.family_id,
        subject=document,
        actor=actor,
        verb=verb,
        message=message,
        data=data or {},
        digest=digest,
    )


def _check_holder(*, family, document_type: DocumentType, child) -> None:
    if not family.collectivity.module_documents:
        raise DocumentError(_("Votre collectivité ne propose pas les pièces justificatives."))
    if document_type.collectivity_id != family.collectivity_id:
        raise DocumentError(_("Ce document n’est pas demandé par votre collectivité."))
    if child is not None and child.family_id != family.pk:
        raise DocumentError(_("Cet enfant n’appartient pas à cette famille."))
    if (document_type.holder == DocumentType.Holder.CHILD) != (child is not None):
        raise DocumentError(
            _("Ce document est demandé pour chaque enfant.")
            if child is None
            else _("Ce document est demandé pour la famille, pas pour un enfant.")
        )


def _locked_document(*, family, document_type, child) -> SupportingDocument:
    """The document of (family, type, child), created « A compléter » when missing, locked."""
    document, _created = SupportingDocument.objects.get_or_create(
        family=family, document_type=document_type, child=child
    )
    return SupportingDocument.objects.select_for_update().get(pk=document.pk)


def _set_aside(document: SupportingDocument) -> None:
    """The files sent before leave the document; their content is deleted after commit."""
    for old in document.files.filter(current=True):
        old.current = False
        old.save(update_fields=["current"])
        file_delete_on_commit(old.file)


def _store(document, checked, *, by) -> DocumentFile:
    row = DocumentFile(
        document=document,
        content_type=checked.content_type,
        size=checked.size,
        original_name=checked.original_name,
        uploaded_by=by,
        scan=DocumentFile.Scan.PENDING if scanner_enabled() else DocumentFile.Scan.CLEAN,
    )
    row.file.save("upload", checked.content, save=False)
    row.save()
    if scanner_enabled():
        transaction.on_commit(lambda: _scan_enqueue(row.pk))
    return row


def _scan_enqueue(file_id: int) -> None:
    from django_q.tasks import async_task

    async_task("pieces.tasks.file_scan", file_id)


def document_upload(
    *, family, document_type, child=None, uploads, by, replace=False, change_request=None
) -> SupportingDocument:
    """Send one or more files for a document: it becomes « En cours de validation »."""
    uploads = [upload for upload in uploads if upload]
    if not uploads:
        raise DocumentError(_("Choisissez au moins un fichier."))
    if len(uploads) > max_files():
        raise DocumentError(_("%(count)s fichiers au maximum par envoi.") % {"count": max_files()})
    _check_holder(family=family, document_type=document_type, child=child)
    if not document_type.active:
        raise DocumentError(_("Ce document n’est plus demandé par votre collectivité."))
    # Every file checked before anything is written: one bad file, nothing stored.
    checked = [file_check(upload, formats=document_type.formats) for upload in uploads]
    with transaction.atomic():
        document = _locked_document(family=family, document_type=document_type, child=child)
        kept = document.files.filter(current=True).count()
        if replace or document.status != Status.PENDING:
            _set_aside(document)
            kept = 0
        if kept + len(checked) > max_files() * 2:
            raise DocumentError(_("Ce document a déjà trop de fichiers : remplacez-les."))
        stored = [_store(document, item, by=by) for item in checked]
        document.status = Status.PENDING
        document.refusal_reason = ""
        document.submitted_at = timezone.now()
        document.submitted_by = by
        document.decided_at = None
        document.decided_by = None
        document.received_on_paper = False
        if change_request is not None:
            document.change_request = change_request
        document.save()
        title = document_title(document)
        _event(
            document,
            actor=by,
            verb="document_submitted",
            message=_("Pièce justificative envoyée : %(title)s (%(count)s fichier(s)).")
            % {"title": title, "count": len(stored)},
            data={"files": [row.pk for row in stored]},
        )
        to = [by.email] if getattr(by, "email", "") else family_emails(family.pk)
        if to:
            email_queue(
                template="pieces/document_received",
                context={
                    "title": title,
                    "files": [row.original_name for row in stored],
                    "scanning": scanner_enabled(),
                    "recipient_name": by.get_full_name() if by is not None else "",
                },
                collectivity=family.collectivity,
                family=family,
                to=to,
                link=document_url(document_type, child, family),
            )
    return document


def document_file_remove(*, file: DocumentFile, by) -> SupportingDocument:
    """Take one file back from a document still « En cours de validation » (a wrong page);
    its last file cannot be taken back: send another one instead (« Remplacer »)."""
    with transaction.atomic():
        document = SupportingDocument.objects.select_for_update().get(pk=file.document_id)
        if document.status != Status.PENDING or not file.current:
            raise DocumentError(
                _("Ce fichier ne peut plus être retiré : le document a été traité.")
            )
        if document.files.filter(current=True).count() <= 1:
            raise DocumentError(
                _("C’est le seul fichier de ce document : envoyez-en un autre pour le remplacer.")
            )
        file.current = False
        file.save(update_fields=["current"])
        file_delete_on_commit(file.file)
        _event(
            document,
            actor=by,
            verb="document_file_removed",
            message=_("Fichier retiré : %(name)s.") % {"name": file.original_name},
        )
    return document


def _locked_pending(document) -> SupportingDocument:
    locked = SupportingDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status != Status.PENDING:
        raise DocumentError(
            _("Ce document a déjà été traité (%(state)s).") % {"state": locked.state_label}
        )
    return locked


def document_accept(*, document, by, document_date: datetime.date | None = None):
    """« Transmis »: taken into the family's record until its end of validity."""
    today = timezone.localdate()
    document_date = document_date or today
    if document_date > today:
        raise DocumentError(_("La date du document ne peut pas être dans le futur."))
    with transaction.atomic():
        locked = _locked_pending(document)
        files = list(locked.files.filter(current=True))
        if not files:
            raise DocumentError(_("Ce document n’a aucun fichier à valider."))
        if any(f.scan != DocumentFile.Scan.CLEAN for f in files):
            raise DocumentError(
                _("L’analyse antivirus d’un fichier est en cours : réessayez dans un instant.")
            )
        locked.status = Status.ACCEPTED
        locked.document_date = document_date
        locked.valid_until = locked.document_type.valid_until(document_date)
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.refusal_reason = ""
        locked.save()
        if locked.valid_until:
            message = _("Pièce justificative validée : %(title)s, valable jusqu’au %(date)s.") % {
                "title": document_title(locked),
                "date": locked.valid_until.strftime("%d/%m/%Y"),
            }
        else:
            message = _("Pièce justificative validée : %(title)s.") % {
                "title": document_title(locked)
            }
        _event(locked, actor=by, verb="document_accepted", message=message, digest=True)
    return locked


def document_refuse(*, document, by, reason: str):
    """« Invalide », with the reason the family reads."""
    reason = refusal_reason(
        reason, error=DocumentError, message=_("Indiquez le motif du refus : la famille le lira.")
    )
    with transaction.atomic():
        locked = _locked_pending(document)
        locked.status = Status.REFUSED
        locked.refusal_reason = reason
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.save()
        _event(
            locked,
            actor=by,
            verb="document_refused",
            message=_("Pièce justificative refusée : %(title)s. Motif : %(reason)s")
            % {"title": document_title(locked), "reason": reason},
            digest=True,
            data={"reason": reason},
        )
    return locked


def documents_accept_bulk(*, documents, by) -> tuple[list, list]:
    """« Accepter la sélection »: each document on its own (one refused does not stop the
    others); returns (accepted, [(document, reason)])."""
    accepted, failures = [], []
    for document in documents:
        try:
            accepted.append(document_accept(document=document, by=by))
        except DocumentError as error:
            failures.append((document, error.message))
    return accepted, failures


def document_paper_record(
    *, family, document_type, child=None, by, document_date: datetime.date, uploads=()
) -> SupportingDocument:
    """An agent records a document received on paper (a scan may be attached): « Transmis »."""
    _check_holder(family=family, document_type=document_type, child=child)
    if document_date is None:
        raise DocumentError(_("Indiquez la date du document."))
    if document_date > timezone.localdate():
        raise DocumentError(_("La date du document ne peut pas être dans le futur."))
    checked = [file_check(upload, formats=document_type.formats) for upload in uploads if upload]
    with transaction.atomic():
        document = _locked_document(family=family, document_type=document_type, child=child)
        _set_aside(document)
        for item in checked:  # an agent's scan goes through the antivirus as well
            _store(document, item, by=by)
        document.status = Status.ACCEPTED
        document.received_on_paper = True
        document.refusal_reason = ""
        document.document_date = document_date
        document.valid_until = document_type.valid_until(document_date)
        document.submitted_at = document.decided_at = timezone.now()
        document.submitted_by = document.decided_by = by
        document.save()
        _event(
            document,
            actor=by,
            verb="document_paper",
            message=_("Pièce justificative reçue sur papier et validée : %(title)s.")
            % {"title": document_title(document)},
            digest=True,
        )
    return document
