"""`segmenta schema case|assessment` lives on the assessment floor, which may import both
the case format and the assessment (segmenta/tests/test_floors.py checks the floors)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta import caseformat
from segmenta.assessment.schema import build_schema



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
