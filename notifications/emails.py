"""Rendering of every e-mail the product sends (pretix's one mail function).

An e-mail is three templates, ``templates/<app>/email/<name>.subject.txt``, ``<name>.txt`` and
``<name>.html``; the text and HTML parts extend the shared layout
(``notifications/email/layout.txt`` / ``layout.html``): the collectivity's name, logo and
colour, the link back to the page concerned (absolute, on the collectivity's own host), and the
footer with the contact and « message automatique ». The subject gets the ``[Collectivité]``
prefix here, never by hand. Rendering is in French whatever the worker's language.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

from portal.branding import branding_for


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def absolute_url(collectivity, link: str) -> str:
    """A path made absolute on the collectivity's host (an absolute URL is kept as is)."""
    if not link or collectivity is None or not link.startswith("/"):
        return link
    return collectivity.base_url.rstrip("/") + link


def _render(name: str, context: dict, *, autoescape: bool) -> str:
    # The Django template behind the backend's wrapper, so that the text parts are rendered
    # without HTML escaping (« l'enfant » and not « l&#x27;enfant »).
    template = get_template(name).template
    return template.render(Context(context, autoescape=autoescape))


def email_render(
    *,
    template: str,
    context: dict | None = None,
    collectivity=None,
    family=None,
    link: str = "",
    branding=None,
) -> RenderedEmail:
    """Render ``template`` ("<app>/<name>") inside the shared layout. ``branding``: the
    collectivity's, when the caller renders many e-mails and read it once (one query each
    otherwise)."""
    app, _sep, name = template.partition("/")
    if not name:
        raise ValueError(f"E-mail template names are '<app>/<name>', not {template!r}.")
    base = f"{app}/email/{name}"
    site_name = collectivity.name if collectivity is not None else settings.WAGTAIL_SITE_NAME
    full_context = {
        "collectivity": collectivity,
        "family": family,
        "site_name": site_name,
        "site_url": absolute_url(collectivity, "/") if collectivity is not None else "",
        "link_url": absolute_url(collectivity, link),
        # Every e-mail ends with the page where the account chooses how it hears of decisions.
        "preferences_url": absolute_url(collectivity, reverse("notifications:preferences"))
        if collectivity is not None
        else "",
        "branding": branding if branding is not None else branding_for(collectivity),
        **(context or {}),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(_render(f"{base}.subject.txt", full_context, autoescape=False).split())
        body_text = _render(f"{base}.txt", full_context, autoescape=False).strip() + "\n"
        body_html = _render(f"{base}.html", full_context, autoescape=True)
    return RenderedEmail(
        subject=f"[{site_name}] {subject}", body_text=body_text, body_html=body_html
    )


# E-mails rendered by the task cluster (``services.email_queue_deferred``): per template, the
# function its app registers (in ``AppConfig.ready()``, notifications imports no domain app)
# that turns the row's frozen data (JSON) into the template's context.
_context_builders: dict[str, Callable[[dict], dict]] = {}


def email_context_register(template: str, builder: Callable[[dict], dict]) -> None:
    """``builder(data)`` gives the context of ``template`` from the data it was queued with."""
    _context_builders[template] = builder


def email_context_registered(template: str) -> bool:
    return template in _context_builders


def email_context(template: str, data: dict) -> dict:
    """The context of a deferred e-mail, built in French like its rendering."""
    builder = _context_builders.get(template)
    if builder is None:
        raise ImproperlyConfigured(f"No context builder is registered for {template!r}.")
    with translation.override(settings.LANGUAGE_CODE):
        return builder(data)
