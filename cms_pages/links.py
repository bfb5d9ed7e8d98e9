"""Links that editors write into pages and menus, checked against what the site offers.

A help guide may link to a module's page (« /facturation/ ») that this collectivity has not
switched on: parents never see such a link (``unlink_unavailable`` keeps its text and drops
the link when the page is rendered), and the editor is warned when saving the page or the
menus (``wagtail_hooks``), with the reason. An internal link that leads nowhere (404) is also
reported to the editor.

A module's views carry ``portal_module`` (``portal.modules.module_required``); Wagtail's own
page serving answers every other path, so a page link is checked by routing it in the site's
tree.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import Http404
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from portal.modules import MODULE_FIELDS, Module, module_enabled

LINK = re.compile(r'<a\b[^>]*\bhref="(?P<href>[^"]*)"[^>]*>(?P<text>.*?)</a>', re.S | re.I)
TAGS = re.compile(r"<[^>]+>")


def _internal_path(href: str) -> str | None:
    """The path of a link inside this site (« /facturation/ »), None for anything else."""
    if not href.startswith("/") or href.startswith("//"):
        return None
    return urlsplit(href).path


def href_module(href: str) -> str | None:
    """The optional module behind an internal link, if any."""
    path = _internal_path(href)
    if path is None:
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return getattr(match.func, "portal_module", None)


def unlink_unavailable(html: str, collectivity) -> str:
    """``html`` with every link to a module that is off here turned into its plain text."""
    html = str(html or "")
    if "href" not in html:
        return html

    def replace(match):
        module = href_module(match.group("href"))
        if module and not module_enabled(collectivity, module):
            return f"<span>{match.group('text')}</span>"
        return match.group(0)

    return LINK.sub(replace, html)


@dataclass
class LinkProblem:
    text: str
    href: str
    reason: str

    def message(self) -> str:
        return _("Le lien « %(text)s » (%(href)s) %(reason)s") % {
            "text": self.text,
            "href": self.href,
            "reason": self.reason,
        }


def _module_label(module: str) -> str:
    return str(Module(module).label) if module in MODULE_FIELDS else module


def _page_exists(path: str, site, request) -> bool:
    from wagtail.models import Page

    components = [part for part in path.split("/") if part]
    try:
        # Read afresh: a cached root page may not know its newest children (treebeard).
        Page.objects.get(pk=site.root_page_id).specific.route(request, components)
    except Http404:
        return False
    return True


def link_problems(html: str, *, collectivity, site, request) -> list[LinkProblem]:
    """What a parent would meet following the internal links of ``html`` on this site."""
    problems = []
    for match in LINK.finditer(html or ""):
        href, text = match.group("href"), TAGS.sub("", match.group("text")).strip()
        path = _internal_path(href)
        if path is None:
            continue
        try:
            resolved = resolve(path)
        except Resolver404:
            problems.append(LinkProblem(text, href, _("ne mène à aucune page.")))
            continue
        module = getattr(resolved.func, "portal_module", None)
        if module and not module_enabled(collectivity, module):
            problems.append(
                LinkProblem(
                    text,
                    href,
                    _(
                        "mène au module « %(module)s », désactivé pour cette collectivité : "
                        "il n’est pas affiché aux familles."
                    )
                    % {"module": _module_label(module)},
                )
            )
        elif (
            resolved.url_name == "wagtail_serve"
            and site is not None
            and not _page_exists(path, site, request)
        ):
            problems.append(LinkProblem(text, href, _("ne mène à aucune page.")))
    return problems


def stream_html(value) -> str:
    """Every string of a StreamField's raw data (rich text included), joined."""
    parts = []

    def walk(node):
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(list(value.raw_data) if hasattr(value, "raw_data") else value)
    return "\n".join(parts)
