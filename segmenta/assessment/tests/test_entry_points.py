"""The same assessment from the CLI, the API and the chart's Assess view."""

import json
import subprocess
import sys

from django.urls import reverse

from segmenta.assessment.schema import build_schema
from segmenta.audit.models import AuditEvent
from segmenta.patients import models as m

import pytest

from .cases import shared_case


@pytest.fixture
def shoulder():
    return shared_case("assess-shoulder-after-cholecystectomy.case.json")


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "segmenta", *args], input=stdin, capture_output=True, text=True,
                          timeout=120)


def test_cli_and_api_give_the_same_answer(api_client, shoulder):
    from_cli = json.loads(cli("assess", str(shoulder)).stdout)
    from_api = api_client.post(reverse("api:assess"), shoulder.read_text(), content_type="application/json").json()
    assert from_cli == from_api
    assert from_cli["complaints"][0]["candidates"][0]["history_id"] == "h1"


def test_cli_reads_standard_input(shoulder):
    result = cli("assess", "-", stdin=shoulder.read_text())
    assert result.returncode == 0 and json.loads(result.stdout)["refer_first"] is False


def test_cli_writes_one_line_to_a_program_and_indents_on_request(shoulder):
    piped = cli("assess", str(shoulder))
    assert piped.stdout.count("\n") <= 1 and '":' in piped.stdout and '": ' not in piped.stdout
    indented = cli("assess", str(shoulder), "--indent", "2")
    assert indented.stdout.startswith('{\n  "refer_first": ')
    assert json.loads(indented.stdout) == json.loads(piped.stdout)
    refused = cli("assess", str(shoulder), "--indent", "9")
    assert refused.returncode == 2 and refused.stderr.strip() == "CommandError: --indent: 9 is not between 0 and 8"


def test_bad_input_exits_2_with_one_line_and_the_api_answers_422_with_the_same_message(api_client):
    bad = {"format": "segmenta-case/1", "complaints": [{"id": "c1", "regions": [{"region": "shulder"}]}]}
    result = cli("assess", "-", stdin=json.dumps(bad))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    message = "complaints[0].regions[0].region: unknown value 'shulder'"
    assert message in result.stderr
    response = api_client.post(reverse("api:assess"), bad, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"] == message


def test_dangling_ids_and_wrong_types_are_named(api_client):
    for bad, message in [
        ({"format": "segmenta-case/1", "tests": [{"history_id": "h9", "complaint_id": "c1"}]},
         "tests[0].history_id: no history item with id 'h9'"),
        ({"format": "segmenta-case/1", "complaints": [{"id": "c1", "nrs": "high"}]},
         "complaints[0].nrs: 'high' is not of type 'integer', 'null'"),
    ]:
        assert cli("assess", "-", stdin=json.dumps(bad)).stderr.strip().endswith(message)
        assert api_client.post(reverse("api:assess"), bad, content_type="application/json").json()["detail"] == message


def test_cli_names_a_missing_file_and_non_json():
    assert cli("assess", "/nonexistent.json").stderr.strip().startswith("CommandError: FILE: cannot read")
    assert "FILE: not JSON" in cli("assess", "-", stdin="{").stderr


def test_schema_assessment_is_published():
    assert json.loads(cli("schema", "assessment").stdout) == build_schema()


def test_huneke_cli_classifies_the_worked_case():
    result = json.loads(cli("huneke", str(shared_case("huneke-tooth-and-scar.case.json"))).stdout)
    assert [t["classification"] for t in result["tests"]] == ["huneke", "confirmed", "partial"]


def test_assess_view_blocks_on_red_flags_until_acknowledged(doctor_client, patient):
    m.Complaint.objects.create(patient=patient, description="Back pain", findings=["night_pain"],
                               regions=[{"region": "lower_back", "side": "midline"}], onset="2020")
    m.HistoryItem.objects.create(patient=patient, kind="fracture", description="Ankle fracture", date="2004")
    url = reverse("assessment:assess", args=[patient.pk])
    blocked = doctor_client.get(url).content.decode()
    assert "Night pain" in blocked and "Ankle fracture" not in blocked
    doctor_client.post(reverse("assessment:acknowledge", args=[patient.pk]))
    event = AuditEvent.objects.get(action="acknowledge", patient=patient)
    assert event.detail["codes"] == ["night_pain"]
    assert "Ankle fracture" in doctor_client.get(url).content.decode()


def test_assess_view_shows_ranked_candidates_with_reasons(doctor_client, patient):
    m.Complaint.objects.create(patient=patient, description="Right shoulder pain", onset="2019-06",
                               regions=[{"region": "shoulder", "side": "right"}])
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="Cholecystectomy", date="2019-01",
                                 organs=["gallbladder"], regions=[{"region": "abdomen_upper", "side": "right"}])
    html = doctor_client.get(reverse("assessment:assess", args=[patient.pk])).content.decode()
    assert "Cholecystectomy" in html and "refers pain to the right shoulder" in html
    assert "never a diagnosis" in html
    event = AuditEvent.objects.get(object_type="assessment")
    assert event.detail["knowledge_version"]


def test_assess_view_of_another_clinic_is_404(doctor_client, foreign_patient):
    assert doctor_client.get(reverse("assessment:assess", args=[foreign_patient.pk])).status_code == 404
