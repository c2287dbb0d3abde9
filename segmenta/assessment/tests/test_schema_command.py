"""`segmenta schema case|assessment` lives on the assessment floor, which may import both
the case format and the assessment; the knowledge base, the bottom floor, imports
neither the assessment nor anything else above it."""

import ast
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta import caseformat
from segmenta.assessment.schema import build_schema

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
ABOVE_KNOWLEDGE = ("segmenta.patients", "segmenta.assessment", "segmenta.treatment", "segmenta.outcomes",
                   "segmenta.api", "segmenta.interop")


def printed(name):
    out = io.StringIO()
    call_command("schema", name, stdout=out)
    return json.loads(out.getvalue())


def test_schema_case_and_schema_assessment_print_the_published_schemas():
    assert printed("case") == caseformat.build_schema()
    assert printed("assessment") == build_schema()


def test_an_unknown_schema_name_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'cases'"):
        call_command("schema", "cases")


def test_the_knowledge_app_imports_nothing_from_the_floors_above_it():
    upward = []
    for path in KNOWLEDGE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            upward += [f"{path.relative_to(KNOWLEDGE)}: {n}" for n in names if n.startswith(ABOVE_KNOWLEDGE)]
    assert upward == []
