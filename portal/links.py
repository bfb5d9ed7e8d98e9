"""Destinations inside the portal that editors can put in menus and tiles.

They are named by URL name, so the CMS never imports the domain apps; a destination whose
module is off is not shown. A destination whose page is not built yet is marked in
``PENDING_LINKS`` with the issue that builds it: it is not shown while its URL does not exist, and
a test fails the day the URL exists while the mark is still there. Any other destination must resolve: a URL name
that does not is an error (``NoReverseMatch``), not a silently missing tile.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .modules import Module, module_enabled

PORTAL_LINKS: dict[str, tuple[str, str, str | None]] = {
    "account_space": (_("Mon espace citoyen"), "portal:account_space", None),
    "family_space": (_("Espace famille"), "family:space", None),
    "dossier": (_("Dossier famille"), "family:dossier", None),
    "planning": (_("Planning des activités"), "planning:index", Module.PLANNING),
    "enrolment": (_("Pré-inscriptions"), "planning:enrolments", Module.ENROLMENT),
    "billing_space": (_("Espace facturation"), "billing:index", Module.BILLING),
    "documents": (_("Pièces justificatives"), "pieces:index", Module.DOCUMENTS),
    "requests": (_("Mes demandes"), "notifications:requests", None),
    "subscriptions": (_("Mes abonnements"), "family:subscriptions", None),
    "signup": (_("Créer un compte"), "account_signup", None),
    "login": (_("Se connecter"), "account_login", None),
}

# Destinations offered to editors before their page exists (key -> the issue that builds it).
PENDING_LINKS: dict[str, int] = {}

PORTAL_LINK_CHOICES = [(key, label) for key, (label, _name, _module) in PORTAL_LINKS.items()]


def portal_link_module(key: str) -> str | None:
    return PORTAL_LINKS[key][2] if key in PORTAL_LINKS else None


def portal_link_url(key: str, collectivity) -> str | None:
    """The URL of a portal destination, or None when it is not available here."""
    if key not in PORTAL_LINKS:
        return None
    _label, url_name, module = PORTAL_LINKS[key]
    if not module_enabled(collectivity, module):
        return None
    if key in PENDING_LINKS:
        try:
            return reverse(url_name)
        except NoReverseMatch:
            return None
    return reverse(url_name)
