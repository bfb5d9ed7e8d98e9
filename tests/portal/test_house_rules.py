"""The house rules of ``../shared/DESIGN.md``, read from the source so they cannot drift:

- the dependency direction between the project's apps;
- views, back-office views, forms and Wagtail hooks never reach a tenant model through its
  manager (``Family.objects…``): they go through ``request.scope`` (or a selector/service);
- no view function is longer than 60 lines (views parse and render; selectors read).

Each failure names the file and line.
"""

import ast
from pathlib import Path

from django.apps import apps

import pytest

from portal.scoping import TenantManager

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("portal", "cms_pages", "family", "planning", "billing", "pieces", "notifications")
# Which project apps each app may import (itself included). DESIGN.md: portal ← family ←
# planning ← billing; pieces uses family; every domain app may call notifications;
# notifications imports only portal; cms_pages knows the domain apps only through URL names.
ALLOWED = {
    "portal": {"portal"},
    "notifications": {"portal", "notifications"},
    "cms_pages": {"portal", "cms_pages"},
    "family": {"portal", "notifications", "family"},
    "planning": {"portal", "notifications", "family", "planning"},
    "billing": {"portal", "notifications", "family", "planning", "billing"},
    "pieces": {"portal", "notifications", "family", "pieces"},
}
MAX_VIEW_LINES = 60


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def _is_view_module(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    parts = rel.parts
    name = path.stem
    return (
        "views" in parts[1:-1]
        or "admin" in parts[1:-1]
        or name in ("views", "wagtail_hooks", "decorators")
        or name.endswith(("_views", "_forms"))
        or name.startswith("admin_")
        or name == "forms"
        or "forms" in parts[1:-1]
    )


def test_apps_import_only_in_the_dependency_direction():
    problems = []
    for app in PROJECT_APPS:
        for path, tree in _modules(app):
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in PROJECT_APPS and top not in ALLOWED[app]:
                        problems.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not problems, "\n".join(problems)


def _tenant_model_names() -> set[str]:
    return {
        model.__name__
        for model in apps.get_models()
        if isinstance(model._default_manager, TenantManager)
    }


@pytest.mark.django_db
def test_views_reach_tenant_rows_only_through_the_scope():
    tenant_models = _tenant_model_names()
    assert {"Family", "Child", "Booking", "OutboxEmail"} <= tenant_models
    problems = []
    for app in PROJECT_APPS:
        for path, tree in _modules(app):
            if not _is_view_module(path):
                continue
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "objects"
                    and isinstance(node.value, ast.Name)
                    and node.value.id in tenant_models
                ):
                    problems.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.objects "
                        "(use request.scope or a selector)"
                    )
    assert not problems, "\n".join(problems)


def test_no_view_function_is_longer_than_60_lines():
    problems = []
    for app in PROJECT_APPS:
        for path, tree in _modules(app):
            if not _is_view_module(path):
                continue
            for node in ast.walk(tree):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                arguments = [arg.arg for arg in node.args.args]
                if arguments[:1] != ["request"] and arguments[:2] != ["self", "request"]:
                    continue
                length = node.end_lineno - node.lineno + 1
                if length > MAX_VIEW_LINES:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert not problems, "\n".join(problems)
