"""Agents' views of family-space creation requests (under /admin/familles/creations/).

Requests come only through ``request.scope.agent(FamilyCreationRequest)``: another
collectivity's request answers 404, a non-agent gets 403. Drafts are the parent's own work
in progress: agents see a request once it has been sent.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.admin import CreationRefusalForm
from ..models import FamilyCreationRequest
from ..selectors.creation import summary_context
from ..services.creation import CreationError
from ..services.creation import creation_accept as creation_accept_service
from ..services.creation import creation_refuse as creation_refuse_service

Status = FamilyCreationRequest.Status


def _creation_request(request, pk: int) -> FamilyCreationRequest:
    return get_object_or_404(
        request.scope.agent(FamilyCreationRequest)
        .exclude(status=Status.DRAFT)
        .select_related("user", "family", "decided_by"),
        pk=pk,
    )


def _detail_url(creation_request) -> str:
    return reverse("family_admin:creation_detail", args=[creation_request.pk])


@require_http_methods(["GET"])
def creation_detail(request, pk: int):
    creation_request = _creation_request(request, pk)
    return render(
        request,
        "family/admin/creation_detail.html",
        {
            "page_title": _("Demande de création d’espace famille"),
            "page_subtitle": creation_request.user.email,
            "header_icon": "group",
            "creation_request": creation_request,
            "refusal_form": CreationRefusalForm(),
            **summary_context(creation_request),
        },
    )


@require_POST
def creation_accept(request, pk: int):
    creation_request = _creation_request(request, pk)
    try:
        family = creation_accept_service(request=creation_request, by=request.user)
    except CreationError as error:
        messages.error(request, error.message)
        return redirect(_detail_url(creation_request))
    messages.success(
        request,
        _("Demande acceptée : la famille %(name)s est créée (code abonné %(code)s).")
        % {"name": family.name, "code": family.subscriber_code},
    )
    return redirect(_detail_url(creation_request))


@require_http_methods(["GET", "POST"])
def creation_refuse(request, pk: int):
    creation_request = _creation_request(request, pk)
    form = CreationRefusalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            creation_refuse_service(
                request=creation_request, by=request.user, reason=form.cleaned_data["reason"]
            )
        except CreationError as error:
            messages.error(request, error.message)
            return redirect(_detail_url(creation_request))
        messages.success(request, _("Demande refusée : la famille a été informée du motif."))
        return redirect(_detail_url(creation_request))
    return render(
        request,
        "family/admin/creation_refuse.html",
        {
            "page_title": _("Refuser la demande de création"),
            "page_subtitle": creation_request.user.email,
            "header_icon": "warning",
            "creation_request": creation_request,
            "form": form,
            "detail_url": _detail_url(creation_request),
        },
        status=400 if form.errors else 200,
    )
