"""A response (onset, relief, how long it lasted) is added to a saved injection while the
session is a draft: audited, and the injection's versions keep what it said before."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import login_verified
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


@pytest.fixture
def injection(session, doctor):
    return Injection.objects.create(session=session, order=1, time=session.started_at, target="scar",
                                    concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10,
                                    performed_by=doctor)


def respond(client, injection, **values):
    return client.post(reverse("treatment:response_edit", args=[injection.session_id, injection.pk]),
                       form_data(f"response-{injection.pk}", values))


def test_a_response_added_later_is_stored_audited_and_versioned(doctor_client, doctor, injection):
    response = respond(doctor_client, injection, onset_seconds="8", relief_percent="90", duration_hours="6.5")
    assert response.status_code == 302 and response.url.endswith(f"#injection-{injection.pk}")
    injection.refresh_from_db()
    assert (injection.onset_seconds, injection.relief_percent, float(injection.duration_hours)) == (8, 90, 6.5)
    event = AuditEvent.objects.get(action="update", object_type="injection", object_id=str(injection.pk))
    assert event.detail["fields"] == ["onset_seconds", "relief_percent", "duration_hours"]
    assert event.detail["before"]["relief_percent"] is None and event.detail["after"]["relief_percent"] == "90"
    versions = list(injection.versions.order_by("history_date", "history_id"))
    assert [v.relief_percent for v in versions] == [None, 90]
    assert versions[-1].history_user == doctor


def test_a_corrected_response_keeps_the_earlier_one_in_the_versions(doctor_client, injection):
    respond(doctor_client, injection, onset_seconds="8", relief_percent="90", duration_hours="")
    respond(doctor_client, injection, onset_seconds="8", relief_percent="60", duration_hours="2")
    assert [v.relief_percent for v in injection.versions.order_by("history_date", "history_id")] == [None, 90, 60]
    assert AuditEvent.objects.get(action="update", detail__fields=["relief_percent", "duration_hours"])


def test_an_unchanged_response_writes_nothing(doctor_client, injection):
    respond(doctor_client, injection, onset_seconds="", relief_percent="", duration_hours="")
    assert injection.versions.count() == 1 and not AuditEvent.objects.filter(action="update").exists()


def test_relief_above_100_percent_is_refused_naming_the_field(doctor_client, injection):
    response = respond(doctor_client, injection, onset_seconds="5", relief_percent="150", duration_hours="1")
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_response-{injection.pk}-relief_percent"' in page and "less than or equal to 100" in page
    injection.refresh_from_db()
    assert injection.relief_percent is None


def test_a_signed_session_refuses_a_late_response(doctor_client, injection, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    response = respond(doctor_client, injection, onset_seconds="5", relief_percent="80", duration_hours="1")
    assert response.status_code == 302
    injection.refresh_from_db()
    assert injection.relief_percent is None
    assert "add an amendment" in doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()


def test_another_clinics_injection_is_404(injection, outsider):
    client = login_verified(Client(), outsider)
    assert respond(client, injection, relief_percent="80").status_code == 404
    injection.refresh_from_db()
    assert injection.relief_percent is None


def test_an_injection_of_another_session_is_not_reached_through_this_one(doctor_client, injection, patient, doctor):
    other = Session.objects.create(patient=patient, started_at="2026-11-26T10:00:00+01:00", practitioner=doctor)
    response = doctor_client.post(reverse("treatment:response_edit", args=[other.pk, injection.pk]),
                                  form_data(f"response-{injection.pk}", {"relief_percent": "80"}))
    assert response.status_code == 404


def test_the_page_offers_a_response_form_per_injection_only_while_a_draft(doctor_client, injection, session):
    url = reverse("treatment:session", args=[session.pk])
    assert reverse("treatment:response_edit", args=[session.pk, injection.pk]) in doctor_client.get(url).content.decode()
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    assert "response-" not in doctor_client.get(url).content.decode()


def test_the_api_adds_a_response_and_refuses_one_once_signed(api_client, injection, session):
    url = reverse("api:injection_response", args=[session.pk, injection.pk])
    response = api_client.patch(url, json.dumps({"relief_percent": 70, "onset_seconds": 30}),
                                content_type="application/json")
    assert response.status_code == 200 and response.json()["changed"] == ["onset_seconds", "relief_percent"]
    injection.refresh_from_db()
    assert (injection.onset_seconds, injection.relief_percent, injection.duration_hours) == (30, 70, None)
    bad = api_client.patch(url, json.dumps({"relief_percent": 101}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "relief_percent"
    huge = api_client.patch(url, json.dumps({"onset_seconds": 2**31}), content_type="application/json")
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "onset_seconds"
    api_client.post(reverse("api:sign_session", args=[session.pk]))
    late = api_client.patch(url, json.dumps({"duration_hours": 3}), content_type="application/json")
    assert late.status_code == 409
