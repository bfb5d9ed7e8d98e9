"""« Tarifs »: this collectivity's tariffs by activity, created and changed with their
family-quotient brackets and rank reductions (``billing.services.tariffs``). A tariff already
billed keeps its prices: its page offers « Nouveau tarif à partir du … », which opens the
creation form filled with its prices (``?remplace=<pk>``) and closes it the day before."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from planning.admin.common import admin_page
from planning.models import Activity

from ..forms.tariffs import (
    BracketFormSet,
    ReductionFormSet,
    TariffForm,
    TariffReplaceForm,
    brackets_of,
    reductions_of,
)
from ..models import Tariff
from ..selectors import tariffs_by_activity
from ..services.tariffs import TariffError, tariff_billed_until, tariff_period, tariff_save

TARIFF_FIELDS = ("valid_from", "valid_to", "unit", "absence_price", "no_quotient")


@require_GET
def tariffs(request):
    return admin_page(
        request,
        "billing/admin/tariffs.html",
        page_title=_("Tarifs"),
        header_icon="tag",
        groups=tariffs_by_activity(
            activities=request.scope.rows(Activity), tariffs=request.scope.agent(Tariff)
        ),
    )


def _initial(tariff: Tariff) -> tuple[dict, list[dict], list[dict]]:
    values = {name: getattr(tariff, name) for name in TARIFF_FIELDS}
    values["activity"] = tariff.activity_id
    brackets = [
        {"qf_min": b.qf_min, "qf_max": b.qf_max, "price": b.price} for b in tariff.brackets.all()
    ]
    reductions = [{"rank": r.rank, "percent": r.percent} for r in tariff.rank_reductions.all()]
    return values, brackets, reductions


def _forms(request, *, initial=None):
    """The tariff form and its two formsets, bound on POST, else filled from ``initial``."""
    activities = request.scope.rows(Activity).order_by("name")
    data = request.POST if request.method == "POST" else None
    values, brackets, reductions = initial or ({}, [], [])
    return (
        TariffForm(data, activities=activities, initial=values),
        BracketFormSet(data, prefix="tranches", initial=None if data else brackets),
        ReductionFormSet(data, prefix="rangs", initial=None if data else reductions),
    )


def _page(request, forms, *, tariff=None, replaces=None, errors=(), status=200):
    form, brackets, reductions = forms
    billed_until = tariff_billed_until(tariff) if tariff is not None else None
    if tariff is not None:
        title = f"{tariff.activity.name} — {tariff_period(tariff)}"
    else:
        title = _("Nouveau tarif")
    return admin_page(
        request,
        "billing/admin/tariff_form.html",
        page_title=title,
        page_subtitle=_("Tarif") if tariff else "",
        header_icon="tag",
        form=form,
        brackets=brackets,
        reductions=reductions,
        tariff=tariff,
        replaces=replaces,
        billed_until=billed_until,
        replace_form=TariffReplaceForm(
            initial={"valid_from": billed_until + datetime.timedelta(days=1)}
        )
        if billed_until
        else None,
        service_errors=errors,
        cancel_url=reverse("billing_admin:tariffs"),
        http_status=status,
    )


def _submit(request, *, tariff=None, replaces=None):
    forms = _forms(request)
    form, bracket_rows, reduction_rows = forms
    if not all([form.is_valid(), bracket_rows.is_valid(), reduction_rows.is_valid()]):
        return _page(request, forms, tariff=tariff, replaces=replaces, status=400)
    try:
        saved = tariff_save(
            collectivity=request.scope.collectivity,
            values=form.values(),
            brackets=brackets_of(bracket_rows),
            reductions=reductions_of(reduction_rows),
            tariff=tariff,
            replaces=replaces,
            by=request.user,
        )
    except TariffError as error:
        return _page(
            request, forms, tariff=tariff, replaces=replaces, errors=error.messages, status=400
        )
    messages.success(
        request,
        _("Tarif de « %(activity)s » enregistré (%(period)s).")
        % {"activity": saved.activity.name, "period": tariff_period(saved)},
    )
    return redirect("billing_admin:tariffs")


def _replaced(request, queryset) -> Tariff | None:
    """The tariff a new one follows (``remplace=<pk>``, GET or POST), this collectivity's."""
    pk = request.POST.get("remplace") or request.GET.get("remplace")
    if not pk:
        return None
    if not str(pk).isdigit():
        raise Http404
    return get_object_or_404(queryset, pk=pk)


@require_http_methods(["GET", "POST"])
def tariff_add(request):
    queryset = request.scope.agent(Tariff).prefetch_related("brackets", "rank_reductions")
    replaces = _replaced(request, queryset)
    if request.method == "POST":
        return _submit(request, replaces=replaces)
    initial = None
    activity = request.GET.get("activite", "")
    if activity.isdigit():
        initial = ({"activity": int(activity)}, [], [])
    if replaces is not None:
        initial = _initial(replaces)
        replace_form = TariffReplaceForm(request.GET)
        initial[0]["valid_from"] = (
            replace_form.cleaned_data["valid_from"] if replace_form.is_valid() else None
        )
        initial[0]["valid_to"] = None
    return _page(request, _forms(request, initial=initial), replaces=replaces)


@require_http_methods(["GET", "POST"])
def tariff_edit(request, pk: int):
    tariff = get_object_or_404(
        request.scope.agent(Tariff)
        .select_related("activity")
        .prefetch_related("brackets", "rank_reductions"),
        pk=pk,
    )
    if request.method == "POST":
        return _submit(request, tariff=tariff)
    return _page(request, _forms(request, initial=_initial(tariff)), tariff=tariff)
