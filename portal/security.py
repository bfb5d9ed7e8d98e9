"""Security headers of every response: the content security policy (django-csp), with the
back office's own, wider policy for ``/admin/`` only, and ``Permissions-Policy``.

The public pages run no inline script and no inline style attribute: the product's scripts
and styles are static files, the collectivity's colour is one ``<style>`` element carrying the
request's nonce, and the ALTCHA widget (a static file from npm) starts its proof-of-work
workers from ``blob:`` URLs and injects its stylesheet with the nonce it reads from
``<meta name="csp-nonce">``. Wagtail's admin templates still hold inline scripts and style
attributes, so ``/admin/`` gets ``'unsafe-inline'`` for both — there and nowhere else.
"""

from django.conf import settings

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config

ADMIN_PREFIX = "/admin/"


class SecurityHeadersMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and request.path_info.startswith(ADMIN_PREFIX):
            parts.config = default_config(settings.PORTAL_ADMIN_CONTENT_SECURITY_POLICY)
        return parts

    def process_response(self, request, response):
        response = super().process_response(request, response)
        policy = getattr(settings, "PORTAL_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
