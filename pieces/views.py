"""« Espace famille » → « Pièces justificatives »: what the collectivity asks of the family and
of each child, each document's page (its files, « Ajouter » / « Remplacer »), and the files,
served only through these views. Every row comes through ``request.scope``."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from family.decorators import family_required
from family.models import Child

from . import selectors
from .files import accept_attribute, max_bytes
from .forms import DocumentFilterForm, UploadForm
from .models import DocumentFile, DocumentType, Format, SupportingDocument
from .services import DocumentError, document_file_remove, document_upload
from .services.documents import document_url


def _types(request):
    return selectors.types_for_page(request.scope.rows(DocumentType))


@family_required
@require_GET
def index(request):
    family = request.scope.family
    types = list(_types(request))
    form = DocumentFilterForm(request.GET or None, types=[t for t in types if t.active])
    children = request.scope.parent(Child).filter(family=family).order_by("birth_date", "pk")
    documents = selectors.family_documents(
        request.scope.parent(SupportingDocument).filter(family=family)
    )
    items = selectors.family_items(
        family=family,
        types=types,
        children=children,
        documents=documents,
        today=timezone.localdate(),
    )
    shown = selectors.items_filtered(items, **form.filters())
    groups = [(None, [item for item in shown if item.child is None])]
    for child in children:
        groups.append((child, [item for item in shown if item.child == child]))
    return render(
        request,
        "pieces/index.html",
        {
            "family": family,
            "form": form,
            "groups": [(child, rows) for child, rows in groups if rows],
            "filtered": any(request.GET.get(key) for key in ("etat", "document", "obligatoire")),
            "total": len(items),
        },
    )


def _document_page(request, *, family, document_type, child):
    document = (
        selectors.family_documents(request.scope.parent(SupportingDocument))
        .filter(family=family, document_type=document_type, child=child)
        .first()
    )
    upload_kwargs = {
        "accept": accept_attribute(document_type.formats),
        "max_mb": f"{max_bytes() / (1024 * 1024):g}".replace(".", ","),
    }
    form = UploadForm(**upload_kwargs)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, **upload_kwargs)
        if form.is_valid():
            try:
                document_upload(
                    family=family,
                    document_type=document_type,
                    child=child,
                    uploads=form.cleaned_data["fichiers"],
                    by=request.user,
                    replace=form.cleaned_data["remplacer"],
                )
            except DocumentError as error:
                form.add_error("fichiers", error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Document envoyé : il est « En cours de validation » par votre collectivité."
                    ),
                )
                return redirect(document_url(document_type, child, family))
        status = 400
    state = document.state if document else SupportingDocument.Status.MISSING
    response = render(
        request,
        "pieces/document.html",
        {
            "family": family,
            "document_type": document_type,
            "child": child,
            "document": document,
            "state": state,
            "state_label": SupportingDocument.Status(state).label,
            "files": document.current_files if document else [],
            "form": form,
            "index_url": reverse("pieces:index") + f"?famille={family.pk}",
            "photo_accept": "image/*" if Format.JPEG in document_type.formats else "",
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@family_required
@require_http_methods(["GET", "POST"])
def family_document(request, type):  # noqa: A002 -- the URL's own word
    document_type = get_object_or_404(_types(request), pk=type, holder=DocumentType.Holder.FAMILY)
    return _document_page(
        request, family=request.scope.family, document_type=document_type, child=None
    )


@family_required
@require_http_methods(["GET", "POST"])
def child_document(request, type, child_id):  # noqa: A002
    child = get_object_or_404(request.scope.parent(Child).select_related("family"), pk=child_id)
    document_type = get_object_or_404(_types(request), pk=type, holder=DocumentType.Holder.CHILD)
    return _document_page(request, family=child.family, document_type=document_type, child=child)


def _file(request, pk: int) -> DocumentFile:
    return get_object_or_404(
        request.scope.parent(DocumentFile).select_related("document__document_type"),
        pk=pk,
        current=True,
    )


def file_response(row: DocumentFile, *, inline: bool = False) -> FileResponse:
    """The stored file with its checked type, never sniffed, never cached."""
    response = FileResponse(
        row.file.open("rb"),
        as_attachment=not inline,
        filename=row.download_name,
        content_type=row.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    return response


@family_required
@require_GET
def file_download(request, pk: int):
    row = _file(request, pk)
    if row.scan != DocumentFile.Scan.CLEAN:
        raise Http404(_("Ce fichier est en cours d’analyse antivirus."))
    return file_response(row)


@family_required
@require_POST
def file_remove(request, pk: int):
    row = _file(request, pk)
    document = row.document
    try:
        document_file_remove(file=row, by=request.user)
    except DocumentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Fichier retiré : %(name)s.") % {"name": row.original_name})
    child = (
        request.scope.parent(Child).filter(pk=document.child_id).first()
        if document.child_id
        else None
    )
    return redirect(document_url(document.document_type, child, document.family))
