"""Where the parent goes back after a request: the planning as it was (view, date, filters).

The planning's address travels through the slot page, its dialog and the request forms as the
``retour`` parameter. It is never followed as given: ``planning_return_url`` accepts only the
planning's own path on this host (no scheme, no host, no other path — never an open redirect)
and rebuilds it from the parameters the planning knows, each checked.
"""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.urls import reverse

RETURN_PARAM = "retour"
VIEW_CODES = ("mois", "semaine", "semaine5", "jour")  # planning.views.planning.VIEWS
MAX_LENGTH = 2000


def _kept(key: str, value: str) -> bool:
    if key == "vue":
        return value in VIEW_CODES
    if key == "date":
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if key == "filtre":
        return value == "1"
    if key in ("enfant", "activite"):
        return value.isascii() and value.isdigit() and len(value) <= 12
    return False


def planning_return_url(value: str | None) -> str | None:
    """The planning address ``value`` names, rebuilt from its checked parameters; None when
    it is not a planning address of this site."""
    if not value or len(value) > MAX_LENGTH or "\\" in value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    index = reverse("planning:index")
    if parts.scheme or parts.netloc or parts.path != index:
        return None
    params = [(key, item) for key, item in parse_qsl(parts.query) if _kept(key, item)]
    return f"{index}?{urlencode(params)}" if params else index


def return_from(request) -> str | None:
    """The checked ``retour`` of a request (the form's field, else the address's)."""
    return planning_return_url(
        request.POST.get(RETURN_PARAM) if request.method == "POST" else None
    ) or planning_return_url(request.GET.get(RETURN_PARAM))


def with_return(url: str, return_url: str | None) -> str:
    """``url`` carrying ``return_url`` (already checked) as its ``retour`` parameter."""
    if not return_url:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{urlencode({RETURN_PARAM: return_url})}"
