"""The demo as parents and agents meet it: every internal link of every page of both sites
leads somewhere (no 404, no 500), and the French text keeps French typography (issue #16,
items 8 and 10).

One test loads the demo and walks it: anonymously, as a parent with a family, as an agent
(the back office's own pages); it follows every ``<a href>`` that stays on the host, up to a
bound, and records each page's text for the typography scan of the second test.
"""

import html as html_lib
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from django.core.management import call_command
from django.test import Client

import pytest

from notifications.models import OutboxEmail
from portal.models import User

pytestmark = pytest.mark.django_db

HOSTS = {"localhost": "beaulieu", "valfleuri.localhost": "valfleuri"}
LINK = re.compile(r'<a\b[^>]*?\bhref="([^"#][^"]*)"', re.I)
SKIP_PREFIXES = ("/static/", "/media/", "/compte/deconnexion/", "/simulateur-paiement/")
MAX_PAGES = 400
# Calendars link to the next week forever: a few pages of each shape (the path with its
# numbers blanked, the names of its query parameters) are enough to follow every template.
PER_SHAPE = 3
DIGITS = re.compile(r"\d+")

SCRIPT_STYLE = re.compile(r"<(script|style|code|pre|textarea)\b.*?</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
STRAIGHT_APOSTROPHE = re.compile(r"[A-Za-zÀ-ÿ]'[A-Za-zÀ-ÿ]")
CLOCK_TIME = re.compile(r"\b\d{1,2}(?::\d{2}\b|h\d{2}\b)")


def _internal(base: str, href: str) -> str | None:
    href = html_lib.unescape(href)
    if href.startswith(("mailto:", "tel:", "javascript:")):
        return None
    absolute = urljoin(base, href)
    parts = urlsplit(absolute)
    if parts.netloc and parts.netloc not in ("testserver", ""):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(SKIP_PREFIXES):
        return None
    return path


def _walk(client: Client, starts: list[str], *, admin: bool) -> tuple[dict, dict]:
    """{path: (status, the page that linked to it)} of every page reached, and {path: html}
    of the HTML ones."""
    seen, pages, queue, shapes = {}, {}, deque((start, "") for start in starts), {}
    while queue and len(seen) < MAX_PAGES:
        path, source = queue.popleft()
        if path in seen:
            continue
        if path.startswith("/admin/") != admin:
            continue
        parts = urlsplit(path)
        keys = sorted(pair.split("=")[0] for pair in parts.query.split("&") if pair)
        shape = (DIGITS.sub("N", parts.path), tuple(keys))
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = client.get(path)
        seen[path] = (response.status_code, source)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[path] = body
        for href in LINK.findall(body):
            target = _internal(f"http://testserver{path}", href)
            if target and target not in seen:
                queue.append((target, path))
    return seen, pages


_WALKED: dict = {}


def _demo_walk():
    """Walk once per test session: both tests read the same walk."""
    if not _WALKED:
        _WALKED["result"] = _walk_the_demo()
    return _WALKED["result"]


def _walk_the_demo():
    call_command("demo_load", quiet=True)
    broken, pages = {}, {}
    for host, slug in HOSTS.items():
        visitors = [("anonyme", None), ("parent", f"parent1@{slug}.localhost")]
        for who, email in visitors:
            client = Client(HTTP_HOST=host)
            if email:
                client.force_login(User.objects.get(email=email))
            seen, html = _walk(client, ["/", "/aide/", "/mon-espace/", "/famille/"], admin=False)
            broken.update(
                {
                    f"{host}{path} ({who}, lien depuis {source})": code
                    for path, (code, source) in seen.items()
                    if code >= 404
                }
            )
            pages.update({f"{host}{path} ({who})": body for path, body in html.items()})
        agent = Client(HTTP_HOST=host)
        agent.force_login(User.objects.get(email=f"agent@{slug}.localhost"))
        seen, _html = _walk(agent, ["/admin/"], admin=True)
        broken.update(
            {
                f"{host}{path} (agent, lien depuis {source})": code
                for path, (code, source) in seen.items()
                if code >= 404
            }
        )
    emails = [
        (email.subject, f"{email.subject}\n{email.body_text}\n{_french_text(email.body_html)}")
        for email in OutboxEmail.objects.all()
    ]
    return broken, pages, emails


def test_every_internal_link_of_the_demo_leads_somewhere():
    broken, pages, _emails = _demo_walk()
    assert len(pages) > 60, "the walk reached too few pages to prove anything"
    print(f"{len(pages)} pages read")
    assert broken == {}


def _french_text(body: str) -> str:
    body = SCRIPT_STYLE.sub(" ", body)
    return html_lib.unescape(TAG.sub(" ", body))


def test_the_demo_keeps_french_typography():
    _broken, pages, emails = _demo_walk()
    problems = {}
    for where, body in pages.items():
        text = _french_text(body)
        found = STRAIGHT_APOSTROPHE.findall(text) + CLOCK_TIME.findall(text)
        if found:
            problems[where] = sorted(set(found))[:8]
    for subject, text in emails:
        found = STRAIGHT_APOSTROPHE.findall(text) + CLOCK_TIME.findall(text)
        if found:
            problems[f"e-mail « {subject} »"] = sorted(set(found))[:8]
    assert problems == {}
