"""Parent pages of subscriptions: « Mes abonnements », « M’abonner » and its confirmation."""

import secrets
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..forms.subscriptions import SubscriberCodeForm
from ..models import Child, Family, Guardian, Subscription
from ..services import (
    SubscriptionError,
    subscriber_code_lookup,
    subscriber_code_normalize,
    subscription_create,
)

# Families found by « Rechercher », waiting for « Confirmer l'abonnement », keyed by a
# one-time token: the confirmation never trusts a family id sent by the browser.
CANDIDATES_SESSION_KEY = "family.subscription_candidates"
# Tokens already confirmed, so a double submit lands on the same result.
CONFIRMED_SESSION_KEY = "family.subscription_confirmed"
CANDIDATE_LIFETIME = 15 * 60  # seconds
MAX_KEPT_TOKENS = 5


def _client_ip(request) -> str | None:
    """The client's address as allauth sees it (honours ALLAUTH_TRUSTED_PROXY_COUNT behind a
    reverse proxy, so throttles are per parent, not per proxy)."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except Exception:  # noqa: BLE001 -- a malformed X-Forwarded-For: fall back to the socket
        return request.META.get("REMOTE_ADDR") or None


def _subscriptions_queryset(request):
    """This account's own subscriptions, in this collectivity only."""
    return (
        request.scope.parent(Subscription)
        .filter(user=request.user)
        .select_related("family")
        .prefetch_related(
            Prefetch(
                "family__guardians", queryset=request.scope.rows(Guardian).order_by("rank", "pk")
            ),
            Prefetch(
                "family__children", queryset=request.scope.rows(Child).order_by("birth_date", "pk")
            ),
        )
        .order_by("family__name", "pk")
    )


@login_required
def subscription_list(request):
    """« Mes abonnements »."""
    return render(
        request,
        "family/subscriptions.html",
        {"subscriptions": _subscriptions_queryset(request), "code_form": SubscriberCodeForm()},
    )


def _candidates(request) -> dict:
    now = time.time()
    candidates = request.session.get(CANDIDATES_SESSION_KEY, {})
    return {token: data for token, data in candidates.items() if data["expires"] > now}


def _candidate_store(request, family: Family, code: str) -> str:
    token = secrets.token_urlsafe(24)
    candidates = _candidates(request)
    candidates[token] = {
        "family": family.pk,
        "collectivity": request.collectivity.pk,
        "code": code,
        "expires": time.time() + CANDIDATE_LIFETIME,
    }
    # Keep only the latest few searches.
    kept = sorted(candidates.items(), key=lambda item: item[1]["expires"])[-MAX_KEPT_TOKENS:]
    request.session[CANDIDATES_SESSION_KEY] = dict(kept)
    return token


def _candidate_family(request, token: str) -> Family | None:
    """The family a token stands for, if the token is this session's, not expired, for
    this collectivity, and the code found is still the family's code."""
    data = _candidates(request).get(token)
    if not data or data["collectivity"] != request.collectivity.pk:
        return None
    return (
        request.scope.rows(Family).filter(pk=data["family"], subscriber_code=data["code"]).first()
    )


def _candidate_consume(request, token: str) -> None:
    candidates = _candidates(request)
    candidates.pop(token, None)
    request.session[CANDIDATES_SESSION_KEY] = candidates


def _already_subscribed_message(family: Family) -> str:
    return _("Votre compte est déjà abonné à cette famille (famille %(name)s).") % {
        "name": family.name
    }


@login_required
@require_http_methods(["GET", "POST"])
def subscription_add(request):
    """« M’abonner »: « Code abonné » → « Rechercher »."""
    form = SubscriberCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            family = subscriber_code_lookup(
                collectivity=request.collectivity,
                code=form.cleaned_data["code"],
                user=request.user,
                ip_address=_client_ip(request),
            )
        except SubscriptionError as error:
            form.add_error("code", error.message)
        else:
            if family.subscriptions.filter(user=request.user).exists():
                messages.info(request, _already_subscribed_message(family))
                return redirect("family:subscriptions")
            token = _candidate_store(
                request, family, subscriber_code_normalize(form.cleaned_data["code"])
            )
            return redirect("family:subscription_confirm", token=token)
    return render(request, "family/subscription_add.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_confirm(request, token):
    """The family found, masked: « Confirmer l’abonnement » or « Annuler »."""
    family = _candidate_family(request, token)
    if family is None:
        confirmed = request.session.get(CONFIRMED_SESSION_KEY, {})
        if (
            request.method == "POST"
            and token in confirmed
            and request.scope.families.filter(pk=confirmed[token]).exists()
        ):
            # A double submit: the first one did it; show the same result.
            messages.success(request, _success_message())
            return redirect("family:subscriptions")
        messages.error(
            request,
            _(
                "Cette recherche a expiré ou a déjà été utilisée. Saisissez à nouveau votre "
                "code abonné."
            ),
        )
        return redirect("family:subscription_add")

    if request.method == "POST":
        _candidate_consume(request, token)
        if request.POST.get("action") != "confirm":
            messages.info(request, _("Abonnement annulé : aucune famille n’a été ajoutée."))
            return redirect("family:subscriptions")
        if family.subscriptions.filter(user=request.user).exists():
            messages.info(request, _already_subscribed_message(family))
            return redirect("family:subscriptions")
        subscription_create(user=request.user, family=family)
        confirmed = request.session.get(CONFIRMED_SESSION_KEY, {})
        confirmed[token] = family.pk
        request.session[CONFIRMED_SESSION_KEY] = dict(list(confirmed.items())[-MAX_KEPT_TOKENS:])
        messages.success(request, _success_message())
        return redirect("family:subscriptions")

    return render(
        request,
        "family/subscription_confirm.html",
        {"masked_name": family.masked_name, "token": token},
    )


def _success_message() -> str:
    return _("Votre abonnement est actif : vous pouvez accéder à votre Espace famille.")
