import json

import pytest
from django.test import Client
from django.urls import reverse

from segmenta.audit.models import AuditEvent
from segmenta.patients.models import Patient

NEW = {"family_name": "Berger", "given_name": "Claudia", "birth_date": "1968-03-12", "sex": "female"}


def post(client, url, body, **extra):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", **extra)


def test_openapi_document_lists_the_endpoints(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/patients", "/api/v1/patients/{patient_id}", "/api/v1/audit"} <= set(paths)
    assert set(paths["/api/v1/patients/{patient_id}"]) == {"get", "patch"}


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer sgm_" + "x" * 43, "Token abc"])
def test_requests_without_a_valid_token_get_401(db, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = client.get(reverse("api:list_patients"))
    assert response.status_code == 401
    assert "token" in response.json()["detail"]


def test_session_cookies_do_not_open_the_api(doctor_client):
    assert doctor_client.get(reverse("api:list_patients")).status_code == 401


def test_create_read_update_list(api_client, clinic):
    created = post(api_client, reverse("api:create_patient"), NEW)
    assert created.status_code == 201
    body = created.json()
    assert body["clinic"] == clinic.pk and body["clinic_name"] == clinic.name
    pid = body["id"]
    read = api_client.get(reverse("api:read_patient", args=[pid])).json()
    assert read["family_name"] == "Berger" and read["birth_date"] == "1968-03-12"
    patched = api_client.patch(reverse("api:update_patient", args=[pid]), {"phone": "+49 30 123"},
                               content_type="application/json")
    assert patched.status_code == 200 and patched.json()["phone"] == "+49 30 123"
    listing = api_client.get(reverse("api:list_patients") + "?q=berg").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == pid
    actions = list(AuditEvent.objects.filter(patient_id=pid).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "view", "update"]


def test_list_is_paginated(api_client, clinic):
    from segmenta.conftest import make_patient

    for i in range(7):
        make_patient(clinic, family=f"P{i}")
    page = api_client.get(reverse("api:list_patients") + "?limit=3&offset=3").json()
    assert page["count"] == 7 and [p["family_name"] for p in page["items"]] == ["P3", "P4", "P5"]
    # Every kind of page counts the whole list: the last, one past the end, one that holds
    # everything, and each with a search too.
    for query, count, names in [("limit=3&offset=6", 7, ["P6"]), ("limit=3&offset=9", 7, []),
                                ("limit=100", 7, [f"P{i}" for i in range(7)]), ("q=p&limit=3&offset=6", 7, ["P6"]),
                                ("q=p&limit=2&offset=1", 7, ["P1", "P2"]), ("q=p5", 1, ["P5"])]:
        page = api_client.get(reverse("api:list_patients") + "?" + query).json()
        assert (page["count"], [p["family_name"] for p in page["items"]]) == (count, names), query


def test_malformed_json_is_a_400_naming_the_body(api_client):
    response = post(api_client, reverse("api:create_patient"), '{"family_name": "Berger",')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("body: malformed JSON")
    assert not Patient.objects.exists()


@pytest.mark.parametrize("field,value,expected", [
    ("birth_date", "12.03.1968", "birth_date"),
    ("birth_date", 19680312, "birth_date"),
    ("sex", "robot", "sex"),
    ("family_name", ["Berger"], "family_name"),
    ("family_name", "", "family_name"),
    ("email", "not-an-email", "email"),
    ("birth_date", "2999-01-01", "birth_date"),
    ("colour", "blue", "colour"),
])
def test_wrong_types_and_values_answer_422_naming_the_field(api_client, field, value, expected):
    response = post(api_client, reverse("api:create_patient"), {**NEW, field: value})
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [expected]
    assert body["detail"].startswith(f"{expected}: ")
    assert not Patient.objects.exists()


def test_missing_field_is_named(api_client):
    body = {k: v for k, v in NEW.items() if k != "sex"}
    response = post(api_client, reverse("api:create_patient"), body)
    assert response.status_code == 422 and response.json()["errors"] == [{"field": "sex", "message": "Field required"}]


def test_json_that_is_not_an_object_is_refused(api_client):
    response = post(api_client, reverse("api:create_patient"), [NEW])
    assert response.status_code == 422


def test_oversize_body_answers_413_and_writes_nothing(settings, api_client):
    body = {**NEW, "family_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    response = post(api_client, reverse("api:create_patient"), body)
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert not Patient.objects.exists()


def test_unknown_id_answers_404(api_client):
    assert api_client.get(reverse("api:read_patient", args=[999999])).status_code == 404
    response = api_client.patch(reverse("api:update_patient", args=[999999]), {"phone": "1"},
                                content_type="application/json")
    assert response.status_code == 404 and response.json() == {"detail": "not found"}


def test_non_numeric_id_is_not_a_500(api_client):
    assert api_client.get("/api/v1/patients/abc").status_code == 404


def test_patch_refuses_null_for_required_fields(api_client, patient):
    response = api_client.patch(reverse("api:update_patient", args=[patient.pk]), {"family_name": None},
                                content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"].startswith("family_name:")


def test_duplicate_record_number_is_a_conflict(api_client, clinic):
    post(api_client, reverse("api:create_patient"), {**NEW, "record_number": "A-1"})
    response = post(api_client, reverse("api:create_patient"), {**NEW, "record_number": "A-1"})
    assert response.status_code == 409 and response.json()["detail"].startswith("record_number:")
    assert Patient.objects.count() == 1


def test_a_failed_write_leaves_nothing_half_written(api_client, monkeypatch):
    """If the audit event cannot be written, the patient is not created either."""
    import segmenta.api.patients as module

    def broken_record(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(module, "record", broken_record)
    with pytest.raises(RuntimeError):
        post(api_client, reverse("api:create_patient"), NEW)
    assert not Patient.objects.exists()


@pytest.mark.parametrize("query", ["", "?q=a"])
def test_a_list_names_each_patients_clinic_and_records_one_event_per_clinic(
        api_client, doctor, clinic, other_clinic, query, django_assert_num_queries):
    """A list reads each patient's clinic name, not the clinic: a page of either clinic's
    patients answers the right name for each, and its audit events name their clinics."""
    from segmenta.accounts.models import Membership
    from segmenta.conftest import make_patient

    Membership.objects.create(user=doctor, clinic=other_clinic, role="practitioner")
    here = [make_patient(clinic, family=f"Abel{i}") for i in range(3)]
    there = [make_patient(other_clinic, family=f"Bauer{i}") for i in range(2)]
    url = reverse("api:list_patients") + query
    api_client.get(url)  # the token's last use is written once a minute: not in the count
    # The token, the rows, and an event per clinic written in one insert (a page not full: its
    # count is known). Not a query per patient for its clinic, nor one per event.
    with django_assert_num_queries(3):
        listing = api_client.get(url).json()
    names = {p["id"]: (p["clinic"], p["clinic_name"]) for p in listing["items"]}
    assert names == {**{p.pk: (clinic.pk, "Praxis Nord") for p in here},
                     **{p.pk: (other_clinic.pk, "Praxis Süd") for p in there}}
    events = AuditEvent.objects.filter(object_type="patient_list").order_by("-id")[:2]
    assert {e.clinic_id: sorted(e.detail["patients"]) for e in events} == {
        clinic.pk: sorted(p.pk for p in here), other_clinic.pk: sorted(p.pk for p in there)}
