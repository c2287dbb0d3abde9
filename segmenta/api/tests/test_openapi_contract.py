"""Every operation of the OpenAPI document, called with real data, answers what the document
says: a documented status and a body valid against its schema — for its success and for
the refusals it documents (401, 403, 404, 409, 422, 423). An operation added to the API
without being exercised here fails the test."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from segmenta.accounts.models import ApiToken, Clinic
from segmenta.conftest import complete_chart, make_patient, make_user
from segmenta.patients.restriction import restrict
from segmenta.treatment.models import Product

from . import openapi
from .test_chart_api import EXAMPLES

# One change per kind of chart entry, for its PATCH.
CHANGES = {"weights": {"weight_kg": 63.0, "height_cm": None}, "allergies": {"reaction": "rash"},
           "medications": {"dose": "2.5 mg", "last_dose": None}, "conditions": {"text": "since 2020"},
           "pregnancy": {"note": "asked"}, "consents": {"withdrawn_on": None}, "reviews": {"note": "again"},
           "complaints": {"nrs": None, "organs": ["stomach"]}, "history": {"notes": "itches in winter"}}
MISSING = 2**31 - 1


class Caller:
    """Calls operations by their path template, checks each answer against the document and
    remembers what it called, so that a replay can ask for a missing id or send no token."""

    def __init__(self, client, contract):
        self.client, self.contract = client, contract
        self.calls, self.problems, self.seen = [], [], set()

    def __call__(self, method, template, ids=None, body=None, query=None, expect=None, multipart=None,
                 client=None, remember=True):
        url = template.format(**(ids or {}))
        kwargs = {"data": query} if query else {}
        if multipart is not None:
            kwargs = {"data": multipart()}
        elif body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        response = getattr(client or self.client, method.lower())(url, **kwargs)
        self.problems += self.contract.problems(method, template, response)
        self.seen.add((method, template, response.status_code))
        if remember and response.status_code < 300:
            self.calls.append((method, template, ids or {}, body, query, multipart))
        if expect is not None:
            assert response.status_code == expect, (method, url, response.content[:500])
        return response.json() if response.content else None


@pytest.fixture
def caller(admin_user):
    _token, raw = ApiToken.issue(admin_user, "contract")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return Caller(client, openapi.Contract(openapi.load(client)))


@pytest.fixture
def chart(clinic, admin_user):
    """A patient with what a demo chart holds: the intake complete, a complaint and a scar,
    and the clinic's procaine on the shelf."""
    patient = complete_chart(make_patient(clinic), admin_user)
    product = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                                     concentration_percent=1)
    return patient, product


def test_every_documented_operation_answers_as_documented(caller, chart, admin_user, doctor):
    patient, product = chart
    caller_user = admin_user
    pid = {"patient_id": patient.pk}
    call = caller

    # Patients
    call("GET", "/api/v1/patients", query={"q": "Muster"}, expect=200)
    created = call("POST", "/api/v1/patients", body={"family_name": "Beispiel", "given_name": "Max",
                                                    "birth_date": "1981-03-04", "sex": "male",
                                                    "record_number": "A-17"}, expect=201)
    other = {"patient_id": created["id"]}
    call("GET", "/api/v1/patients/{patient_id}", other, expect=200)
    call("PATCH", "/api/v1/patients/{patient_id}", other, body={"phone": "+49 30 1234"}, expect=200)
    call("POST", "/api/v1/patients", body={"family_name": "Doppelt", "given_name": "Max", "birth_date": "1981-03-04",
                                           "sex": "male", "record_number": "A-17"}, expect=409)
    call("PATCH", "/api/v1/patients/{patient_id}", other, body={"family_name": None}, expect=422)

    # Every kind of chart entry: create, list, read, change, versions, entered in error
    items = {}
    for kind, example in EXAMPLES.items():
        base = f"/api/v1/patients/{{patient_id}}/{kind}"
        item = call("POST", base, pid, body=example, expect=201)
        ids = {**pid, "item_id": item["id"]}
        items[kind] = ids
        call("GET", base, pid, query={"include_in_error": "true"}, expect=200)
        call("GET", base + "/{item_id}", ids, expect=200)
        call("PATCH", base + "/{item_id}", ids, body=CHANGES[kind], expect=200)
        call("GET", base + "/{item_id}/versions", ids, expect=200)
        call("POST", base + "/{item_id}/entered-in-error", ids, body={"reason": "wrong patient"}, expect=200)
        call("POST", base + "/{item_id}/entered-in-error", ids, body={"reason": "again"}, expect=409)
        call("PATCH", base + "/{item_id}", ids, body=CHANGES[kind], expect=409)
    call("POST", "/api/v1/patients/{patient_id}/complaints", pid, body={"description": "x", "regions": "head"},
         expect=422)
    complaint = call("POST", "/api/v1/patients/{patient_id}/complaints", pid, body=EXAMPLES["complaints"],
                     expect=201)
    scar = call("POST", "/api/v1/patients/{patient_id}/history", pid, body=EXAMPLES["history"], expect=201)
    call("POST", "/api/v1/patients/{patient_id}/consents/scanned", pid, expect=201, multipart=lambda: {
        "date": "2026-11-02", "scope": "Neural therapy", "scopes": ["injection_therapy"],
        "scan": SimpleUploadedFile("consent.pdf", b"%PDF-1.4 signed", content_type="application/pdf")})
    call("GET", "/api/v1/patients/{patient_id}/versions", pid, expect=200)

    # Appointments: rooms and types, booking, a conflict, moving, attended, no-show, cancelling, a course
    _appointments(call, patient, complaint, caller_user)

    # Sessions: start, change, inject (twice), record a response, remove one, sign, amend
    now = timezone.now().replace(microsecond=0)
    session = call("POST", "/api/v1/patients/{patient_id}/sessions", pid,
                   body={"started_at": (now - timedelta(hours=1)).isoformat(), "notes": ""}, expect=201)
    sid = {"session_id": session["id"]}
    call("PATCH", "/api/v1/sessions/{session_id}", sid, body={"notes": "scar of the gallbladder operation"},
         expect=200)
    call("PATCH", "/api/v1/sessions/{session_id}", sid, body={"notes": None}, expect=422)
    injection = call("POST", "/api/v1/sessions/{session_id}/injections", sid, expect=201, body={
        "target": "scar", "volume_ml": 2, "product": product.pk, "lot": "L2211", "expiry": "2027-06-30",
        "history_item": scar["id"], "complaint": complaint["id"], "regions": [{"region": "abdomen_upper"}]})
    mistaken = call("POST", "/api/v1/sessions/{session_id}/injections", sid, expect=201,
                    body={"target": "wheal", "concentration_percent": 1, "volume_ml": 0.5})
    call("POST", "/api/v1/sessions/{session_id}/injections", sid, expect=422,
         body={"target": "wheal", "volume_ml": 0.5})
    call("PATCH", "/api/v1/sessions/{session_id}/injections/{injection_id}",
         {**sid, "injection_id": injection["id"]}, body={"onset_seconds": 20, "relief_percent": 90,
                                                         "duration_hours": 30}, expect=200)
    call("POST", "/api/v1/sessions/{session_id}/injections/{injection_id}/removal",
         {**sid, "injection_id": mistaken["id"]}, body={"reason": "typed twice"}, expect=200)
    call("POST", "/api/v1/sessions/{session_id}/amendments", sid, body={"reason": "r", "text": "t"}, expect=409)
    call("DELETE", "/api/v1/sessions/{session_id}", sid, expect=422)  # it holds injections
    call("GET", "/api/v1/sessions/{session_id}/invoice-proposal", sid, expect=409)  # a draft
    call("POST", "/api/v1/sessions/{session_id}/sign", sid, expect=200)
    call("GET", "/api/v1/sessions/{session_id}", sid, expect=200)
    call("GET", "/api/v1/sessions/{session_id}/invoice-proposal", sid, expect=422)  # the clinic has no jurisdiction
    Clinic.objects.filter(pk=patient.clinic_id).update(jurisdiction="DE")
    call("GET", "/api/v1/sessions/{session_id}/invoice-proposal", sid, expect=200)
    _token, raw = ApiToken.issue(make_user("contract-assistant", patient.clinic, "assistant", ""), "assistant")
    call("GET", "/api/v1/sessions/{session_id}/invoice-proposal", sid, expect=403, remember=False,
         client=Client(HTTP_AUTHORIZATION=f"Bearer {raw}"))  # invoices are not an assistant's
    call("POST", "/api/v1/sessions/{session_id}/sign", sid, expect=409)
    call("PATCH", "/api/v1/sessions/{session_id}", sid, body={"notes": "later"}, expect=409)
    call("POST", "/api/v1/sessions/{session_id}/amendments", sid, expect=201,
         body={"reason": "dose omitted", "text": "2 mL procaine 1 %"})
    empty = call("POST", "/api/v1/patients/{patient_id}/sessions", pid, body={"started_at": now.isoformat()},
                 expect=201)
    call("DELETE", "/api/v1/sessions/{session_id}", {"session_id": empty["id"]}, expect=204)

    # The case, the engines on it, the recall search and the audit trail
    case = call("GET", "/api/v1/patients/{patient_id}/case", pid, expect=200)
    case["planned_injections"] = [{"target": "scar", "drug": "procaine", "concentration_percent": 1,
                                   "volume_ml": 2, "history_id": f"h{scar['id']}"}]
    case["tests"] = [{"history_id": f"h{scar['id']}", "complaint_id": f"c{complaint['id']}",
                      "onset_seconds": 20, "relief_percent": 90, "duration_hours": 30}]
    for engine in ("assess", "huneke", "safety"):
        call("POST", f"/api/v1/{engine}", body=case, expect=200)
        call("POST", f"/api/v1/{engine}", body={"format": "segmenta-case/0"}, expect=422)
    call("GET", "/api/v1/lots", query={"lot": "l2211"}, expect=200)
    call("GET", "/api/v1/lots", query={"lot": "l2211", "product": MISSING}, expect=404)
    call("GET", "/api/v1/lots/stock", expect=200)
    call("GET", "/api/v1/lots/stock", query={"clinic": MISSING}, expect=404)
    call("GET", "/api/v1/audit", query={"patient": patient.pk}, expect=200)
    call("GET", "/api/v1/audit", query={"date_from": "2026-01-02", "date_to": "2026-01-01"}, expect=422)
    _token, raw = ApiToken.issue(doctor, "not an admin")
    call("GET", "/api/v1/audit", client=Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), expect=403, remember=False)

    # Every operation exercised, with a real answer
    assert caller.problems == []
    document = caller.contract.document
    exercised = {(method, template) for method, template, _status in caller.seen}
    assert openapi.operations(document) - exercised == set(), "operations this test does not call yet"

    # The successful calls replayed: without a token (401), and with every id in the path
    # one that does not exist (404)
    done = list(caller.calls)
    anonymous = Client()
    for method, template, ids, body, query, multipart in done:
        caller(method, template, ids, body, query, multipart=multipart, client=anonymous, expect=401,
               remember=False)
        if ids:
            caller(method, template, {name: MISSING for name in ids}, body, query, multipart=multipart,
                   expect=404, remember=False)
    # ...and every change to the patient's chart once its processing is restricted (423)
    restrict(patient, caller_user, "erasure requested")
    for method, template, ids, body, query, multipart in done:
        if method != "GET" and ids.get("patient_id") == patient.pk:
            caller(method, template, ids, body, query, multipart=multipart, remember=False)
    caller("POST", "/api/v1/patients/{patient_id}/weights", pid, body=EXAMPLES["weights"], expect=423,
           remember=False)
    assert caller.problems == []
    statuses = {status for _m, _t, status in caller.seen}
    assert {200, 201, 204, 401, 403, 404, 409, 422, 423} <= statuses



def _appointments(call, patient, complaint, user):
    from segmenta.scheduling.models import Room
    from segmenta.treatment.models import TreatmentPlan

    room = Room.objects.create(clinic=patient.clinic, name="Room 1")
    call("GET", "/api/v1/appointments/rooms", expect=200)
    kind = call("GET", "/api/v1/appointments/types", expect=200)[0]["id"]
    day = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    booking = {"patient": patient.pk, "practitioner": user.username, "type": kind, "room": room.pk}
    past = call("POST", "/api/v1/appointments", body={**booking, "starts_at": (day - timedelta(days=1)).isoformat()},
                expect=201)
    soon = call("POST", "/api/v1/appointments", body={**booking, "starts_at": (day + timedelta(days=1)).isoformat()},
                expect=201)
    call("POST", "/api/v1/appointments", body={**booking, "starts_at": (day + timedelta(days=1)).isoformat()},
         expect=409)
    call("POST", "/api/v1/appointments", body={**booking, "room": MISSING, "starts_at": day.isoformat()}, expect=422)
    call("GET", "/api/v1/appointments", query={"patient": patient.pk, "status": "booked"}, expect=200)
    aid, later = {"appointment_id": past["id"]}, {"appointment_id": soon["id"]}
    call("GET", "/api/v1/appointments/{appointment_id}", later, expect=200)
    call("PATCH", "/api/v1/appointments/{appointment_id}", later,
         body={"starts_at": (day + timedelta(days=1, hours=1)).isoformat(), "note": "moved"}, expect=200)
    call("PATCH", "/api/v1/appointments/{appointment_id}", later, body={"type": None}, expect=422)
    call("POST", "/api/v1/appointments/{appointment_id}/no-show", later, expect=409)  # not started yet
    call("POST", "/api/v1/appointments/{appointment_id}/attended", aid, expect=200)
    call("POST", "/api/v1/appointments/{appointment_id}/no-show", aid, expect=200)
    call("POST", "/api/v1/appointments/{appointment_id}/cancel", later, body={"reason": "ill"}, expect=200)
    call("POST", "/api/v1/appointments/{appointment_id}/cancel", later, body={"reason": "again"}, expect=409)
    plan = TreatmentPlan.objects.create(patient=patient, complaint_id=complaint["id"], goals="less pain",
                                        created_by=user)
    course = {"plan": plan.pk, "practitioner": user.username, "type": kind, "count": 3, "interval_days": 1,
              "starts_at": (day + timedelta(days=2, hours=4)).isoformat()}
    call("POST", "/api/v1/appointments/series", body=course, expect=201)
    call("POST", "/api/v1/appointments/series", body=course, expect=409)
    call("POST", "/api/v1/appointments/series", body={**course, "count": 0}, expect=422)


def test_the_contract_check_catches_an_undocumented_status_and_a_body_off_its_schema(caller):
    from django.http import HttpResponse, JsonResponse

    check = caller.contract.problems
    path = "/api/v1/patients/{patient_id}"
    assert check("GET", path, HttpResponse(status=418)) == [
        "GET /api/v1/patients/{patient_id}: status 418 is not documented "
        "(only ['200', '401', '404', '422'])"]
    wrong = check("GET", path, JsonResponse({"id": "7", "sex": "f"}))
    assert any("'7' is not of type 'integer'" in problem for problem in wrong)
    assert any("'f' is not one of" in problem for problem in wrong)
    assert any("'family_name' is a required property" in problem for problem in wrong)
    # An error body is checked too, against the error schema
    assert check("GET", path, JsonResponse({"errors": []}, status=404)) == [
        "GET /api/v1/patients/{patient_id} 404: body: 'detail' is a required property"]


def test_an_operation_the_test_does_not_call_is_reported(caller):
    document = caller.contract.document
    extended = {**document, "paths": {**document["paths"], "/api/v1/new": {"get": {"responses": {}}}}}
    assert openapi.operations(extended) - openapi.operations(document) == {("GET", "/api/v1/new")}


def _property(document, schema, name):
    prop = document["components"]["schemas"][schema]["properties"][name]
    return next((option for option in prop.get("anyOf", [prop]) if option.get("type") != "null"), prop)


def test_coded_fields_are_enumerations_of_the_knowledge_bases_vocabularies(caller):
    from segmenta.knowledge import vocabulary
    from segmenta.knowledge.base import load

    document = caller.contract.document
    assert _property(document, "PatientIn", "sex")["enum"] == vocabulary.codes("sex")
    assert _property(document, "HistoryItemIn", "kind")["enum"] == vocabulary.codes("history_kind")
    assert _property(document, "HistoryItemIn", "tooth")["enum"] == ["", *vocabulary.codes("tooth")]
    assert _property(document, "HistoryItemOut", "signs")["items"]["enum"] == vocabulary.codes("sign")
    assert _property(document, "ComplaintPatch", "organs")["items"]["enum"] == vocabulary.codes("organ")
    assert _property(document, "InjectionIn", "target")["enum"] == vocabulary.codes("injection_target")
    assert _property(document, "AllergyIn", "allergy_class")["enum"] == vocabulary.codes("allergy_class")
    # A complaint's findings are the red flags the knowledge base knows, not every finding code
    findings = _property(document, "ComplaintIn", "findings")["items"]["enum"]
    assert findings and all(load().get("red-flag", code) is not None for code in findings)
    assert set(findings) < set(vocabulary.codes("finding"))
    regions = _property(document, "ComplaintIn", "regions")
    named = regions["items"]["oneOf"][0]["properties"]["region"]["enum"]
    assert regions["type"] == "array" and named == vocabulary.codes("region")


def test_no_field_is_an_untyped_object_but_the_free_form_ones(caller):
    free_form = {("AuditEventOut", "detail"), ("VersionOut", "content")}
    untyped = set()
    for name, schema in caller.contract.document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            options = prop.get("anyOf", [prop])
            if any(option.get("type") == "object" and "properties" not in option for option in options):
                untyped.add((name, field))
    assert untyped == free_form


def test_a_field_is_nullable_exactly_where_its_column_holds_null(caller):
    from segmenta.api.chart import KINDS

    schemas = caller.contract.document["components"]["schemas"]
    for model, fields in KINDS.values():
        for field in fields:
            for kind in ("Patch", "Out"):
                prop = schemas[f"{model.__name__}{kind}"]["properties"][field]
                nullable = any(option.get("type") == "null" for option in prop.get("anyOf", []))
                assert nullable == model._meta.get_field(field).null, (model.__name__, kind, field)
