"""What pieces tells notifications (registered in ``PiecesConfig.ready()``): its documents as
a kind of request in « Mes demandes » and in the digests."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.registry import RequestKind, RequestRow, request_kind_register

from .models import SupportingDocument
from .services.documents import document_title, document_url

Status = SupportingDocument.Status
# The document's states on the statuses every kind shares.
STATUS_MAP = {
    Status.MISSING: "cancelled",
    Status.PENDING: "pending",
    Status.ACCEPTED: "accepted",
    Status.REFUSED: "refused",
    Status.OBSOLETE: "accepted",
}


def _describe(document: SupportingDocument) -> RequestRow:
    return RequestRow(
        kind="document",
        pk=document.pk,
        title=_("Pièce justificative : %(title)s") % {"title": document_title(document)},
        status=STATUS_MAP.get(document.status, "pending"),
        created_at=document.submitted_at or document.created_at,
        changed_at=document.decided_at or document.submitted_at or document.created_at,
        family_id=document.family_id,
        children=(document.child.first_name,) if document.child_id else (),
        account_id=document.submitted_by_id,
        url=document_url(document.document_type, document.child, document.family),
    )


def _mine(queryset, *, account, families):
    return queryset.filter(family__in=families)


def register() -> None:
    request_kind_register(
        RequestKind(
            code="document",
            label=gettext_lazy("Pièce justificative"),
            model=SupportingDocument,
            queryset=lambda: SupportingDocument.objects.select_related(
                "document_type", "child", "family"
            ).exclude(status=Status.MISSING),
            mine=_mine,
            describe=_describe,
            order=60,
        )
    )
