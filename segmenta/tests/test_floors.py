"""The house has floors: imports run downward. The bottom floor (knowledge, audit and the
accounts they check permissions with) imports nothing above it; the chart (patients) sits on
it, treatment on the chart, the assessment on treatment, outcomes on all of these, running the
practice (scheduling, billing) on outcomes, and the API, interoperability and the demo on top.
A page of a lower floor shows what a higher one knows through that floor's template tags,
never through an import."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
FLOORS = [{"knowledge", "audit", "accounts"}, {"patients"}, {"treatment"}, {"assessment"}, {"outcomes"},
          {"scheduling", "billing", "learning"}, {"api", "interop", "demo", "documents"}]
LEVEL = {app: level for level, apps in enumerate(FLOORS) for app in apps}


def imported_apps(app):
    """(file, app) for every import of another Segmenta app in ``app``'s code (tests aside)."""
    for path in (PACKAGE / app).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "segmenta" and len(parts) > 1 and parts[1] in LEVEL and parts[1] != app:
                    yield path.relative_to(PACKAGE), parts[1]


@pytest.mark.parametrize("app", sorted(LEVEL))
def test_no_app_imports_from_a_floor_above_it(app):
    upward = [f"{path} imports {other}" for path, other in imported_apps(app) if LEVEL[other] > LEVEL[app]]
    assert upward == []


def test_every_app_has_a_floor():
    apps = {p.parent.name for p in PACKAGE.glob("*/apps.py")} | {p.parent.name for p in PACKAGE.glob("*/__init__.py")
                                                                  if (p.parent / "models.py").exists()}
    assert apps <= set(LEVEL)
