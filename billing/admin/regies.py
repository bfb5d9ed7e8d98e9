"""« Régies »: this collectivity's issuers of invoices, their online payment and SEPA settings.
Never deleted (invoices name them): an unused régie is switched off."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from planning.admin.common import admin_page

from ..forms.admin import RegieForm
from ..models import Regie
from ..selectors import regies_listed
from ..services import BillingError, regie_save


@require_GET
def regies(request):
    return admin_page(
        request,
        "billing/admin/regies.html",
        page_title=_("Régies"),
        header_icon="cogs",
        regies=list(regies_listed(request.scope.agent(Regie))),
    )


def _form_page(request, form, *, regie=None, status=200):
    return admin_page(
        request,
        "billing/admin/regie_form.html",
        page_title=regie.name if regie else _("Ajouter une régie"),
        page_subtitle=_("Régie") if regie else "",
        header_icon="cogs",
        form=form,
        regie=regie,
        cancel_url=reverse("billing_admin:regies"),
        http_status=status,
    )


def _save(request, form, regie=None):
    """Save a valid form, or show the refusal (a duplicate code) on the form itself."""
    try:
        saved = regie_save(
            collectivity=request.scope.collectivity, values=form.cleaned_data, regie=regie
        )
    except BillingError as error:
        form.add_error(None, error.message)
        return _form_page(request, form, regie=regie, status=400)
    messages.success(request, _("Régie « %(name)s » enregistrée.") % {"name": saved.name})
    return redirect("billing_admin:regies")


@require_http_methods(["GET", "POST"])
def regie_add(request):
    request.scope.agent(Regie)  # agents only
    if request.method == "POST":
        form = RegieForm(request.POST)
        if form.is_valid():
            return _save(request, form)
        return _form_page(request, form, status=400)
    return _form_page(request, RegieForm())


@require_http_methods(["GET", "POST"])
def regie_edit(request, pk: int):
    regie = get_object_or_404(request.scope.agent(Regie), pk=pk)
    initial = {name: getattr(regie, name) for name in RegieForm.base_fields}
    if request.method == "POST":
        form = RegieForm(request.POST, initial=initial, current_backend=regie.online_backend)
        if form.is_valid():
            return _save(request, form, regie)
        return _form_page(request, form, regie=regie, status=400)
    form = RegieForm(initial=initial, current_backend=regie.online_backend)
    return _form_page(request, form, regie=regie)
