import json
from datetime import datetime
from datetime import timezone as dt_timezone

import pytest
from django.urls import reverse

from segmenta import caseformat
from segmenta.audit.models import AuditEvent
from segmenta.patients.models import Complaint, HistoryItem


def post(client, name, patient, body):
    return client.post(reverse(f"api:{name}", args=[patient.pk]), json.dumps(body), content_type="application/json")


EXAMPLES = {
    "weights": {"date": "2026-11-01", "weight_kg": 62.5, "height_cm": 168.0},
    "allergies": {"substance": "procaine", "allergy_class": "ester_local_anaesthetic", "reaction": "urticaria"},
    "medications": {"name": "apixaban", "medication_class": "anticoagulant", "dose": "5 mg twice daily"},
    "conditions": {"code": "diabetic_neuropathy", "text": ""},
    "pregnancy": {"date": "2026-11-01", "status": "not_pregnant"},
    "consents": {"date": "2026-11-01", "decision": "given", "scopes": ["injection_therapy"],
                 "scope": "Segmental and scar injections with procaine 1 %",
                 "method": "signature", "signature_svg": "M10 10L40 30L60 12"},
    "reviews": {"kind": "medications", "date": "2026-11-01", "note": "asked the patient"},
    "complaints": {"description": "right shoulder pain", "regions": [{"choir": 107, "side": "right"}],
                   "organs": [], "onset": "2019-06", "nrs": 6, "findings": [], "status": "active"},
    "history": {"kind": "scar", "description": "laparoscopic cholecystectomy",
                "regions": [{"region": "abdomen_upper", "side": "right"}], "organs": ["gallbladder"],
                "date": "2019-01", "signs": ["itching", "weather_sensitive"]},
}


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_chart_item_can_be_created_read_and_updated(api_client, patient, kind):
    created = post(api_client, f"create_{kind}", patient, EXAMPLES[kind])
    assert created.status_code == 201, created.json()
    item_id = created.json()["id"]
    read = api_client.get(reverse(f"api:read_{kind}", args=[patient.pk, item_id]))
    assert read.status_code == 200
    for key, value in EXAMPLES[kind].items():
        assert read.json()[key] == value
    field = {"weights": "weight_kg", "pregnancy": "note", "conditions": "text", "allergies": "reaction",
             "medications": "dose", "consents": "scope", "reviews": "note"}.get(kind, "description")
    new_value = 63.0 if field == "weight_kg" else "changed"
    patched = api_client.patch(reverse(f"api:update_{kind}", args=[patient.pk, item_id]),
                               {field: new_value}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()[field] == new_value
    listed = api_client.get(reverse(f"api:list_{kind}", args=[patient.pk])).json()
    assert [i["id"] for i in listed] == [item_id]
    actions = list(AuditEvent.objects.filter(patient=patient).values_list("action", flat=True))
    assert sorted(actions) == ["create", "update", "view", "view"]


@pytest.mark.parametrize("body,field", [
    ({"kind": "scar", "description": "x", "regions": [{"region": "shulder"}]}, "regions"),
    ({"kind": "scar", "description": "x", "regions": [{"choir": 999}]}, "regions"),
    ({"kind": "scar", "description": "x", "date": "2019-13"}, "date"),
    ({"kind": "scar", "description": "x", "signs": ["glowing"]}, "signs"),
    ({"kind": "scar", "description": "x", "organs": "liver"}, "organs"),
    ({"kind": "tooth", "description": "extraction"}, "tooth"),
    ({"kind": "tooth", "tooth": "19", "description": "extraction"}, "tooth"),
    ({"kind": "volcano", "description": "x"}, "kind"),
    ({"kind": "scar", "description": "x", "colour": "red"}, "colour"),
])
def test_bad_history_items_are_refused_naming_the_field(api_client, patient, body, field):
    response = post(api_client, "create_history", patient, body)
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not HistoryItem.objects.exists()


def test_complaint_nrs_must_lie_between_0_and_10(api_client, patient):
    response = post(api_client, "create_complaints", patient, {"description": "pain", "nrs": 11})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "nrs"
    assert not Complaint.objects.exists()


def test_consent_on_screen_needs_a_signature(api_client, patient):
    body = {**EXAMPLES["consents"], "signature_svg": ""}
    response = post(api_client, "create_consents", patient, body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "signature_svg"


def test_signature_holds_only_stroke_data(api_client, patient):
    body = {**EXAMPLES["consents"], "signature_svg": '"/><script>alert(1)</script>'}
    response = post(api_client, "create_consents", patient, body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "signature_svg"


def test_chart_items_of_another_clinic_are_404(api_client, foreign_patient):
    response = post(api_client, "create_history", foreign_patient, EXAMPLES["history"])
    assert response.status_code == 404
    assert api_client.get(reverse("api:list_history", args=[foreign_patient.pk])).status_code == 404
    assert not HistoryItem.objects.exists()


def test_item_of_another_patient_is_404(api_client, patient, clinic):
    from segmenta.conftest import make_patient

    other = make_patient(clinic, family="Zweit")
    item = post(api_client, "create_history", other, EXAMPLES["history"]).json()["id"]
    assert api_client.get(reverse("api:read_history", args=[patient.pk, item])).status_code == 404


def test_case_export_is_valid_against_the_published_schema(api_client, patient, doctor):
    for kind, body in EXAMPLES.items():
        assert post(api_client, f"create_{kind}", patient, body).status_code == 201
    post(api_client, "create_history", patient, {"kind": "tooth", "tooth": "38", "description": "extraction",
                                                 "date": "1998", "signs": ["impacted"]})
    response = api_client.get(reverse("api:patient_case", args=[patient.pk]))
    assert response.status_code == 200
    case = response.json()
    assert caseformat.errors(case) == []
    assert case["patient"]["weight_kg"] == 62.5 and case["patient"]["pregnant"] is False
    assert case["patient"]["allergies"] == [{"substance": "procaine", "class": "ester_local_anaesthetic"}]
    assert case["patient"]["conditions"] == ["diabetic_neuropathy"]
    assert [h["kind"] for h in case["history"]] == ["scar", "tooth"]
    assert case["history"][1]["tooth"] == "38"
    assert case["complaints"][0]["regions"] == [{"choir": 107, "side": "right"}]
    assert case["practitioner"]["profession"] == "physician"
    assert case["patient"]["height_cm"] == 168.0
    assert case["patient"]["reviewed"] == {"allergies": None, "medications": "2026-11-01",
                                           "pregnancy": "2026-11-01"}
    assert case["consent"] == {"status": "given", "date": "2026-11-01", "scope": ["injection_therapy"]}
    assert AuditEvent.objects.filter(action="export", patient=patient).exists()


def test_case_of_another_clinics_patient_is_404(api_client, foreign_patient):
    assert api_client.get(reverse("api:patient_case", args=[foreign_patient.pk])).status_code == 404


def test_openapi_lists_the_chart_endpoints(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for kind in EXAMPLES:
        assert f"/api/v1/patients/{{patient_id}}/{kind}" in paths
    assert "/api/v1/patients/{patient_id}/case" in paths


def test_consent_signed_on_paper_is_uploaded_with_its_scan(api_client, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from segmenta.patients.models import Consent

    scan = SimpleUploadedFile("consent.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = api_client.post(reverse("api:create_scanned_consent", args=[patient.pk]),
                               {"date": "2026-11-01", "scope": "Neural therapy", "scan": scan,
                                "scopes": ["injection_therapy", "research_use"]})
    assert response.status_code == 201, response.json()
    assert response.json()["decision"] == "given"
    consent = Consent.objects.get()
    assert consent.method == "scan" and consent.scan.read() == b"%PDF-1.4 signed"
    assert consent.scopes == ["injection_therapy", "research_use"]


def test_scanned_consent_given_must_say_what_it_covers(api_client, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from segmenta.patients.models import Consent

    scan = SimpleUploadedFile("consent.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = api_client.post(reverse("api:create_scanned_consent", args=[patient.pk]),
                               {"date": "2026-11-01", "scope": "Neural therapy", "scan": scan})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["scopes"]
    assert not Consent.objects.exists()


def test_scanned_consent_refuses_other_files_and_bad_dates(api_client, patient):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client.post(reverse("api:create_scanned_consent", args=[patient.pk]),
                               {"date": "someday", "scope": "x", "scan": SimpleUploadedFile("x.exe", b"MZ"),
                                "scopes": ["injection_therapy"]})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"date", "scan"}


def test_medication_last_dose_is_read_as_the_clinics_local_time(api_client, patient, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    body = {**EXAMPLES["medications"], "last_dose": "2026-11-24T20:00"}
    created = post(api_client, "create_medications", patient, body)
    assert created.status_code == 201, created.json()
    stored = datetime.fromisoformat(created.json()["last_dose"].replace("Z", "+00:00"))
    assert stored == datetime(2026, 11, 24, 19, 0, tzinfo=dt_timezone.utc)  # 20:00 in Berlin is 19:00 UTC
    read = api_client.get(reverse("api:read_medications", args=[patient.pk, created.json()["id"]])).json()
    assert datetime.fromisoformat(read["last_dose"].replace("Z", "+00:00")) == stored
    response = api_client.get(reverse("api:patient_case", args=[patient.pk]))
    assert response.json()["patient"]["medications"] == [
        {"name": "apixaban", "class": "anticoagulant", "last_dose": "2026-11-24T20:00+01:00"}]


def test_medication_last_dose_in_the_future_is_refused(api_client, patient):
    body = {**EXAMPLES["medications"], "last_dose": "2999-01-01T08:00"}
    response = post(api_client, "create_medications", patient, body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "last_dose"


def test_a_refusal_needs_no_signature_and_covers_nothing(api_client, patient):
    body = {"date": "2026-11-01", "decision": "refused", "scope": "Declined injections after the talk"}
    created = post(api_client, "create_consents", patient, body)
    assert created.status_code == 201, created.json()
    assert created.json()["method"] == "" and created.json()["scopes"] == []
    case = api_client.get(reverse("api:patient_case", args=[patient.pk])).json()
    assert case["consent"] == {"status": "refused", "date": "2026-11-01"}


@pytest.mark.parametrize("body,field", [
    ({"decision": "given", "scopes": [], "method": "signature", "signature_svg": "M1 1L2 2"}, "scopes"),
    ({"decision": "given", "scopes": ["injection_therapy"]}, "method"),
    ({"decision": "given", "scopes": ["treasure_hunting"], "method": "signature", "signature_svg": "M1 1L2 2"},
     "scopes"),
    ({"decision": "maybe", "scopes": ["injection_therapy"], "method": "signature", "signature_svg": "M1 1L2 2"},
     "decision"),
    ({"decision": "refused", "withdrawn_on": "2026-12-01"}, "withdrawn_on"),
])
def test_bad_consents_are_refused_naming_the_field(api_client, patient, body, field):
    response = post(api_client, "create_consents", patient, {"date": "2026-11-01", "scope": "x", **body})
    assert response.status_code == 422, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_review_cannot_lie_in_the_future_or_name_another_list(api_client, patient):
    future = post(api_client, "create_reviews", patient, {"kind": "allergies", "date": "2999-01-01"})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "date"
    other = post(api_client, "create_reviews", patient, {"kind": "hobbies", "date": "2026-01-01"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "kind"


def test_a_review_via_the_api_names_the_caller_as_reviewer(api_client, patient, doctor):
    created = post(api_client, "create_reviews", patient, {"kind": "allergies", "date": "2026-11-02"})
    assert created.status_code == 201
    from segmenta.patients.models import ChartReview

    assert ChartReview.objects.get().recorded_by == doctor


def test_a_consent_names_every_problem_at_once(api_client, patient):
    response = post(api_client, "create_consents", patient, {
        "date": "2026-11-01", "decision": "given", "scope": "x", "method": "signature", "signature_svg": "",
        "withdrawn_on": "2026-10-01"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"scopes", "signature_svg", "withdrawn_on"}


def test_a_normal_inr_is_not_a_complaints_red_flag(api_client, patient):
    """A normal INR belongs to the day of the injection (the session), where it cannot go stale unseen."""
    response = api_client.post(reverse("api:create_complaints", args=[patient.pk]),
                               json.dumps({"description": "back pain", "findings": ["inr_normal"]}),
                               content_type="application/json")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "findings"
