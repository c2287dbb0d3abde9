"""The FHIR import over HTTP: POST /fhir/r4/ with a transaction Bundle, the report and proposal
pages (who may open them), and the round trip: a demo patient read through our own FHIR API
as a collection Bundle, imported into another clinic, gives the same chart."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from segmenta.accounts.models import ApiToken, Clinic
from segmenta.conftest import login_verified, make_patient
from segmenta.interop.fhir import imports
from segmenta.interop.models import FieldProposal, ImportRun
from segmenta.patients.models import HistoryItem, Patient

from .test_fhir_demo import validate
from .test_fhir_import import SNOMED, bundle, coded, medication, person


def token_client(user):
    _token, raw = ApiToken.issue(user, "import tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_bundle(client, text, **query):
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return client.post(f"/fhir/r4/{suffix}", text, content_type="application/fhir+json")


def test_a_transaction_bundle_is_answered_entry_by_entry(clinic, doctor):
    response = post_bundle(token_client(doctor), bundle(
        person(),
        medication("m1", "Metoprolol 47.5 mg"),
        {"resourceType": "Procedure", "id": "x1", "status": "completed", "subject": {"reference": "Patient/p1"},
         "code": coded(SNOMED, "80146002", "Appendectomy"), "performedDateTime": "1988-07"},
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
        {"resourceType": "Encounter", "id": "e1", "status": "finished"}, kind="transaction"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    answer = response.json()
    assert answer["resourceType"] == "Bundle" and answer["type"] == "transaction-response"
    validate(answer)
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "201 Created", "202 Accepted", "422 Unprocessable Entity", "200 OK"]
    patient = Patient.objects.get(clinic=clinic)
    assert answer["entry"][0]["response"]["location"] == f"Patient/{patient.pk}"
    assert answer["entry"][1]["response"]["location"] == f"MedicationStatement/m-{patient.medications.get().pk}"
    assert "Condition/c1: code: missing" in answer["entry"][3]["response"]["outcome"]["issue"][0]["diagnostics"]
    assert FieldProposal.objects.get(patient=patient).kind == "scar"
    assert ImportRun.objects.get().via == "fhir"
    # The same Bundle again: nothing new.
    again = post_bundle(token_client(doctor), bundle(person(), medication("m1", "Metoprolol 47.5 mg"),
                                                     kind="transaction")).json()
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK", "200 OK"]


def test_the_transaction_bundle_is_parsed_once(clinic, doctor, monkeypatch):
    """The body is read as JSON once, not parsed, written out and parsed again."""
    text = bundle(person(), medication("m1", "Metoprolol 47.5 mg"), kind="transaction")
    parses = []
    real = json.loads

    def counted(data, *args, **kwargs):
        value = real(data, *args, **kwargs)
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            parses.append(value.get("type"))
        return value

    monkeypatch.setattr(json, "loads", counted)
    response = post_bundle(token_client(doctor), text)
    assert response.status_code == 200
    assert parses == ["transaction"]
    assert [e["response"]["status"] for e in real(response.content)["entry"]] == ["201 Created", "201 Created"]


def test_the_transaction_endpoint_refuses_what_it_cannot_take(clinic, doctor, assistant):
    client = token_client(doctor)
    assert Client().post("/fhir/r4/", "{}", content_type="application/fhir+json").status_code == 401
    assert post_bundle(token_client(assistant), bundle(person(), kind="transaction")).status_code == 403
    refused = post_bundle(client, bundle(person(), kind="collection"))
    assert refused.status_code == 400 and "transaction or batch" in refused.json()["issue"][0]["diagnostics"]
    validate(refused.json())
    assert post_bundle(client, "{not json").status_code == 400
    assert client.get("/fhir/r4/").status_code == 405
    assert not Patient.objects.exists()


def test_a_user_of_several_clinics_names_the_clinic(clinic, other_clinic, doctor):
    from segmenta.accounts.models import Membership
    Membership.objects.create(user=doctor, clinic=other_clinic, role="practitioner")
    client = token_client(doctor)
    assert post_bundle(client, bundle(person(), kind="transaction")).status_code == 400
    assert post_bundle(client, bundle(person(), kind="transaction"), clinic=other_clinic.pk).status_code == 200
    assert Patient.objects.get().clinic == other_clinic


def test_the_pages_are_for_the_clinics_practitioners_and_admins_only(clinic, doctor, assistant, outsider,
                                                                     doctor_client):
    report = imports.run_import(clinic, imports.read_document("a.json", bundle(person())), user=doctor)
    patient = Patient.objects.get()
    for url in ("/import/", f"/import/{report['details']['run']}/", f"/import/patients/{patient.pk}/proposals/"):
        assert doctor_client.get(url).status_code == 200
        assert login_verified(Client(), assistant).get(url).status_code == 404
        # A practitioner of another clinic has an upload page of their own, and sees nothing of this one's.
        assert login_verified(Client(), outsider).get(url).status_code == (200 if url == "/import/" else 404)


def test_a_held_patient_is_decided_on_the_report_page(clinic, doctor, doctor_client):
    existing = make_patient(clinic, family="Weber", given="Anna", birth_date="1971-03-12")
    report = imports.run_import(clinic, imports.read_document("a.json", bundle(
        person(), medication("m1", "Metoprolol 47.5 mg"))), user=doctor)
    page = doctor_client.get(f"/import/{report['details']['run']}/").content.decode()
    assert "A patient of the same name has another birth date." in page
    held = report["details"]["needs_decision"][0]["pending"]
    assert doctor_client.post(f"/import/held/{held}/", {"patient": "999999"}).status_code == 302
    assert not existing.medications.exists()
    doctor_client.post(f"/import/held/{held}/", {"patient": existing.pk})
    assert existing.medications.get().name == "Metoprolol 47.5 mg"


@pytest.fixture
def demo(db):
    call_command("demo", stdout=open("/dev/null", "w"))


def _read_patient_through_fhir(client, patient):
    """The patient and everything of theirs our FHIR API lists, as a collection Bundle."""
    resources = [client.get(f"/fhir/r4/Patient/{patient.pk}").json()]
    for type_name in ("AllergyIntolerance", "MedicationStatement", "Condition", "Observation", "Procedure"):
        answer = client.get(f"/fhir/r4/{type_name}?patient={patient.pk}&_count=1000").json()
        resources += [entry["resource"] for entry in answer.get("entry", [])]
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"fullUrl": f"https://source.example/fhir/r4/{r['resourceType']}/{r['id']}",
                                  "resource": r} for r in resources]})


def _chart(patient):
    live = {"entered_in_error_at__isnull": True}
    return {
        "allergies": sorted(patient.allergies.filter(**live).values_list("substance", "allergy_class", "reaction",
                                                                         "active")),
        "medications": sorted(patient.medications.filter(**live).values_list("name", "medication_class", "dose",
                                                                             "active")),
        "conditions": sorted(patient.conditions.filter(**live).values_list("code", "text", "active")),
        "weights": sorted((str(w.date), w.weight_kg, w.height_cm) for w in patient.weights.filter(**live)),
    }


def _fields(rows):
    return sorted((r.kind, r.tooth, r.date, r.description, json.dumps(r.regions, sort_keys=True),
                   tuple(r.organs)) for r in rows)


def test_a_demo_patient_exported_through_fhir_and_imported_elsewhere_has_the_same_chart(demo):
    users = get_user_model().objects
    source_user, target_user = users.get(username="demo-doctor"), users.get(username="other-doctor")
    lists = ("history", "allergies", "medications", "conditions", "weights")
    source = max(Patient.objects.visible_to(source_user),
                 key=lambda p: [sum(getattr(p, name).exists() for name in lists), p.history.count()])
    assert all(getattr(source, name).exists() for name in ("history", "medications", "weights"))
    text = _read_patient_through_fhir(token_client(source_user), source)
    target_clinic = Clinic.objects.get(memberships__user=target_user)
    report = imports.run_import(target_clinic, imports.read_document("roundtrip.json", text), user=target_user)
    assert report["refused"] == 0, report["details"]
    copy = Patient.objects.get(clinic=target_clinic, family_name=source.family_name, given_name=source.given_name)
    assert (copy.birth_date, copy.sex) == (source.birth_date, source.sex)
    theirs, ours = _chart(source), _chart(copy)
    for key in ("allergies", "medications", "weights"):
        assert ours[key] == theirs[key], key
    # Complaints travel as Conditions too: the copy lists them besides the source's conditions.
    complaints = {c.description for c in source.complaints.filter(entered_in_error_at__isnull=True)}
    assert [c for c in ours["conditions"] if c[1] not in complaints or c[0]] == theirs["conditions"]
    # The history comes back as proposals with the same kind, tooth, date, text, regions and organs.
    history = HistoryItem.objects.filter(patient=source, entered_in_error_at__isnull=True)
    assert _fields(FieldProposal.objects.filter(patient=copy)) == _fields(history)
    assert not copy.history.exists()
    # And again: nothing doubles.
    again = imports.run_import(target_clinic, imports.read_document("roundtrip.json", text), user=target_user)
    assert (again["imported"], again["proposed"]) == (0, 0)
