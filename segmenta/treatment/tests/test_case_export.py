import json
import subprocess
import sys
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator

from segmenta import caseformat
from segmenta.patients import models as m
from segmenta.treatment.case import chart_queryset, patient_case

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


def test_a_stored_case_says_what_is_unknown_rather_than_leaving_it_out(patient, capsys):
    call_command("case", str(patient.pk))
    case = json.loads(capsys.readouterr().out)
    assert caseformat.errors(case) == []
    assert case["patient"]["reviewed"] == {"allergies": None, "medications": None, "pregnancy": None}
    assert case["consent"] == {"status": "none"}
    assert "height_cm" not in case["patient"]
    assert case["patient"]["pregnant"] is None


def test_a_stored_case_carries_reviews_height_last_dose_and_consent(patient, doctor, settings, capsys):
    settings.TIME_ZONE = "Europe/Berlin"
    m.WeightMeasurement.objects.create(patient=patient, date="2026-10-01", weight_kg=70, height_cm=Decimal("168.5"))
    m.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=69)  # no height this time
    m.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-09-01", recorded_by=doctor)
    m.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02", recorded_by=doctor)
    m.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-10-01", recorded_by=doctor)
    m.PregnancyStatus.objects.create(patient=patient, date="2026-11-20", status="not_pregnant")
    m.PregnancyStatus.objects.create(patient=patient, date="2026-11-03", status="unknown")
    m.Medication.objects.create(patient=patient, name="apixaban", medication_class="anticoagulant",
                                last_dose=datetime(2026, 11, 24, 19, 0, tzinfo=dt_timezone.utc))
    m.Medication.objects.create(patient=patient, name="ibuprofen", medication_class="nsaid")
    m.Medication.objects.create(patient=patient, name="warfarin", medication_class="anticoagulant", active=False,
                                last_dose=datetime(2020, 1, 1, tzinfo=dt_timezone.utc))
    m.Consent.objects.create(patient=patient, date="2026-11-01", scope="x", method="signature",
                             signature_svg="M1 1L2 2", scopes=["injection_therapy", "research_use"])
    call_command("case", str(patient.pk))
    case = json.loads(capsys.readouterr().out)
    assert caseformat.errors(case) == []
    assert case["patient"]["height_cm"] == 168.5 and case["patient"]["weight_kg"] == 69.0
    assert case["patient"]["reviewed"] == {"allergies": "2026-11-02", "medications": None,
                                           "pregnancy": "2026-11-20"}
    assert case["patient"]["pregnant"] is False
    assert case["patient"]["medications"] == [
        {"name": "apixaban", "class": "anticoagulant", "last_dose": "2026-11-24T20:00+01:00"},
        {"name": "ibuprofen", "class": "nsaid"},
    ]
    assert case["consent"] == {"status": "given", "date": "2026-11-01",
                               "scope": ["injection_therapy", "research_use"]}


@pytest.mark.parametrize("consents,expected", [
    # The latest by (date, id) decides, whatever came before.
    ([{"date": "2026-01-01"}, {"date": "2026-02-01", "decision": "refused", "method": ""}],
     {"status": "refused", "date": "2026-02-01"}),
    ([{"date": "2026-02-01", "decision": "refused", "method": ""}, {"date": "2026-03-01"}],
     {"status": "given", "date": "2026-03-01", "scope": ["injection_therapy"]}),
    ([{"date": "2026-01-01", "withdrawn_on": "2026-04-01"}],
     {"status": "withdrawn", "date": "2026-04-01"}),
    ([{"date": "2026-05-01"}, {"date": "2026-01-01", "withdrawn_on": "2026-04-01"}],
     {"status": "given", "date": "2026-05-01", "scope": ["injection_therapy"]}),
    ([{"date": "2026-05-01", "withdrawn_on": "2026-06-01"}, {"date": "2026-05-01"}],
     {"status": "given", "date": "2026-05-01", "scope": ["injection_therapy"]}),
])
def test_the_case_takes_its_consent_from_the_latest_record(patient, consents, expected, capsys):
    for consent in consents:
        m.Consent.objects.create(**{"patient": patient, "scope": "x", "method": "signature",
                                    "signature_svg": "M1 1L2 2", "scopes": ["injection_therapy"], **consent})
    call_command("case", str(patient.pk))
    case = json.loads(capsys.readouterr().out)
    assert case["consent"] == expected
    assert caseformat.errors(case) == []


def test_case_queries_do_not_grow_with_the_chart(patient, doctor):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            patient_case(chart_queryset().get(pk=patient.pk))
        return len(ctx)

    few = count()
    for i in range(15):
        m.ChartReview.objects.create(patient=patient, kind="medications", date="2026-01-01", recorded_by=doctor)
        m.Consent.objects.create(patient=patient, date="2026-01-01", scope="x", method="signature",
                                 signature_svg="M1 1L2 2", scopes=["injection_therapy"])
        m.Medication.objects.create(patient=patient, name=f"m{i}", medication_class="other")
        m.WeightMeasurement.objects.create(patient=patient, date="2026-01-01", weight_kg=60, height_cm=160)
    assert count() == few


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
