"""Browser harness: Playwright drives Debian's Chromium (never a downloaded browser), and
axe-core (installed by npm) is injected into every page a journey visits."""

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def AXE_SOURCE() -> str:  # noqa: N802 - read once, used like a constant
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE_PATH.read_text()
    return _AXE_SOURCE


_AXE_SOURCE = None
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def axe():
    """``axe(page)`` runs axe-core on the page and fails with the list of violations."""

    def check(page, *, context: str = "", include: str | list[str] | None = None):
        """``include``: CSS selector(s) to limit the check to (e.g. our content region when
        the page also shows third-party chrome with known issues); the whole page otherwise."""
        # Evaluated through the DevTools protocol, which the page's content security policy
        # does not govern (``add_script_tag`` inserts an inline script the policy refuses).
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE_SOURCE())
        selectors = [include] if isinstance(include, str) else list(include or [])
        result = page.evaluate(
            """async ([tags, selectors]) => await axe.run(
                selectors.length ? {include: selectors.map((s) => [s])} : document,
                {runOnly: {type: 'tag', values: tags}})""",
            [AXE_TAGS, selectors],
        )
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
        ]
        assert not violations, f"axe-core on {context or page.url}:\n" + json.dumps(
            violations, indent=2, ensure_ascii=False
        )

    return check


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations(page):
    """Every content-security-policy violation the page reports (the DOM event, and the
    console's « Refused to … » messages): ``csp_violations()`` returns them so far."""
    console = []
    page.add_init_script(CSP_LISTENER)
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )

    def collect() -> list[str]:
        try:
            events = page.evaluate("window.__cspViolations || []")
        except Exception:  # noqa: BLE001 - a page in the middle of navigating
            events = []
        return [*events, *console]

    return collect
