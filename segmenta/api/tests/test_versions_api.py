"""Every version of a chart entry and of the patient through the API, and entries marked
"entered in error" instead of deleted (§630f BGB: the original and the time of a change
stay visible)."""

import json

import pytest
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient, make_user
from segmenta.patients import models as m

from .test_chart_api import EXAMPLES, post

# kind: (field changed, its new value)
CHANGES = {"weights": ("weight_kg", 63.0), "allergies": ("reaction", "anaphylaxis"), "medications": ("dose", "2.5 mg"),
           "conditions": ("text", "since 2019"), "pregnancy": ("note", "asked"), "consents": ("scope", "scars only"),
           "reviews": ("note", "checked twice"), "complaints": ("description", "left shoulder pain"),
           "history": ("description", "appendectomy")}


def patch(client, kind, patient, item_id, body):
    return client.patch(reverse(f"api:update_{kind}", args=[patient.pk, item_id]), json.dumps(body),
                        content_type="application/json")


def mark(client, kind, patient, item_id, body):
    return client.post(reverse(f"api:in_error_{kind}", args=[patient.pk, item_id]), json.dumps(body),
                       content_type="application/json")


def versions(client, kind, patient, item_id):
    return client.get(reverse(f"api:versions_{kind}", args=[patient.pk, item_id]))


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_versions_of_every_chart_kind_list_newest_first_with_who_what_and_the_full_content(
        api_client, patient, kind):
    item_id = post(api_client, f"create_{kind}", patient, EXAMPLES[kind]).json()["id"]
    field, new = CHANGES[kind]
    assert patch(api_client, kind, patient, item_id, {field: new}).status_code == 200

    response = versions(api_client, kind, patient, item_id)

    assert response.status_code == 200
    newest, original = response.json()
    assert (newest["version"], newest["type"], newest["by"], newest["changed_fields"]) == (2, "changed", "doctor",
                                                                                           [field])
    assert (original["version"], original["type"], original["by"], original["changed_fields"]) == (
        1, "created", "doctor", [])
    assert newest["content"][field] == new
    for key, value in EXAMPLES[kind].items():  # the original content stays visible
        assert original["content"][key] == value
    assert newest["at"] >= original["at"]


def test_saving_again_without_a_change_is_no_new_version(api_client, patient):
    item_id = post(api_client, "create_allergies", patient, EXAMPLES["allergies"]).json()["id"]
    patch(api_client, "allergies", patient, item_id, {"reaction": EXAMPLES["allergies"]["reaction"]})
    assert [v["version"] for v in versions(api_client, "allergies", patient, item_id).json()] == [1]


def test_reading_versions_is_audited_as_a_view(api_client, patient):
    item_id = post(api_client, "create_allergies", patient, EXAMPLES["allergies"]).json()["id"]
    versions(api_client, "allergies", patient, item_id)
    event = AuditEvent.objects.filter(action="view").get()
    assert (event.patient_id, event.object_type, event.object_id) == (patient.pk, "allergy", str(item_id))
    assert event.detail == {"api": True, "versions": True}


def test_versions_of_another_clinics_entries_answer_404(api_client, patient, foreign_patient):
    foreign = m.Allergy.objects.create(patient=foreign_patient, substance="latex", allergy_class="other")
    assert versions(api_client, "allergies", foreign_patient, foreign.pk).status_code == 404
    # Nor through one of the caller's own patients.
    assert versions(api_client, "allergies", patient, foreign.pk).status_code == 404
    assert api_client.get(reverse("api:patient_versions", args=[foreign_patient.pk])).status_code == 404
    assert mark(api_client, "allergies", patient, foreign.pk, {"reason": "x"}).status_code == 404
    assert not AuditEvent.objects.filter(patient=foreign_patient).exists()
    foreign.refresh_from_db()
    assert not foreign.in_error


def test_the_patients_own_details_have_versions(api_client, patient, doctor):
    url = reverse("api:patient_versions", args=[patient.pk])
    api_client.patch(f"/api/v1/patients/{patient.pk}", {"phone": "+49 30 1234"}, content_type="application/json")
    newest, original = api_client.get(url).json()
    assert (newest["type"], newest["by"], newest["changed_fields"]) == ("changed", "doctor", ["phone"])
    assert (original["content"]["phone"], newest["content"]["phone"]) == ("", "+49 30 1234")
    assert original["content"]["family_name"] == "Muster"
    assert AuditEvent.objects.filter(action="view", object_type="patient", detail__versions=True).exists()


def test_marking_an_entry_in_error_needs_a_reason_named_in_the_error(api_client, patient):
    item_id = post(api_client, "create_allergies", patient, EXAMPLES["allergies"]).json()["id"]
    for body in ({"reason": ""}, {"reason": "   "}, {}, {"reason": "x" * 501}):
        response = mark(api_client, "allergies", patient, item_id, body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    assert not m.Allergy.objects.get(pk=item_id).in_error


def test_an_entry_marked_in_error_is_kept_counts_nowhere_and_cannot_be_changed(api_client, patient):
    item_id = post(api_client, "create_allergies", patient, EXAMPLES["allergies"]).json()["id"]

    marked = mark(api_client, "allergies", patient, item_id, {"reason": "wrong patient"})

    assert marked.status_code == 200, marked.json()
    assert (marked.json()["entered_in_error_by"], marked.json()["error_reason"]) == ("doctor", "wrong patient")
    assert marked.json()["entered_in_error_at"]
    item = m.Allergy.objects.get(pk=item_id)  # kept, never deleted
    assert item.in_error and item.entered_in_error_by.username == "doctor"
    event = AuditEvent.objects.filter(action="update", object_id=str(item_id)).get()
    assert event.detail["entered_in_error"] is True
    newest = versions(api_client, "allergies", patient, item_id).json()[0]
    assert (newest["type"], newest["by"], newest["content"]["error_reason"]) == (
        "entered_in_error", "doctor", "wrong patient")
    # Listed only when asked for; read directly it says so.
    assert api_client.get(reverse("api:list_allergies", args=[patient.pk])).json() == []
    listed = api_client.get(reverse("api:list_allergies", args=[patient.pk]) + "?include_in_error=true").json()
    assert [i["id"] for i in listed] == [item_id]
    assert api_client.get(reverse("api:read_allergies", args=[patient.pk, item_id])).json()["error_reason"]
    # Not in the case the engines read.
    case = api_client.get(reverse("api:patient_case", args=[patient.pk])).json()
    assert case["patient"]["allergies"] == []
    # Refused: a change, and marking it twice.
    refused = patch(api_client, "allergies", patient, item_id, {"reaction": "none"})
    assert refused.status_code == 409 and "entered in error" in refused.json()["detail"]
    assert mark(api_client, "allergies", patient, item_id, {"reason": "again"}).status_code == 409
    item.refresh_from_db()
    assert (item.reaction, item.error_reason) == ("urticaria", "wrong patient")


def test_a_corrected_entry_can_be_added_beside_the_one_in_error(api_client, patient):
    item_id = post(api_client, "create_weights", patient, EXAMPLES["weights"]).json()["id"]
    mark(api_client, "weights", patient, item_id, {"reason": "typed 62.5 for 82.5"})
    corrected = post(api_client, "create_weights", patient, {**EXAMPLES["weights"], "weight_kg": 82.5})
    assert corrected.status_code == 201
    case = api_client.get(reverse("api:patient_case", args=[patient.pk])).json()
    assert case["patient"]["weight_kg"] == 82.5


def test_versions_name_whoever_changed_the_entry_not_whoever_created_it(api_client, patient, clinic):
    from django.test import Client

    from segmenta.accounts.models import ApiToken

    colleague = make_user("colleague", clinic)
    _token, raw = ApiToken.issue(colleague, "tests")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    item_id = post(api_client, "create_medications", patient, EXAMPLES["medications"]).json()["id"]
    patch(other, "medications", patient, item_id, {"dose": "2.5 mg twice daily"})
    mark(other, "medications", patient, item_id, {"reason": "another patient's plan"})
    assert [(v["version"], v["type"], v["by"]) for v in versions(api_client, "medications", patient, item_id).json()] \
        == [(3, "entered_in_error", "colleague"), (2, "changed", "colleague"), (1, "created", "doctor")]


def test_no_api_path_deletes_a_chart_entry_or_a_patient(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    deleting = [path for path, operations in schema["paths"].items()
                if path.startswith("/api/v1/patients") and "delete" in operations]
    assert deleting == []
    assert "/api/v1/patients/{patient_id}/allergies/{item_id}/versions" in schema["paths"]
    assert "/api/v1/patients/{patient_id}/allergies/{item_id}/entered-in-error" in schema["paths"]
    assert "/api/v1/patients/{patient_id}/versions" in schema["paths"]


def test_an_entry_is_reached_only_through_its_own_patient(api_client, patient, clinic):
    sibling = make_patient(clinic, family="Other")
    item = m.Complaint.objects.create(patient=sibling, description="back pain")
    assert versions(api_client, "complaints", patient, item.pk).status_code == 404
    assert mark(api_client, "complaints", patient, item.pk, {"reason": "x"}).status_code == 404
