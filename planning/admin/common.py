"""What the back-office queues of the planning app share: the way back to the filtered queue
and the message of a refused bulk decision."""

from django.shortcuts import render
from django.urls import reverse


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


def admin_page(request, template: str, *, page_title, header_icon, http_status=200, **context):
    """A back-office page in Wagtail's generic layout (its title and header icon)."""
    context = {"page_title": page_title, "header_icon": header_icon, **context}
    return render(request, template, context, status=http_status)
