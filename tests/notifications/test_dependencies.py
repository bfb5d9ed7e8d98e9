"""The dependency direction of DESIGN.md, read from the source: ``portal`` imports none of the
apps built on it, and ``notifications`` imports nothing of the project but ``portal``.

Every ``import`` counts, at the top of a module or inside a function (a lazy import is still
a dependency); migrations do not (Django writes them). Strings naming a module (settings,
URL includes) are not imports.
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PROJECT_PACKAGES = sorted(
    path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()
) + ["tests"]

# package -> the project's packages it may import (besides itself)
ALLOWED = {
    "portal": set(),
    "notifications": {"portal"},
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path):
    """``(line, module)`` for every import of ``path``, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module


def violations(package: str, allowed: set[str], root: Path = ROOT, project=None) -> list[str]:
    project = set(project if project is not None else PROJECT_PACKAGES)
    forbidden = project - allowed - {package}
    found = []
    for path in sorted((root / package).rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        for line, module in sorted(imported_modules(path, root)):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_portal_and_notifications_import_only_what_the_design_allows():
    found = [line for package, allowed in ALLOWED.items() for line in violations(package, allowed)]
    assert not found, "Imports against DESIGN.md's dependency direction:\n" + "\n".join(found)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    (tmp_path / "portal" / "sub").mkdir(parents=True)
    (tmp_path / "portal" / "__init__.py").write_text("")
    (tmp_path / "portal" / "sub" / "__init__.py").write_text("")
    (tmp_path / "portal" / "sub" / "mod.py").write_text(
        "from .. import tenancy\n"
        "def f():\n"
        "    from notifications.services import email_queue\n"
        "import family.models as m\n"
    )
    (tmp_path / "portal" / "migrations").mkdir()
    (tmp_path / "portal" / "migrations" / "0001.py").write_text("import family\n")
    found = violations(
        "portal", set(), root=tmp_path, project={"portal", "family", "notifications"}
    )
    assert found == [
        "portal/sub/mod.py:3 imports notifications.services",
        "portal/sub/mod.py:4 imports family.models",
    ]
