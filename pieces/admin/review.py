"""Agents' review of supporting documents (``/admin/pieces/``): the queue with its filters and
bulk decisions, one document's page with its files shown in a sandboxed frame, accept or refuse
with a reason, and a document received on paper. Every row comes through
``request.scope.agent``: another collectivity's document, file or family answers 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from csp.decorators import csp_exempt

from family.models import Child, Family
from portal.forms import BulkDecisionForm
from portal.views_helpers import bulk_error, queue_back_url, queue_filters, run_action

from .. import selectors
from ..forms import AcceptForm, PaperForm, RefusalForm
from ..models import DocumentFile, DocumentType, SupportingDocument
from ..services import (
    DocumentError,
    document_accept,
    document_paper_record,
    document_refuse,
    documents_accept_bulk,
)
from ..services.documents import document_title
from ..views import file_response

PAGE_SIZE = 50
Status = SupportingDocument.Status
# A file shown in the review page's frame: no script, no plugin, nothing but the file itself.
# (``sandbox`` without any ``allow-*``: a unique origin, no script, no form, no navigation.)
FILE_FRAME_POLICY = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"
)
# A PDF: browsers draw it with their own viewer, which a ``sandbox`` refuses to start (Chromium
# shows nothing), and which takes the page's focus when framed (the agent's first click on
# « Accepter » was lost). So a PDF opens in its own tab: its bytes were checked to be a PDF at
# upload and it is served as ``application/pdf`` with ``nosniff``, so it can never be read as
# HTML, and nothing else may load from it.
PDF_FRAME_POLICY = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"


@require_GET
def queue(request):
    """« Pièces à valider »: documents « En cours de validation » first (oldest sent first),
    filtered by state, type and family (GET), 50 a page, a fixed number of queries."""
    documents = request.scope.agent(SupportingDocument).exclude(status=Status.MISSING)
    state = request.GET.get("etat", Status.PENDING)
    if state not in Status.values:
        state = ""
    type_id = request.GET.get("document", "")
    type_id = int(type_id) if type_id.isdigit() else None
    search = request.GET.get("famille_nom", "").strip()[:100]
    rows = selectors.review_queue(documents, state=state, type_id=type_id, search=search)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("p"))
    response = render(
        request,
        "pieces/admin/queue.html",
        {
            "page_title": _("Pièces justificatives à valider"),
            "header_icon": "doc-full",
            "page": page,
            "state": state,
            "states": [c for c in Status.choices if c[0] != Status.MISSING],
            "type_id": type_id,
            "types": request.scope.agent(DocumentType).order_by("order", "name"),
            "search": search,
            "filter_query": queue_filters(request),
        },
    )
    add_never_cache_headers(response)
    return response


def _document(request, pk: int) -> SupportingDocument:
    return get_object_or_404(
        request.scope.agent(SupportingDocument).select_related(
            "family", "child", "document_type", "decided_by", "change_request"
        ),
        pk=pk,
    )


def _detail(request, document, *, refusal_form=None, accept_form=None, status=200):
    response = render(
        request,
        "pieces/admin/document.html",
        {
            "page_title": document_title(document),
            "page_subtitle": document.family.name,
            "header_icon": "doc-full",
            "document": document,
            "files": list(document.files.filter(current=True).order_by("uploaded_at", "pk")),
            "refusal_form": refusal_form or RefusalForm(),
            "accept_form": accept_form or AcceptForm(),
            "queue_url": reverse("pieces_admin:queue"),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response


@require_GET
def document_detail(request, pk: int):
    return _detail(request, _document(request, pk))


@require_POST
def document_accept_view(request, pk: int):
    document = _document(request, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _detail(request, document, accept_form=form, status=400)
    return run_action(
        request,
        lambda: document_accept(
            document=document, by=request.user, document_date=form.cleaned_data["document_date"]
        ),
        errors=DocumentError,
        error_url=reverse("pieces_admin:document", args=[document.pk]),
        done=_("Pièce validée : %(title)s (famille %(family)s).")
        % {"title": document_title(document), "family": document.family.name},
        done_url=reverse("pieces_admin:queue"),
    )


@require_POST
def document_refuse_view(request, pk: int):
    document = _document(request, pk)
    form = RefusalForm(request.POST)
    if not form.is_valid():
        return _detail(request, document, refusal_form=form, status=400)
    return run_action(
        request,
        lambda: document_refuse(
            document=document, by=request.user, reason=form.cleaned_data["reason"]
        ),
        errors=DocumentError,
        error_url=reverse("pieces_admin:document", args=[document.pk]),
        done=_("Pièce refusée : %(title)s (famille %(family)s). La famille lira le motif.")
        % {"title": document_title(document), "family": document.family.name},
        done_url=reverse("pieces_admin:queue"),
    )


@require_POST
def queue_bulk(request):
    """« Accepter la sélection » / « Refuser la sélection »: each document through its service."""
    back = queue_back_url(request, "pieces_admin:queue")
    form = BulkDecisionForm(
        request.POST, item_field="document", empty_message=_("Cochez au moins une pièce.")
    )
    if not form.is_valid():
        messages.error(request, bulk_error(form, reason_missing=_("Indiquez le motif du refus.")))
        return redirect(back)
    selected = list(
        request.scope.agent(SupportingDocument)
        .select_related("family", "child", "document_type")
        .filter(pk__in=form.cleaned_data["ids"])
        .order_by("submitted_at", "pk")
    )
    if form.accept:
        done, failures = documents_accept_bulk(documents=selected, by=request.user)
    else:
        done, failures = [], []
        for document in selected:
            try:
                done.append(
                    document_refuse(
                        document=document, by=request.user, reason=form.cleaned_data["reason"]
                    )
                )
            except DocumentError as error:
                failures.append((document, error.message))
    if done:
        messages.success(
            request,
            (
                _("%(count)s pièce(s) validée(s).")
                if form.accept
                else _("%(count)s pièce(s) refusée(s).")
            )
            % {"count": len(done)},
        )
    if failures:
        messages.error(
            request,
            _("%(count)s pièce(s) non traitée(s) :") % {"count": len(failures)}
            + " "
            + " ; ".join(
                f"{document.family.name}, {document_title(document)} : {why}"
                for document, why in failures[:20]
            ),
        )
    return redirect(back)


def _file(request, pk: int) -> DocumentFile:
    row = get_object_or_404(request.scope.agent(DocumentFile), pk=pk)
    if row.scan != DocumentFile.Scan.CLEAN:
        raise Http404(_("Ce fichier n’a pas encore passé l’analyse antivirus."))
    return row


@require_GET
@xframe_options_sameorigin
@csp_exempt()
def file_inline(request, pk: int):
    """The file as the review page's frame shows it: its checked type (a PDF or an image, never
    HTML), ``nosniff``, a ``sandbox`` policy, framed by this site only."""
    row = _file(request, pk)
    response = file_response(row, inline=True)
    pdf = row.content_type == "application/pdf"
    response["Content-Security-Policy"] = PDF_FRAME_POLICY if pdf else FILE_FRAME_POLICY
    return response


@require_GET
def file_download(request, pk: int):
    return file_response(_file(request, pk))


@require_http_methods(["GET", "POST"])
def paper_add(request, pk: int):
    """« Ajouter un document reçu sur papier » for one family."""
    family = get_object_or_404(request.scope.agent(Family), pk=pk)
    form = PaperForm(
        request.POST or None,
        request.FILES or None,
        types=request.scope.agent(DocumentType).filter(active=True).order_by("order", "name"),
        children=request.scope.agent(Child).filter(family=family).order_by("birth_date", "pk"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = document_paper_record(
                family=family,
                document_type=data["document_type"],
                child=data["child"],
                by=request.user,
                document_date=data["document_date"],
                uploads=data["fichiers"],
            )
        except DocumentError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Document reçu sur papier enregistré : %(title)s.")
                % {"title": document_title(document)},
            )
            return redirect("pieces_admin:document", pk=document.pk)
    return render(
        request,
        "pieces/admin/paper_form.html",
        {
            "page_title": _("Ajouter un document reçu sur papier"),
            "page_subtitle": family.name,
            "header_icon": "doc-full",
            "form": form,
            "family": family,
            "cancel_url": reverse("family_admin:detail", args=[family.pk]),
        },
        status=400 if form.errors else 200,
    )
