"""The steps the decision views share, whichever app they serve: the way back to the filtered
queue, the message of an invalid bulk decision, and one action (a decision, a cancellation)
run against its domain error."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse


def queue_filters(request) -> str:
    """The queue's GET filters without its page number: posted back as ``filters`` with a
    bulk decision, so that ``queue_back_url`` returns to the same filtered list."""
    query = request.GET.copy()
    query.pop("p", None)
    return query.urlencode()


def queue_back_url(request, url_name: str) -> str:
    """The queue, with the filters it was showing (posted back as ``filters``)."""
    back = reverse(url_name)
    if request.POST.get("filters"):
        back += "?" + request.POST["filters"]
    return back


def bulk_error(form, *, reason_missing) -> str:
    """The one message of an invalid ``BulkDecisionForm``; ``reason_missing`` when rows and
    « Refuser la sélection » were given without a reason (nothing was decided)."""
    data = form.cleaned_data
    if "ids" in data and data.get("action") == form.REFUSE and not data.get("reason"):
        return str(reason_missing)
    return form.first_error()


def run_action(request, decide, *, errors, error_url: str, done: str, done_url: str):
    """Run one action (``decide()``): on one of ``errors`` (a domain error with a
    ``message``), that message and back to ``error_url``; else ``done`` and on to
    ``done_url`` (the same URL when the page does not change with the outcome)."""
    try:
        decide()
    except errors as error:
        messages.error(request, error.message)
        return redirect(error_url)
    messages.success(request, done)
    return redirect(done_url)
