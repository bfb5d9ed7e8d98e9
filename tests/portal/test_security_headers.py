"""Security headers (issue #11, item 8).

Reproduction: responses carried no Content-Security-Policy and no Permissions-Policy; the
public pages held inline scripts and style attributes a policy would block.
"""

import re
from pathlib import Path

from django.test import Client

import pytest

from tests.conftest import HOST_A

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_public_pages_have_a_strict_content_security_policy(client_a):
    response = client_a.get("/compte/connexion/")
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "blob:" in policy["worker-src"]  # ALTCHA's proof-of-work workers
    assert "'unsafe-inline'" not in " ".join(sum(policy.values(), []))
    assert "'unsafe-eval'" not in " ".join(sum(policy.values(), []))
    # The collectivity's colour is the one inline style, with the request's nonce.
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["style-src"])).group(1)
    assert f'<style nonce="{nonce}">' in response.content.decode()


def test_permissions_and_referrer_policies(client_a):
    response = client_a.get("/")
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_admin_policy_is_wider_on_admin_paths_only(client_a, agent_a):
    client_a.force_login(agent_a)
    admin = _directives(client_a.get("/admin/")["Content-Security-Policy"])
    assert "'unsafe-inline'" in admin["script-src"]
    public = _directives(client_a.get("/")["Content-Security-Policy"])
    assert "'unsafe-inline'" not in public["script-src"]
    # A path that merely contains "admin" is not the back office.
    other = Client(HTTP_HOST=HOST_A).get("/famille/admin/")
    assert "'unsafe-inline'" not in _directives(other["Content-Security-Policy"])["script-src"]


def test_signup_page_gives_altcha_the_style_nonce(client_a, settings):
    settings.PORTAL_CAPTCHA_ENABLED = True
    response = client_a.get("/compte/inscription/")
    html = response.content.decode()
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', html).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


PUBLIC_TEMPLATES_OUTSIDE_POLICY = ("email/", "pdf/", "/admin/")


def test_public_templates_have_no_inline_script_or_style():
    """Templates of pages parents see: no inline ``<script>`` (JSON data blocks aside), no
    ``style`` attribute, no ``<style>`` without the nonce, no ``on…=`` handler. E-mails and
    PDFs are not pages; the back office has its own policy."""
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        rel = str(path.relative_to(ROOT / "templates"))
        if any(part in "/" + rel for part in PUBLIC_TEMPLATES_OUTSIDE_POLICY):
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            problems.append(f"{rel}: inline {match.group(0)}")
        for match in re.finditer(r"<style(?![^>]*nonce=)[^>]*>", text):
            problems.append(f"{rel}: {match.group(0)} without the nonce")
        if re.search(r"\sstyle=\"", text):
            problems.append(f"{rel}: style attribute")
        if re.search(r"\son[a-z]+=\"", text):
            problems.append(f"{rel}: inline event handler")
    assert not problems, "\n".join(problems)


def test_child_colour_classes_match_the_palette():
    from planning.selectors.planning import CHILD_PALETTE

    css = (ROOT / "static/css/planning.css").read_text()
    for index, colour in enumerate(CHILD_PALETTE):
        assert f".child-colour-{index} {{ --child-colour: {colour}; }}" in css
