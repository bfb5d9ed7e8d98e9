"""Agents' back office for the collectivity's authorisation types (« Autorisations »):
list, add, edit, deactivate. Every type comes through ``request.scope.agent(...)``."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.views_helpers import run_action

from ..forms.admin import AuthorizationTypeForm
from ..models import AuthorizationType
from ..services import (
    DossierError,
    authorization_type_create,
    authorization_type_deactivate,
    authorization_type_update,
)
from .pages import confirm_page


def _types_url() -> str:
    return reverse("family_admin:authorization_types")


@require_http_methods(["GET"])
def authorization_types(request):
    types = request.scope.agent(AuthorizationType).order_by("order", "label", "pk")
    return render(
        request,
        "family/admin/authorization_types.html",
        {
            "page_title": _("Autorisations"),
            "header_icon": "tick-inverse",
            "types": types,
        },
    )


def _type_form_page(request, form, *, authorization_type=None):
    return render(
        request,
        "family/admin/authorization_type_form.html",
        {
            "page_title": _("Modifier une autorisation")
            if authorization_type
            else _("Ajouter une autorisation"),
            "header_icon": "tick-inverse",
            "form": form,
            "authorization_type": authorization_type,
            "cancel_url": _types_url(),
        },
    )


@require_http_methods(["GET", "POST"])
def authorization_type_add(request):
    request.scope.agent(AuthorizationType)  # agents only, before anything is read or written
    form = AuthorizationTypeForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        try:
            created = authorization_type_create(
                collectivity=request.collectivity,
                label=form.cleaned_data["label"],
                description=form.cleaned_data["description"],
                order=form.cleaned_data["order"],
                active=form.cleaned_data["active"],
                by=request.user,
            )
        except DossierError as error:
            form.add_error("label", error.message)
        else:
            messages.success(
                request, _("Autorisation ajoutée : %(label)s.") % {"label": created.label}
            )
            return redirect(_types_url())
    return _type_form_page(request, form)


@require_http_methods(["GET", "POST"])
def authorization_type_edit(request, pk: int):
    authorization_type = get_object_or_404(request.scope.agent(AuthorizationType), pk=pk)
    initial = {
        name: getattr(authorization_type, name) for name in AuthorizationTypeForm.base_fields
    }
    form = AuthorizationTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            updated = authorization_type_update(
                authorization_type=authorization_type, by=request.user, **form.cleaned_data
            )
        except DossierError as error:
            form.add_error("label", error.message)
        else:
            messages.success(
                request, _("Autorisation enregistrée : %(label)s.") % {"label": updated.label}
            )
            return redirect(_types_url())
    return _type_form_page(request, form, authorization_type=authorization_type)


@require_http_methods(["GET", "POST"])
def authorization_type_deactivate_view(request, pk: int):
    authorization_type = get_object_or_404(request.scope.agent(AuthorizationType), pk=pk)
    if request.method == "POST":
        return run_action(
            request,
            lambda: authorization_type_deactivate(
                authorization_type=authorization_type, by=request.user
            ),
            errors=DossierError,
            error_url=_types_url(),
            done=_("Autorisation désactivée : %(label)s. Elle n’est plus proposée aux parents.")
            % {"label": authorization_type.label},
            done_url=_types_url(),
        )
    return confirm_page(
        request,
        title=_("Désactiver une autorisation"),
        message=_(
            "L’autorisation « %(label)s » ne sera plus proposée aux parents. Les réponses "
            "déjà données sont conservées ; vous pourrez la réactiver en la modifiant."
        )
        % {"label": authorization_type.label},
        action_url=request.path,
        submit_label=_("Désactiver"),
        cancel_url=_types_url(),
        danger=True,
    )
