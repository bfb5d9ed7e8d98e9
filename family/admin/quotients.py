"""« Quotient familial » of a family's back-office card: its history and a new value from a
date (``family.services.quotients.quotient_set``). Another collectivity's family is a 404."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms.admin import QuotientForm
from ..models import Family
from ..selectors.families import family_quotients
from ..services import QuotientError, quotient_set


def _page(request, family, form, *, status=200):
    return render(
        request,
        "family/admin/quotient_form.html",
        {
            "page_title": _("Quotient familial"),
            "page_subtitle": family.name,
            "header_icon": "group",
            "family": family,
            "form": form,
            "quotients": family_quotients(request.scope, family=family),
            "detail_url": reverse("family_admin:detail", args=[family.pk]),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def quotient_add(request, pk: int):
    family = get_object_or_404(request.scope.agent(Family), pk=pk)
    if request.method != "POST":
        return _page(request, family, QuotientForm())
    form = QuotientForm(request.POST)
    if not form.is_valid():
        return _page(request, family, form, status=400)
    try:
        quotient_set(
            family=family,
            value=form.cleaned_data["value"],
            valid_from=form.cleaned_data["valid_from"],
            by=request.user,
        )
    except QuotientError as error:
        form.add_error(None, error.message)
        return _page(request, family, form, status=400)
    messages.success(request, _("Quotient familial enregistré."))
    return redirect(reverse("family_admin:detail", args=[family.pk]) + "#quotient-title")
