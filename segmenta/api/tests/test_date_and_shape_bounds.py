"""Dates outside a clinical range (1900 to a year ahead; what already happened not in the
future) and UTC offsets beyond ±14:00 are refused with 422 naming the field, before anything
is stored: a year-1 date once saved broke the chart, the case, the assessment and the
research export on PostgreSQL and overflowed on SQLite. Malformed shapes and deep nesting
answer 422 too, never 500."""

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def fields(response):
    return [error["field"] for error in response.json()["errors"]]


def everything_opens(client, api_client, patient):
    """The chart, the case, the assessment and the research export still answer."""
    pm.Consent.objects.create(patient=patient, date="2026-01-01", scope="Neural therapy and research",
                              scopes=["injection_therapy", "research_use"], method="signature",
                              signature_svg="M 1 1 L 5 5")
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    assert api_client.get(reverse("api:patient_case", args=[patient.pk])).status_code == 200
    assert client.get(reverse("assessment:assess", args=[patient.pk])).status_code == 200
    session = client.session
    session["reauth_at"] = time.time()
    session.save()
    assert client.get(reverse("outcomes:research_export", args=["csv"])).status_code == 200


BAD_TIMES = {
    "year 1": "0001-01-01T00:00:00",
    "year 1 with an offset": "0001-01-01T00:30:00+14:00",
    "before 1900": "1899-12-31T23:00:00+01:00",
    "years ahead": "2999-01-01T10:00:00+01:00",
    "offset +16:00": "2026-11-25T10:00:00+16:00",
    "offset -15:00": "2026-11-25T10:00:00-15:00",
}


@pytest.mark.parametrize("value", BAD_TIMES.values(), ids=BAD_TIMES.keys())
def test_a_session_out_of_range_is_refused_naming_the_field(api_client, doctor_client, patient, value):
    response = post(api_client, reverse("api:create_session", args=[patient.pk]), {"started_at": value})
    assert response.status_code == 422 and fields(response) == ["started_at"]
    assert not Session.objects.exists()
    everything_opens(doctor_client, api_client, patient)


def test_a_session_date_within_range_and_offset_is_kept(api_client, patient):
    response = post(api_client, reverse("api:create_session", args=[patient.pk]),
                    {"started_at": "2026-11-25T10:00:00+14:00"})
    assert response.status_code == 201


def test_a_session_moved_out_of_range_is_refused(api_client, patient, doctor):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    response = api_client.patch(reverse("api:update_session", args=[session.pk]),
                                json.dumps({"started_at": "0001-01-01T00:00:00"}), content_type="application/json")
    assert response.status_code == 422 and fields(response) == ["started_at"]
    session.refresh_from_db()
    assert session.started_at.year == 2026


@pytest.mark.parametrize("field, value", [("expiry", "0001-01-01"), ("expiry", "2999-01-01"),
                                          ("time", "0001-01-01T00:00:00"), ("time", "2026-11-25T10:00:00+15:00")])
def test_an_injection_date_out_of_range_is_refused(api_client, patient, doctor, field, value):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    response = post(api_client, reverse("api:create_injection", args=[session.pk]), {
        "target": "wheal", "concentration_percent": 1, "volume_ml": 0.5, field: value})
    assert response.status_code == 422 and fields(response) == [field]
    assert not Injection.objects.exists()


CHART_DATES = [
    ("weights", {"weight_kg": 70}, "date", "0001-01-01"),
    ("weights", {"weight_kg": 70}, "date", "2099-01-01"),
    ("pregnancy", {"status": "not_pregnant"}, "date", "1850-05-01"),
    ("reviews", {"kind": "allergies"}, "date", "0001-01-01"),
    ("consents", {"decision": "refused", "scope": "Neural therapy"}, "date", "0001-01-01"),
    ("medications", {"name": "Apixaban", "medication_class": "anticoagulant"}, "last_dose", "0001-01-01T00:00:00"),
    ("medications", {"name": "Apixaban", "medication_class": "anticoagulant"}, "last_dose", "2026-11-25T10:00:00+16:00"),
    ("complaints", {"description": "Back pain", "status": "active"}, "onset", "0001"),
    ("complaints", {"description": "Back pain", "status": "active"}, "onset", "2999-01"),
    ("history", {"kind": "scar", "description": "Appendectomy"}, "date", "1066"),
]


@pytest.mark.parametrize("kind, body, field, value", CHART_DATES,
                         ids=[f"{k}.{f}={v}" for k, _b, f, v in CHART_DATES])
def test_a_chart_date_out_of_range_is_refused(api_client, doctor_client, patient, kind, body, field, value):
    response = post(api_client, reverse(f"api:create_{kind}", args=[patient.pk]), {**body, field: value})
    assert response.status_code == 422, response.content
    assert fields(response) == [field]
    everything_opens(doctor_client, api_client, patient)


def test_a_last_dose_later_than_now_is_refused_but_minutes_of_clock_drift_are_not(api_client, patient):
    url = reverse("api:create_medications", args=[patient.pk])
    soon = timezone.localtime() + timedelta(minutes=5)
    later = timezone.localtime() + timedelta(hours=3)
    body = {"name": "Apixaban", "medication_class": "anticoagulant"}
    assert post(api_client, url, {**body, "last_dose": later.isoformat()}).status_code == 422
    assert post(api_client, url, {**body, "last_dose": soon.isoformat()}).status_code == 201


def test_a_birth_date_before_1900_is_refused(api_client, clinic):
    response = post(api_client, reverse("api:create_patient"), {
        "family_name": "Alt", "given_name": "Anna", "birth_date": "0001-01-01", "sex": "female"})
    assert response.status_code == 422 and fields(response) == ["birth_date"]


BAD_REGIONS = {
    "a list as region": [{"region": ["a"]}],
    "an object as region": [{"region": {"a": 1}}],
    "a list as segment": [{"choir": [1]}],
    "a list as side": [{"choir": 118, "side": ["left"]}],
    "true as segment": [{"choir": True}],
    "not a list": {"a": 1},
}


@pytest.mark.parametrize("kind, body", [("complaints", {"description": "Back pain", "status": "active"}),
                                        ("history", {"kind": "scar", "description": "Appendectomy"})])
@pytest.mark.parametrize("regions", BAD_REGIONS.values(), ids=BAD_REGIONS.keys())
def test_malformed_regions_are_refused_naming_the_field(api_client, doctor_client, patient, kind, body, regions):
    response = post(api_client, reverse(f"api:create_{kind}", args=[patient.pk]), {**body, "regions": regions})
    assert response.status_code == 422 and fields(response) == ["regions"]
    assert doctor_client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200


@pytest.mark.parametrize("regions", BAD_REGIONS.values(), ids=BAD_REGIONS.keys())
def test_malformed_injection_regions_are_refused(api_client, patient, doctor, regions):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    response = post(api_client, reverse("api:create_injection", args=[session.pk]), {
        "target": "wheal", "concentration_percent": 1, "volume_ml": 0.5, "regions": regions})
    assert response.status_code == 422 and fields(response) == ["regions"]
    assert not Injection.objects.exists()


def test_deeply_nested_bodies_are_refused_naming_the_limit(api_client, patient):
    url = reverse("api:create_complaints", args=[patient.pk])
    for depth in (40, 100_000):
        body = '{"description": "x", "status": "active", "regions": ' + "[" * depth + "]" * depth + "}"
        response = api_client.post(url, body, content_type="application/json")
        assert response.status_code == 422 and "nested deeper than" in response.json()["detail"]
    assert not pm.Complaint.objects.exists()


@pytest.mark.parametrize("birth", ["0000-01-01", "0001-01-01", "1850-01-01", "2999-01-01"])
@pytest.mark.parametrize("engine", ["assess", "safety", "huneke"])
def test_the_engines_refuse_a_case_date_out_of_range(api_client, engine, birth):
    from segmenta.assessment.tests.cases import case

    response = post(api_client, reverse(f"api:{engine}"), case(birth_date=birth))
    assert response.status_code == 422 and fields(response) == ["patient.birth_date"]


def test_the_engines_take_a_case_from_1900(api_client):
    from segmenta.assessment.tests.cases import case

    assert post(api_client, reverse("api:assess"), case(birth_date="1900-01-01")).status_code == 200


@pytest.mark.parametrize("time, refused", [("2026-11-25T10:00:00+14:00", False), ("2026-11-25T10:00:00+16:00", True),
                                           ("2026-11-25T10:00:00-15:30", True), ("0001-01-01T00:00:00", True)])
def test_the_safety_engine_refuses_a_time_out_of_range(api_client, time, refused):
    from segmenta.treatment.tests.engine import injection

    case = {"format": "segmenta-case/1", "patient": {"sex": "female", "weight_kg": 70, "birth_date": "1980-06-15"},
            "planned_injections": [injection(time=time)]}
    response = post(api_client, reverse("api:safety"), case)
    assert response.status_code == (422 if refused else 200), response.content
    if refused:
        assert fields(response) == ["planned_injections[0].time"]
