"""Error pages (400, 403, 404, 500 and the CSRF failure) in French, in the collectivity's frame.

Each handler renders ``templates/errors/<code>.html``, which extends ``base.html`` (the host's
name, menus and footer) and offers a way back. The frame needs the request's host and
database; when rendering it fails (the error *is* the database, or a host Django refused),
the page falls back to ``errors/plain.html``, which needs nothing but the template engine.
"""

import logging

from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

TITLES = {
    400: _("Demande incorrecte"),
    403: _("Accès refusé"),
    404: _("Page introuvable"),
    500: _("Erreur du service"),
}


def _frame_usable(request) -> bool:
    """The collectivity's frame reads the host: not when Django refused the host itself."""
    try:
        request.get_host()
    except Exception:  # DisallowedHost and other SuspiciousOperation
        return False
    return True


def _render(request, status: int, template: str, context: dict | None = None) -> HttpResponse:
    context = {"status": status, "title": TITLES.get(status, ""), **(context or {})}
    if _frame_usable(request):
        try:
            body = loader.render_to_string(template, context, request=request)
            return HttpResponse(body, status=status)
        except Exception:
            logger.exception("Error page %s could not render in the collectivity's frame", status)
    body = loader.render_to_string("errors/plain.html", context)
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _render(request, 400, "errors/400.html")


@requires_csrf_token
def permission_denied(request, exception=None):
    return _render(request, 403, "errors/403.html")


@requires_csrf_token
def page_not_found(request, exception=None):
    return _render(request, 404, "errors/404.html")


@requires_csrf_token
def server_error(request):
    return _render(request, 500, "errors/500.html")


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a form sent from an expired page or without its cookie."""
    return _render(request, 403, "errors/403_csrf.html", {"title": _("Formulaire expiré")})
