"""What pieces adds to family (``family.hooks``): where the collectivity lets parents change
their fiscal data, the change request carries its supporting document (tax notice, CAF
certificate), and the agent sees it beside « ancien → nouveau »; and a mandatory document
marked « bloque les nouvelles pré-inscriptions » blocks them while it is missing."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from family.hooks import change_attachment_register, enrolment_blocker_register
from family.models import ChangeRequest
from family.services.changes import DossierError

from .files import accept_attribute, max_bytes
from .forms import MultipleFileField
from .models import DocumentFile, DocumentType, SupportingDocument
from .selectors import missing_blocking_documents
from .services import DocumentError, document_upload
from .services.documents import document_title

FILE_FIELD, TYPE_FIELD = "justificatif", "justificatif_type"


def _proof_types(family):
    return list(
        DocumentType.objects.filter(
            collectivity_id=family.collectivity_id,
            active=True,
            fiscal_proof=True,
            holder=DocumentType.Holder.FAMILY,
        ).order_by("order", "name", "pk")
    )


class FiscalProof:
    def form_fields(self, *, family, target) -> dict:
        if target != ChangeRequest.Target.FISCAL or not family.collectivity.module_documents:
            return {}
        types = _proof_types(family)
        if not types:
            return {}
        formats = sorted({f for t in types for f in t.formats})
        upload = MultipleFileField(
            label=gettext_lazy("Pièce justificative (avis d’imposition, attestation CAF…)"),
            help_text=_("Un ou plusieurs fichiers ; %(max)s Mo au maximum chacun.")
            % {"max": f"{max_bytes() / (1024 * 1024):g}".replace(".", ",")},
            error_messages={"required": _("Joignez la pièce justificative de cette modification.")},
        )
        upload.widget.attrs.update({"accept": accept_attribute(formats), "multiple": True})
        fields = {}
        if len(types) > 1:
            fields[TYPE_FIELD] = forms.TypedChoiceField(
                label=gettext_lazy("Type de pièce justificative"),
                choices=[(t.pk, t.name) for t in types],
                coerce=int,
            )
        fields[FILE_FIELD] = upload
        return fields

    def attach(self, *, change_request, data, by) -> None:
        uploads = data.get(FILE_FIELD)
        if not uploads:
            return
        types = {t.pk: t for t in _proof_types(change_request.family)}
        chosen = data.get(TYPE_FIELD) or next(iter(types), None)
        if chosen not in types:
            raise DossierError(_("Choisissez le type de pièce justificative."))
        try:
            document_upload(
                family=change_request.family,
                document_type=types[chosen],
                uploads=uploads,
                by=by,
                replace=True,
                change_request=change_request,
            )
        except DocumentError as error:
            raise DossierError(error.message) from error

    def describe(self, *, change_request) -> list[dict]:
        documents = SupportingDocument.objects.filter(change_request=change_request).select_related(
            "document_type", "family", "child"
        )
        items = []
        for document in documents:
            files = DocumentFile.objects.filter(document=document, current=True).order_by("pk")
            items.append(
                {
                    "title": document_title(document),
                    "state": document.state_label,
                    "url": reverse("pieces_admin:document", args=[document.pk]),
                    "files": [
                        {
                            "name": row.original_name,
                            "inline_url": reverse("pieces_admin:file_inline", args=[row.pk]),
                            "download_url": reverse("pieces_admin:file_download", args=[row.pk]),
                            "ready": row.scan == DocumentFile.Scan.CLEAN,
                            "is_image": row.is_image,
                        }
                        for row in files
                    ],
                }
            )
        return items


def enrolment_blocker(*, child, activity) -> list[str]:
    """The names of the blocking mandatory documents this child's family has not provided."""
    return [t.name for t in missing_blocking_documents(child=child, activity_id=activity.pk)]


def register() -> None:
    change_attachment_register(FiscalProof())
    enrolment_blocker_register(enrolment_blocker)
