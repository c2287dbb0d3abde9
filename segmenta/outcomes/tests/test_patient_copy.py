"""The patient's copy of the chart (GDPR Art. 15 and 20): a readable summary of everything
stored and the case JSON, after the password again, audited, for the clinic's members only,
and still possible when the chart's processing is restricted."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from segmenta import caseformat
from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified, make_patient, reauthenticated
from segmenta.patients import models as pm
from segmenta.patients.restriction import restrict
from segmenta.patients.tests.charts import build_chart


@pytest.fixture
def chart(clinic, doctor):
    return build_chart(make_patient(clinic, family="Kopie", given="Klara", phone="+49 30 555"), doctor)


def copy_url(chart):
    return reverse("outcomes:patient_copy", args=[chart.patient.pk])


def json_url(chart):
    return reverse("outcomes:patient_copy_json", args=[chart.patient.pk])


def test_the_copy_asks_for_the_password_again(chart, doctor_client):
    response = doctor_client.get(copy_url(chart))
    assert response.status_code == 302 and "/accounts/reauth/" in response.url


def test_the_summary_holds_every_part_of_the_chart_in_words(chart, doctor_client):
    html = reauthenticated(doctor_client).get(copy_url(chart)).content.decode()
    for expected in ("Kopie", "+49 30 555", "Shoulder pain", "Appendectomy", "Latex", "Vitamin D", "asthma",
                     "Wheal (intracutaneous)", "Vasovagal reaction", "NRS was 6, not 5", "PHQ-9", "less pain",
                     "Shoulder (right)", "Injection therapy (neural therapy)"):
        assert expected in html, expected
    assert "signature_svg" not in html and "M 1 1 L 5 5" not in html  # internal strokes are not data to read


def test_the_summary_names_body_map_segments_and_writes_numbers_as_people_do(chart, doctor_client):
    pm.Complaint.objects.create(patient=chart.patient, description="Front shoulder", regions=[{"choir": 107}])
    pm.WeightMeasurement.objects.create(patient=chart.patient, date="2026-11-01", weight_kg="64.0", height_cm=168)
    html = reauthenticated(doctor_client).get(copy_url(chart)).content.decode()
    assert "body-map segment 107" not in html and "Front of shoulder, right" in html
    assert "<dd>64</dd>" in html and "64.0" not in html


def test_an_entry_marked_in_error_is_shown_as_such(chart, doctor_client, doctor):
    from django.utils import timezone

    pm.Allergy.objects.filter(patient=chart.patient).update(entered_in_error_at=timezone.now(),
                                                            entered_in_error_by=doctor, error_reason="wrong chart")
    html = reauthenticated(doctor_client).get(copy_url(chart)).content.decode()
    assert "entered in error" in html and "wrong chart" in html


def test_the_data_file_is_the_case_format_and_valid(chart, doctor_client):
    response = reauthenticated(doctor_client).get(json_url(chart))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert f'filename="patient-copy-{chart.patient.pk}-' in response["Content-Disposition"]
    case = json.loads(response.content)
    assert caseformat.errors(case) == [] and case["format"] == caseformat.FORMAT
    assert [c["description"] for c in case["complaints"]] == ["Shoulder pain", "Neck pain"]


def test_each_copy_is_audited_as_an_export(chart, doctor_client):
    client = reauthenticated(doctor_client)
    client.get(copy_url(chart))
    client.get(json_url(chart))
    formats = sorted(e.detail["format"] for e in AuditEvent.objects.filter(action="export", patient=chart.patient,
                                                                             detail__patient_copy=True))
    assert formats == ["case", "html"]


def test_a_restricted_chart_can_still_be_copied_for_the_patient(chart, doctor_client, admin_user):
    restrict(chart.patient, admin_user, "letter")
    client = reauthenticated(doctor_client)
    response = client.get(copy_url(chart))
    assert response.status_code == 200 and "Shoulder pain" in response.content.decode()
    assert client.get(json_url(chart)).status_code == 200
    assert AuditEvent.objects.filter(action="export", patient=chart.patient, detail__restricted=True).count() == 2


def test_another_clinic_gets_a_404(chart, outsider):
    client = reauthenticated(login_verified(Client(), outsider))
    assert client.get(copy_url(chart)).status_code == 404
    assert client.get(json_url(chart)).status_code == 404


def test_a_german_patients_copy_names_regions_segments_and_codes_in_german(chart, doctor_client):
    chart.patient.language = "de"
    chart.patient.save()
    pm.Complaint.objects.create(patient=chart.patient, description="Schulter vorn", regions=[{"choir": 107}])
    html = reauthenticated(doctor_client).get(copy_url(chart)).content.decode()
    for expected in ("Schulter (rechts)", "Schultervorderseite, rechts", "Injektionstherapie (Neuraltherapie)"):
        assert expected in html, expected
    assert "Shoulder (right)" not in html and "Front of shoulder" not in html
