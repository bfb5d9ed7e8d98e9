"""The payment simulator: the provider's page of the demo and the browser tests, mounted only
when ``PORTAL_PAYMENT_SIMULATOR`` is on (dev and test settings).

eopayment's dummy backend would send the browser to dummy-payment.entrouvert.com, which this
machine cannot reach; ``billing.providers`` sends it here instead, with the query string the
dummy built (``transaction_id``, ``amount``, ``email``, ``orderid``, ``origin``, ``return_url``,
``direct_notification_url``). « Payer », « Refuser » or « Abandonner » then does what the real
service does: a signed notification to ``direct_notification_url`` (server to server), then
the browser back to ``return_url`` with an unsigned copy. The notification is sent in-process
through Django's test client, to the same host: no network, no second server thread needed
(the browser tests' live server and ``runserver`` alike), and it still goes through the URL,
the middleware and the ``csrf_exempt`` view, with no session — as the provider's call would.
"""

import logging
from urllib.parse import urlencode, urlsplit

from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

logger = logging.getLogger("billing.online")

FIELDS = ("transaction_id", "amount", "email", "orderid", "origin", "subject")
OUTCOMES = {
    "payer": {"ok": "1"},
    "refuser": {"reason": "denied"},
    "abandonner": {"reason": "cancelled"},
}


def _own_path(request, url: str, view_name: str) -> str | None:
    """``url``'s path when it is on this host and names ``view_name``; else None."""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    path = urlsplit(url).path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return path if match.view_name == view_name else None


@require_http_methods(["GET", "POST"])
def index(request):
    data = request.POST if request.method == "POST" else request.GET
    values = {name: data.get(name, "") for name in FIELDS}
    notify = _own_path(request, data.get("direct_notification_url", ""), "billing:payment_notify")
    back = _own_path(request, data.get("return_url", ""), "billing:payment_return")
    if not values["transaction_id"] or notify is None or back is None:
        return HttpResponseBadRequest("Demande de paiement incomplète.", content_type="text/plain")
    outcome = OUTCOMES.get(data.get("choix", "")) if request.method == "POST" else None
    if outcome is None:
        return render(
            request,
            "billing/simulator.html",
            {
                "values": values,
                "hidden": {**values, "direct_notification_url": notify, "return_url": back},
            },
        )
    answer = {"transaction_id": values["transaction_id"], **outcome}
    body = urlencode({**answer, "amount": values["amount"], "orderid": values["orderid"]})
    response = Client(HTTP_HOST=request.get_host()).post(
        notify, data=body + "&signed=1", content_type="application/x-www-form-urlencoded"
    )
    logger.info("simulator: notification %s → %s", body, response.status_code)
    return HttpResponseRedirect(f"{back}?{urlencode(answer)}")
