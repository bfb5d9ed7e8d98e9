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
        page.add_script_tag(path=str(AXE_PATH))
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
