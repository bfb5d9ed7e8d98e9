"""The request's collectivity comes from its host name; an unknown host answers 404.

Wagtail's own ``Site.find_for_request`` falls back to the default site for an unknown host;
a multi-tenant portal must not, so we resolve the site here and hand it to Wagtail through
the attribute it caches (``request._wagtail_site``).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .models import Collectivity, Membership
from .scoping import tenant_scope

# Paths served whatever the host: the load balancer's health check.
HOST_EXEMPT_PREFIXES = ("/healthz/",)


def collectivity_for_host(host: str) -> Collectivity | None:
    """The collectivity whose Wagtail site has this host name (port compared if several)."""
    hostname, _sep, port = host.partition(":")
    hostname = hostname.lower().rstrip(".")
    candidates = list(
        Collectivity.objects.select_related("site").filter(site__hostname__iexact=hostname)
    )
    if len(candidates) > 1 and port:
        by_port = [c for c in candidates if str(c.site.port) == port]
        candidates = by_port or candidates
    return candidates[0] if candidates else None


class CollectivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(HOST_EXEMPT_PREFIXES):
            request.collectivity = None
            return self.get_response(request)
        collectivity = collectivity_for_host(request.get_host())
        if collectivity is None:
            raise Http404(_("Aucun portail n’est publié à cette adresse."))
        request.collectivity = collectivity
        request._wagtail_site = collectivity.site
        request.scope = SimpleLazyObject(lambda: _make_scope(request))
        with tenant_scope(collectivity):
            return self.get_response(request)


def _make_scope(request):
    from .scoping import Scope

    return Scope(user=request.user, collectivity=request.collectivity, request=request)


class AdminMembershipMiddleware:
    """The back office of a host is open only to that collectivity's agents and editors."""

    OPEN_ADMIN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/password_reset/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            path.startswith("/admin/")
            and not path.startswith(self.OPEN_ADMIN_PATHS)
            and request.user.is_authenticated
            and not request.user.is_superuser
            and getattr(request, "collectivity", None) is not None
            and not Membership.objects.filter(
                user=request.user, collectivity=request.collectivity
            ).exists()
        ):
            raise PermissionDenied(_("Vous n’êtes pas membre de cette collectivité."))
        return self.get_response(request)
