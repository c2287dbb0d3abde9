"""The session, adverse-event, follow-up, injection and chart forms refuse a date outside the
clinical range (1900 to a year ahead; what already happened not in the future) and a
malformed body-map selection with a form error at the field (400), and the chart still
opens afterwards: a year-1 date once stored broke every page of the patient on PostgreSQL."""

import json

import pytest
from django.urls import reverse

from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, FollowUp, Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def chart_opens(client, patient):
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert client.get(reverse("assessment:assess", args=[patient.pk])).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "1899-12-31T10:00", "2999-01-01T10:00"])
def test_a_session_form_out_of_range_is_a_field_error(doctor_client, patient, value):
    response = doctor_client.post(reverse("treatment:session_new", args=[patient.pk]),
                                  {"started_at": value, "notes": ""})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["started_at"]
    assert not Session.objects.exists()
    chart_opens(doctor_client, patient)


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "2999-01-01T10:00"])
def test_an_adverse_event_out_of_range_is_a_field_error(doctor_client, patient, session, value):
    response = doctor_client.post(reverse("treatment:event_add", args=[session.pk]), form_data("event", {
        "kind": "haematoma", "occurred_at": value, "severity": "mild", "causality": "possible",
        "outcome": "recovered"}))
    assert response.status_code == 400 and "occurred_at" in response.context["event_form"].errors
    assert not AdverseEvent.objects.exists()
    chart_opens(doctor_client, patient)


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "2999-01-01T10:00"])
def test_a_follow_up_out_of_range_is_a_field_error(doctor_client, patient, session, value):
    response = doctor_client.post(reverse("treatment:follow_up_add", args=[session.pk]),
                                  form_data("follow-up", {"reported_at": value, "reaction": "none"}))
    assert response.status_code == 400 and "reported_at" in response.context["follow_up_form"].errors
    assert not FollowUp.objects.exists()
    chart_opens(doctor_client, patient)


def test_a_follow_up_reported_in_the_future_is_refused(doctor_client, session):
    response = doctor_client.post(reverse("treatment:follow_up_add", args=[session.pk]),
                                  form_data("follow-up", {"reported_at": "2027-06-01T10:00", "reaction": "none"}))
    assert response.status_code == 400 and "reported_at" in response.context["follow_up_form"].errors


BAD_MAP = {
    "a list as segment": [{"choir": [1]}],
    "an object": {"a": 1},
    "a list as region": [{"region": ["shoulder"]}],
    "deep nesting": json.loads("[" * 200 + "]" * 200),
}


@pytest.mark.parametrize("value", BAD_MAP.values(), ids=BAD_MAP.keys())
def test_a_malformed_body_map_on_the_injection_form_is_a_field_error(doctor_client, patient, session, value):
    response = doctor_client.post(reverse("treatment:injection_add", args=[session.pk]), form_data("injection", {
        "time": "2026-11-25T10:10", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "aspiration_done": "on", "map_regions": json.dumps(value), "action": "save"}))
    assert response.status_code == 400 and "map_regions" in response.context["injection_form"].errors
    assert not Injection.objects.exists()
    chart_opens(doctor_client, patient)


@pytest.mark.parametrize("kind, data", [("complaints", {"description": "Back pain", "status": "active"}),
                                        ("history", {"kind": "scar", "description": "Appendectomy"})])
@pytest.mark.parametrize("value", [*BAD_MAP.values(), "[" * 100_000 + "]" * 100_000],
                         ids=[*BAD_MAP.keys(), "nesting beyond the parser"])
def test_a_malformed_body_map_on_the_chart_forms_is_a_field_error(doctor_client, patient, kind, data, value):
    raw = value if isinstance(value, str) else json.dumps(value)
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, kind]),
                                  {**data, "map_regions": raw})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["map_regions"]
    assert not pm.Complaint.objects.exists() and not pm.HistoryItem.objects.exists()
    chart_opens(doctor_client, patient)


@pytest.mark.parametrize("kind, data, field, value", [
    ("weights", {"weight_kg": "70"}, "date", "0001-01-01"),
    ("pregnancy", {"status": "not_pregnant"}, "date", "2999-01-01"),
    ("medications", {"name": "Apixaban", "medication_class": "anticoagulant", "active": "on"}, "last_dose",
     "0001-01-01T00:00"),
    ("complaints", {"description": "Back pain", "status": "active"}, "onset", "0001-06"),
    ("history", {"kind": "scar", "description": "Appendectomy"}, "date", "1850"),
])
def test_a_chart_form_date_out_of_range_is_a_field_error(doctor_client, patient, kind, data, field, value):
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, kind]), {**data, field: value})
    assert response.status_code == 400 and list(response.context["form"].errors) == [field]
    chart_opens(doctor_client, patient)


def test_a_birth_date_before_1900_is_a_field_error(doctor_client, patient):
    response = doctor_client.post(reverse("patients:edit", args=[patient.pk]), {
        "family_name": "Muster", "given_name": "Erika", "birth_date": "0001-01-01", "sex": "female"})
    assert response.status_code == 400 and "birth_date" in response.context["form"].errors


@pytest.mark.parametrize("value", ["0001-01-01", "2999-01-01"])
def test_a_red_flag_screening_out_of_range_is_a_field_error(doctor_client, patient, value):
    complaint = pm.Complaint.objects.create(patient=patient, description="Back pain", status="active")
    response = doctor_client.post(reverse("assessment:screening", args=[patient.pk, complaint.pk]), {"date": value})
    assert response.status_code == 400 and "date" in response.context["form"].errors
    chart_opens(doctor_client, patient)
