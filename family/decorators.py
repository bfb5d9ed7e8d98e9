"""Guards of the family menus (Espace famille, Dossier famille, Planning, Facturation, …)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def family_required(view):
    """Log-in required; an account with no family in this collectivity gets the "no code
    yet" page (status 200) that offers "J’ai un code abonné" / "Je n’ai pas de code abonné"."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.scope.families.exists():
            from .selectors.creation import creation_latest_request

            creation_request = creation_latest_request(
                user=request.user, collectivity=request.collectivity
            )
            return render(
                request,
                "family/no_family.html",
                {"creation_request": creation_request},
                status=200,
            )
        return view(request, *args, **kwargs)

    return wrapped
