"""Agents' back office for the collectivity's document types (« Types de documents »): list,
add, edit. Every type comes through ``request.scope.agent(...)``."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms import DocumentTypeForm
from ..models import DocumentType
from ..services import DocumentError, document_type_create, document_type_update


def _types_url() -> str:
    return reverse("pieces_admin:types")


def _activities(request):
    from django.apps import apps

    # planning's activities, by the app registry (pieces does not import planning).
    activity = apps.get_model("planning", "Activity")
    return request.scope.agent(activity).order_by("name", "pk")


@require_http_methods(["GET"])
def types(request):
    rows = (
        request.scope.agent(DocumentType)
        .prefetch_related("activities")
        .order_by("order", "name", "pk")
    )
    return render(
        request,
        "pieces/admin/types.html",
        {"page_title": _("Types de documents"), "header_icon": "doc-full", "types": rows},
    )


def _form_page(request, form, *, document_type=None, status=200):
    return render(
        request,
        "pieces/admin/type_form.html",
        {
            "page_title": _("Modifier un type de document")
            if document_type
            else _("Ajouter un type de document"),
            "header_icon": "doc-full",
            "form": form,
            "document_type": document_type,
            "cancel_url": _types_url(),
        },
        status=status,
    )


def _save(request, form, save):
    data = dict(form.cleaned_data)
    activities = list(data.pop("activities") or [])
    try:
        saved = save(activities=activities, **data)
    except DocumentError as error:
        form.add_error(None, error.message)
        return None
    messages.success(request, _("Type de document enregistré : %(name)s.") % {"name": saved.name})
    return redirect(_types_url())


@require_http_methods(["GET", "POST"])
def type_add(request):
    activities = _activities(request)
    form = DocumentTypeForm(
        request.POST or None,
        activities=activities,
        initial={"active": True, "formats": ["pdf", "jpeg", "png"], "order": 0},
    )
    if request.method == "POST" and form.is_valid():
        done = _save(
            request,
            form,
            lambda **values: document_type_create(
                collectivity=request.collectivity, by=request.user, **values
            ),
        )
        if done:
            return done
    return _form_page(request, form, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def type_edit(request, pk: int):
    document_type = get_object_or_404(request.scope.agent(DocumentType), pk=pk)
    initial = {name: getattr(document_type, name) for name in DocumentTypeForm.base_fields}
    initial["activities"] = list(document_type.activities.all())
    form = DocumentTypeForm(request.POST or None, activities=_activities(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        done = _save(
            request,
            form,
            lambda **values: document_type_update(
                document_type=document_type, by=request.user, **values
            ),
        )
        if done:
            return done
    return _form_page(
        request, form, document_type=document_type, status=400 if form.errors else 200
    )
