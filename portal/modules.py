"""Optional modules ("modules complémentaires"), switched on or off per collectivity.

A module that is off hides its menu entries and its URLs answer 404. Views are gated with
``module_required``; whole URL lists with ``gate_patterns`` so that no view can be forgotten.
"""

from functools import wraps

from django.db import models
from django.http import Http404
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext_lazy as _


class Module(models.TextChoices):
    PLANNING = "planning", _("Planning et réservations")
    ENROLMENT = "enrolment", _("Pré-inscriptions")
    BILLING = "billing", _("Facturation")
    ONLINE_PAYMENT = "online_payment", _("Paiement en ligne")
    DOCUMENTS = "documents", _("Pièces justificatives")


# Module -> boolean field on Collectivity.
MODULE_FIELDS = {
    Module.PLANNING: "module_planning",
    Module.ENROLMENT: "module_enrolment",
    Module.BILLING: "module_billing",
    Module.ONLINE_PAYMENT: "module_online_payment",
    Module.DOCUMENTS: "module_documents",
}


def module_enabled(collectivity, module: str | None) -> bool:
    """True when ``module`` is None (always on) or switched on for ``collectivity``."""
    if not module:
        return True
    if collectivity is None:
        return False
    return bool(getattr(collectivity, MODULE_FIELDS[Module(module)]))


def enabled_modules(collectivity) -> dict[str, bool]:
    return {module.value: module_enabled(collectivity, module) for module in Module}


def module_required(module: str):
    """View decorator: 404 unless the request's collectivity has ``module`` switched on."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not module_enabled(getattr(request, "collectivity", None), module):
                raise Http404(_("Ce service n’est pas proposé par votre collectivité."))
            return view(request, *args, **kwargs)

        wrapped.portal_module = module
        return wrapped

    return decorator


def gate_patterns(module: str, patterns: list) -> list:
    """Wrap every view of a URL list (recursively) with ``module_required(module)``."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = module_required(module)(pattern.callback)
        elif isinstance(pattern, URLResolver):
            gate_patterns(module, pattern.url_patterns)
    return patterns
