from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .links import portal_link_url


@never_cache
def healthz(request):
    """For load balancers: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def closed_door(request, *args, **kwargs):
    """A log-in form we do not offer (Wagtail's front-end ``/_util/login/``): every way into a
    session goes through allauth's log-in, with its rate limits and mandatory activation."""
    raise Http404


@login_required
def account_space(request):
    """« Mon espace citoyen »: the account's own services."""
    services = [
        (key, portal_link_url(key, request.collectivity))
        for key in ("subscriptions", "requests", "family_space", "billing_space")
    ]
    return render(
        request,
        "portal/account_space.html",
        {"services": {key: url for key, url in services if url}},
    )
