"""The API refuses every change to a chart whose processing is restricted: 423 with a
message naming the restriction, nothing stored; the very same requests change an open
chart. Reading stays possible, and so does the patient's copy of the case."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.patients.restriction import restrict
from segmenta.patients.tests.charts import build_chart, snapshot


def send(client, method, url, body=None):
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


NEW_ITEMS = {
    "weights": {"date": "2026-11-01", "weight_kg": 62.5},
    "allergies": {"substance": "procaine", "allergy_class": "ester_local_anaesthetic"},
    "medications": {"name": "apixaban", "medication_class": "anticoagulant"},
    "conditions": {"code": "", "text": "migraine"},
    "pregnancy": {"date": "2026-11-01", "status": "not_pregnant"},
    "consents": {"date": "2026-11-01", "decision": "refused", "scope": "Neural therapy"},
    "reviews": {"kind": "medications", "date": "2026-11-01"},
    "complaints": {"description": "knee pain", "status": "active"},
    "history": {"kind": "scar", "description": "knee scar"},
}

WRITES = {
    "update the patient": lambda c, chart: send(c, "patch", f"/api/v1/patients/{chart.patient.pk}",
                                                {"phone": "+49 30 123"}),
    **{f"add to {kind}": (lambda kind: lambda c, chart: send(
        c, "post", reverse(f"api:create_{kind}", args=[chart.patient.pk]), NEW_ITEMS[kind]))(kind)
       for kind in NEW_ITEMS},
    "update a complaint": lambda c, chart: send(
        c, "patch", reverse("api:update_complaints", args=[chart.patient.pk, chart.complaint.pk]), {"nrs": 3}),
    "mark a complaint entered in error": lambda c, chart: send(
        c, "post", reverse("api:in_error_complaints", args=[chart.patient.pk, chart.complaint.pk]),
        {"reason": "wrong patient"}),
    "add a scanned consent": lambda c, chart: c.post(
        reverse("api:create_scanned_consent", args=[chart.patient.pk]),
        {"date": "2026-11-01", "scope": "Neural therapy", "scopes": ["injection_therapy"],
         "scan": SimpleUploadedFile("consent.pdf", b"%PDF-1.4 consent", content_type="application/pdf")}),
    "start a session": lambda c, chart: send(c, "post", reverse("api:create_session", args=[chart.patient.pk]),
                                             {"started_at": timezone.now().isoformat()}),
    "change a draft session": lambda c, chart: send(
        c, "patch", reverse("api:update_session", args=[chart.session.pk]), {"notes": "calm"}),
    "add an injection": lambda c, chart: send(
        c, "post", reverse("api:create_injection", args=[chart.session.pk]),
        {"target": "wheal", "drug": "procaine", "concentration_percent": 1, "volume_ml": 0.5,
         "time": (chart.session.started_at + timezone.timedelta(minutes=10)).isoformat(),
         "regions": [{"choir": 218, "side": "left"}]}),
    "add a response to an injection": lambda c, chart: send(
        c, "patch", reverse("api:injection_response", args=[chart.session.pk, chart.injection.pk]),
        {"onset_seconds": 20, "relief_percent": 80, "duration_hours": 4}),
    "remove a mistaken injection": lambda c, chart: send(
        c, "post", reverse("api:remove_injection", args=[chart.session.pk, chart.second_injection.pk]),
        {"reason": "entered twice"}),
    "discard an empty draft": lambda c, chart: c.delete(reverse("api:discard_session",
                                                                args=[chart.empty_session.pk])),
    "sign a session": lambda c, chart: send(c, "post", reverse("api:sign_session", args=[chart.session.pk])),
    "amend a signed session": lambda c, chart: send(
        c, "post", reverse("api:create_amendment", args=[chart.signed_session.pk]),
        {"reason": "late entry", "text": "Patient called: better."}),
}


@pytest.fixture
def charts(clinic, doctor, admin_user):
    restricted = build_chart(make_patient(clinic, family="Gesperrt", given="Greta"), doctor)
    restrict(restricted.patient, admin_user, "letter of 2026-11-02")
    return restricted, build_chart(make_patient(clinic, family="Offen", given="Otto"), doctor)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_api_change_to_a_restricted_chart_answers_423_and_an_open_chart_changes(write, api_client, charts):
    restricted, open_chart = charts
    before = snapshot(restricted.patient)
    response = WRITES[write](api_client, restricted)
    assert response.status_code == 423, response.content
    body = response.json()
    assert "restricted (GDPR Art. 18)" in body["detail"] and body["errors"][0]["field"] == "patient"
    assert snapshot(restricted.patient) == before
    before = snapshot(open_chart.patient)
    response = WRITES[write](api_client, open_chart)
    assert response.status_code in (200, 201, 204), response.content
    assert snapshot(open_chart.patient) != before


def test_a_restricted_chart_can_still_be_read_and_exported_as_a_case(api_client, charts):
    restricted, open_chart = charts
    read = api_client.get(f"/api/v1/patients/{restricted.patient.pk}")
    assert read.status_code == 200 and read.json()["restricted_at"] is not None
    assert api_client.get(f"/api/v1/patients/{open_chart.patient.pk}").json()["restricted_at"] is None
    assert api_client.get(reverse("api:list_complaints", args=[restricted.patient.pk])).status_code == 200
    case = api_client.get(reverse("api:patient_case", args=[restricted.patient.pk]))
    assert case.status_code == 200 and case.json()["complaints"]
