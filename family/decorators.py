"""Guards of the family menus (Espace famille, Dossier famille, Planning, Facturation, …)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def no_family_page(request):
    """The "no code yet" page (status 200) of an account with no family in this collectivity,
    which offers "J’ai un code abonné" / "Je n’ai pas de code abonné"."""
    from .selectors.creation import creation_latest_request

    creation_request = creation_latest_request(user=request.user, collectivity=request.collectivity)
    return render(
        request,
        "family/no_family.html",
        {"creation_request": creation_request},
        status=200,
    )


def family_required(view):
    """Log-in required; an account with no family in this collectivity gets
    ``no_family_page``. (A view that reads the account's families anyway may check them
    itself behind ``login_required``, as the planning does, and save this query.)"""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        # The ids, not only « any? »: the view's scoped queries then filter on them.
        if not request.scope.family_ids:
            return no_family_page(request)
        return view(request, *args, **kwargs)

    return wrapped
