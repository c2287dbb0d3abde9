import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft202012Validator

from segmenta import caseformat
from segmenta.patients import models as m

from segmenta.assessment.tests.cases import SHARED

SHARED_CASES = sorted(SHARED.glob("*.case.json"))


def test_case_command_prints_a_valid_case(patient, capsys):
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description="Extraction", date="1998")
    call_command("case", str(patient.pk))
    case = json.loads(capsys.readouterr().out)
    assert caseformat.errors(case) == []
    assert case["history"] == [{"id": f"h{patient.history.get().pk}", "kind": "tooth", "tooth": "38",
                                "description": "Extraction", "date": "1998", "regions": [], "organs": [],
                                "signs": []}]


def test_case_command_names_a_bad_id(db):
    with pytest.raises(CommandError, match="^PATIENT_ID: no patient with id 999") as excinfo:
        call_command("case", "999")
    assert excinfo.value.returncode == 2


def test_schema_command_prints_the_published_schema(capsys):
    call_command("schema", "case")
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema == caseformat.build_schema()


@pytest.mark.parametrize("path", SHARED_CASES, ids=lambda p: p.name)
def test_the_shared_worked_cases_are_valid(path):
    assert caseformat.errors(json.loads(path.read_text())) == []


def test_invalid_cases_name_the_field():
    bad = {"format": "segmenta-case/1", "complaints": [{"id": "c1", "onset": "2019-02-30"}],
           "history": [{"id": "h1", "kind": "scar"}],
           "tests": [{"history_id": "h9", "complaint_id": "c1"}]}
    assert [str(e) for e in caseformat.errors(bad)] == [
        "complaints[0].onset: '2019-02-30' is not a calendar date",
        "tests[0].history_id: no history item with id 'h9'",
    ]
    assert str(caseformat.errors({"format": "segmenta-case/1", "history": [
        {"id": "h1", "kind": "scar", "regions": [{"region": "shulder"}]}]})[0]) == (
        "history[0].regions[0].region: unknown value 'shulder'")


def test_case_cli_exits_2_with_one_line_for_a_bad_id(tmp_path):
    env = {"SEGMENTA_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "segmenta", "migrate", "-v", "0"], env=env, check=True, timeout=120)
    result = subprocess.run([sys.executable, "-m", "segmenta", "case", "abc"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "PATIENT_ID" in result.stderr
