"""Every refused injection attempt is in the audit trail, though nothing was saved: who tried,
for whom it was charted, the verdict, its codes, and that no override went through."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import complete_chart, login_verified
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    complete_chart(patient, doctor)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def overdose(**extra):
    # 3 % is above procaine's concentration limit: blocked.
    return form_data("injection", {"time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine",
                                   "concentration_percent": "3", "volume_ml": "0.5", "map_regions": "[]",
                                   "action": "save", **extra})


def refusals():
    return list(AuditEvent.objects.filter(object_type="refused_injection"))


def test_a_blocked_attempt_without_an_override_is_recorded(doctor_client, session, patient):
    response = doctor_client.post(reverse("treatment:injection_add", args=[session.pk]), overdose())
    assert response.status_code == 400 and not Injection.objects.exists()
    [event] = refusals()
    assert (event.action, event.username, event.patient_id, event.object_id) == ("create", "doctor", patient.pk,
                                                                                 str(session.pk))
    assert event.detail["refused"] is True and event.detail["verdict"] == "block"
    assert "concentration_too_high" in event.detail["blocking"] and "untrained_technique" in event.detail["codes"]
    assert "untrained_technique" not in event.detail["blocking"]  # a warning, not what refused it
    assert event.detail["override"] is False and event.detail["override_reason_given"] is False
    assert event.detail["performed_by"] == "doctor" and "write why" in event.detail["refusal"]


def test_an_assistants_attempted_override_is_recorded_as_refused(session, assistant):
    client = login_verified(Client(), assistant)
    client.post(reverse("treatment:injection_add", args=[session.pk]), overdose(override_reason="please"))
    [event] = refusals()
    assert event.username == "assist" and event.detail["override_reason_given"] is True
    assert event.detail["override"] is False and "Only a physician" in event.detail["refusal"]


def test_each_attempt_is_recorded(doctor_client, session):
    for _ in range(3):
        doctor_client.post(reverse("treatment:injection_add", args=[session.pk]), overdose())
    assert len(refusals()) == 3


def test_a_checked_but_unsaved_entry_and_a_saved_override_are_no_refusals(doctor_client, session):
    url = reverse("treatment:injection_add", args=[session.pk])
    doctor_client.post(url, overdose(action="check"))
    doctor_client.post(reverse("treatment:injection_check", args=[session.pk]), overdose())
    doctor_client.post(url, overdose(override_reason="Typed 3 for 1; checking the override path"))
    assert refusals() == [] and Injection.objects.get().overridden_by is not None


def test_the_api_records_refused_attempts_too(api_client, session):
    response = api_client.post(reverse("api:create_injection", args=[session.pk]), json.dumps(
        {"target": "wheal", "concentration_percent": 3, "volume_ml": 0.5}), content_type="application/json")
    assert response.status_code == 422
    [event] = refusals()
    assert "concentration_too_high" in event.detail["blocking"]
