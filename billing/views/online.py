"""Online payment, the parent's side and the provider's: « Payer » (confirm the invoices and
the amount, then off to the provider), the return page, and the notification URL the provider
calls server to server. Parents reach invoices and transactions through
``request.scope.parent``; the notification finds its transaction by the uuid in its URL among
this collectivity's rows and checks every answer against it (``billing.services.online``)."""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from family.decorators import family_required

from .. import providers, selectors, services
from ..forms.parent import OnlinePaymentForm
from ..models import Invoice, PaymentTransaction

logger = logging.getLogger("billing.online")


def _chosen(request) -> list[Invoice]:
    """The invoices named by ``facture`` (GET or POST): the account's families' only; any
    other id (another family's, another collectivity's) is a 404."""
    data = request.POST if request.method == "POST" else request.GET
    ids = set(data.getlist("facture"))
    if not all(value.isdigit() for value in ids):
        raise Http404
    invoices = list(
        selectors.family_invoices(request.scope.parent(Invoice))
        .filter(pk__in=ids)
        .order_by("due_date", "pk")
    )
    if len(invoices) != len(ids):
        raise Http404
    return invoices


@family_required
@require_http_methods(["GET", "POST"])
def pay(request):
    invoices = _chosen(request)
    error, amount = None, None
    try:
        family = invoices[0].family if invoices else request.scope.family
        _regie, amount = services.online_invoices_check(family=family, invoices=invoices)
    except services.BillingError as refused:
        error = refused.message
    initial = {"email": request.user.email, "montant": amount}
    form = OnlinePaymentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and error is None and form.is_valid():
        try:
            _attempt, url = services.transaction_start(
                family=family,
                invoices=invoices,
                email=form.cleaned_data["email"],
                expected_amount=form.cleaned_data["montant"],
                site_url=request.build_absolute_uri("/"),
                by=request.user,
            )
        except services.BillingError as refused:
            error = refused.message
        else:
            return HttpResponseRedirect(url)
    return render(
        request,
        "billing/pay.html",
        {"invoices": invoices, "amount": amount, "form": form, "error": error},
        status=200 if error is None else 400,
    )


def _query(request) -> str:
    if request.method == "POST":
        return request.body.decode("utf-8", errors="replace")
    return request.META.get("QUERY_STRING", "")


@family_required
@csrf_exempt  # the provider may send the browser back with a POST; nothing here trusts it
@require_http_methods(["GET", "POST"])
def payment_return(request, transaction_id):
    """Where the provider sends the parent back: what happened, then the billing space. A
    signed answer in the return (PayFiP's) is applied like a notification."""
    attempt = selectors.transaction_page(request.scope.parent(PaymentTransaction), transaction_id)
    if attempt is None:
        raise Http404
    query = _query(request)
    if query:
        try:
            services.transaction_notify(attempt=attempt, query_string=query, source="return")
        except (services.BillingError, providers.ProviderError) as error:
            logger.warning("transaction %s: return not applied: %s", attempt.uuid, error)
        attempt = selectors.transaction_page(
            request.scope.parent(PaymentTransaction), transaction_id
        )
    return render(request, "billing/payment_return.html", {"attempt": attempt})


@csrf_exempt  # server to server: the provider has neither our session nor a CSRF token
@require_http_methods(["GET", "POST"])
def payment_notify(request, uuid):
    """The provider's notification. Replayable: the same answer again changes nothing."""
    attempt = selectors.transaction_page(request.scope.rows(PaymentTransaction), uuid)
    if attempt is None:
        raise Http404
    try:
        _attempt, answer = services.transaction_notify(
            attempt=attempt, query_string=_query(request), source="notification"
        )
    except services.AnswerRefused:
        return HttpResponseBadRequest(_("Réponse refusée."), content_type="text/plain")
    except providers.ProviderError as error:
        logger.warning("transaction %s: unreadable notification: %s", attempt.uuid, error)
        return HttpResponseBadRequest(_("Réponse illisible."), content_type="text/plain")
    return HttpResponse(answer.content or "OK", content_type="text/plain")
