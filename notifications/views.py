"""« Mon espace citoyen » → « Mes demandes » (every request of every kind, with its new
messages and its history) and the notification preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import selectors
from .forms import PreferenceForm, RequestFilterForm
from .services import preference_set, request_read_mark

PAGE_SIZE = 20


@login_required
def requests(request):
    rows = selectors.account_requests(account=request.user, families=request.scope.families)
    unread = selectors.unread_counts(account=request.user, rows=rows)
    children = sorted({name for row in rows for name in row.children}, key=str.lower)
    form = RequestFilterForm(request.GET or None, children=children)
    shown = form.apply(rows)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("p"))
    lines = [(row, unread.get((row.kind, row.pk), 0)) for row in page]
    return render(
        request,
        "notifications/requests.html",
        {
            "form": form,
            "page": page,
            "lines": lines,
            "unread_total": sum(unread.values()),
            "total": len(rows),
            "filtered": len(shown) != len(rows),
        },
    )


@login_required
def request_detail(request, kind: str, pk: int):
    found = selectors.account_request(
        account=request.user, families=request.scope.families, code=kind, pk=pk
    )
    if found is None:
        raise Http404(_("Demande introuvable."))
    request_kind, _obj, row = found
    history = selectors.request_history(
        kind=request_kind, row=row, account=request.user, collectivity=request.scope.collectivity
    )
    unread = selectors.unread_counts(account=request.user, rows=[row]).get((row.kind, row.pk), 0)
    request_read_mark(account=request.user, kind=request_kind, pk=pk)
    return render(
        request,
        "notifications/request_detail.html",
        {"row": row, "kind": request_kind, "history": history, "unread": unread},
    )


@login_required
def preferences(request):
    preference = selectors.preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        preference_set(account=request.user, decisions=form.cleaned_data["decisions"])
        messages.success(request, _("Vos préférences ont été enregistrées."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "hours": request.scope.collectivity.digest_hours},
    )
