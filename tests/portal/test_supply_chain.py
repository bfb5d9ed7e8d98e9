"""Front-end packages served to browsers are runtime dependencies, not development tools
(issue #11, item 10: ``altcha`` was a devDependency although its files are served)."""

import json
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_npm_package_served_as_static_files_is_a_dependency():
    package = json.loads((ROOT / "package.json").read_text())
    served = set()
    for entry in settings.STATICFILES_DIRS:
        path = Path(entry[1] if isinstance(entry, tuple) else entry).resolve()
        parts = path.parts
        if "node_modules" in parts:
            served.add(parts[parts.index("node_modules") + 1])
    assert "altcha" in served
    dependencies = set(package.get("dependencies", {}))
    assert served <= dependencies, f"served but not dependencies: {served - dependencies}"
    assert not served & set(package.get("devDependencies", {}))
