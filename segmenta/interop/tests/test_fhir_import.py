"""FHIR import: the Synthea sample with its proposed fields, re-import without duplicates,
matching patients (and holding the unsure ones), refusing bad resources while taking the
rest, classing medications, and the command."""

import datetime
import json
import os
import pathlib

import pytest

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.interop.fhir import imports
from segmenta.interop.models import FieldProposal, PendingPatient
from segmenta.patients.models import Allergy, Condition, HistoryItem, Medication, Patient, WeightMeasurement

# The project's shared folder lies beside the repository; CI sets SEGMENTA_REQUIRE_SHARED=1 so
# that a missing fixture fails instead of skipping (as the worked cases do).
SYNTHEA = pathlib.Path(os.environ.get("SEGMENTA_SHARED_DIR", pathlib.Path(__file__).resolve().parents[4] / "shared")
                       ) / "fixtures" / "synthea-10"
RXNORM, SNOMED, LOINC = imports.RXNORM, "http://snomed.info/sct", "http://loinc.org"
needs_synthea = pytest.mark.skipif(not SYNTHEA.is_dir() and os.environ.get("SEGMENTA_REQUIRE_SHARED") != "1",
                                   reason="the Synthea fixture is not beside the checkout")


def synthea():
    assert SYNTHEA.is_dir(), f"the Synthea fixture {SYNTHEA} is missing (SEGMENTA_REQUIRE_SHARED=1)"
    found = []
    for path in sorted(SYNTHEA.glob("*.ndjson")):
        found += imports.read_document(path.name, path.read_bytes())
    return found


def bundle(*resources, kind="collection"):
    return json.dumps({"resourceType": "Bundle", "type": kind,
                       "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)]})


def person(pid="p1", family="Weber", given=("Anna",), birth="1970-03-12", **extra):
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": list(given)}],
            "gender": "female", "birthDate": birth, **extra}


def coded(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def medication(rid, name, code=None, status="active", patient="p1"):
    concept = coded(RXNORM, code, name) if code else {"text": name}
    return {"resourceType": "MedicationStatement", "id": rid, "status": status, "medicationCodeableConcept": concept,
            "subject": {"reference": f"Patient/{patient}"}}


def run(clinic, text, user=None):
    return imports.run_import(clinic, imports.read_document("upload.json", text), user=user)


@needs_synthea
def test_the_synthea_sample_is_imported_with_its_candidate_fields_proposed(clinic, doctor):
    report = imports.run_import(clinic, synthea(), user=doctor)
    assert {k: report[k] for k in ("patients", "imported", "proposed", "refused")} == {
        "patients": 13, "imported": 275, "proposed": 19, "refused": 0}
    assert Patient.objects.filter(clinic=clinic).count() == 13
    assert Allergy.objects.filter(clinic=clinic).count() == 11
    assert report["details"]["not_taken"] == {"Encounter": 1215, "Immunization": 161}
    # Checked by hand in the fixture: Denis399 Lincoln623 Schmitt836 (born 2011-03-23) had a
    # laceration of the hand sutured on 2018-03-27 (Condition 284549007 and Procedure
    # 288086009 of the same visit: one scar) and a fracture of the ankle on 2017-01-03.
    denis = Patient.objects.get(clinic=clinic, family_name="Schmitt836")
    assert (denis.given_name, denis.birth_date, denis.sex) == ("Denis399 Lincoln623", datetime.date(2011, 3, 23), "male")
    proposals = {(p.kind, p.date, tuple(r["region"] for r in p.regions), p.description)
                 for p in FieldProposal.objects.filter(patient=denis)}
    assert proposals == {("scar", "2018-03-27", ("hand",), "Laceration of hand; Suture open wound"),
                         ("fracture", "2017-01-03", ("ankle",), "Fracture of ankle")}
    # Corrin41 Sau887 Jast432: a caesarean section on 2023-03-22, a scar of the lower abdomen.
    corrin = Patient.objects.get(clinic=clinic, family_name="Jast432")
    caesarean = FieldProposal.objects.get(patient=corrin)
    assert (caesarean.kind, caesarean.date, caesarean.regions, caesarean.organs) == (
        "scar", "2023-03-22", [{"region": "abdomen_lower"}], ["uterus"])
    assert caesarean.origin[0]["code"] == "11466000" and caesarean.origin[0]["map"] == "snomed.11466000"
    # Proposed, not in the chart: nothing enters the chart unseen.
    assert not HistoryItem.objects.filter(clinic=clinic).exists()
    assert FieldProposal.objects.filter(clinic=clinic, status="proposed").count() == 19
    # The conditions that are fields are proposed, not listed as conditions too.
    assert not Condition.objects.filter(patient=denis, text__icontains="fracture").exists()
    # One medication per drug, however often it was prescribed; stopped ones inactive.
    assert Medication.objects.filter(clinic=clinic, name="lisinopril 10 MG Oral Tablet").count() == \
        len({line["patient"] for line in report["details"]["patients"]
             if Medication.objects.filter(patient_id=line["patient"], name="lisinopril 10 MG Oral Tablet").exists()})
    events = AuditEvent.objects.filter(clinic=clinic, object_type="fhir_import")
    assert events.count() == 13 and events.first().username == "doctor"


@needs_synthea
def test_importing_the_same_data_again_adds_nothing(clinic, doctor):
    imports.run_import(clinic, synthea(), user=doctor)
    counts = [m.objects.filter(clinic=clinic).count()
              for m in (Patient, Allergy, Medication, Condition, FieldProposal)]
    again = imports.run_import(clinic, synthea(), user=doctor)
    assert {k: again[k] for k in ("patients", "imported", "proposed", "refused")} == {
        "patients": 13, "imported": 0, "proposed": 0, "refused": 0}
    assert {line["match"] for line in again["details"]["patients"]} == {"earlier_import"}
    assert [m.objects.filter(clinic=clinic).count()
            for m in (Patient, Allergy, Medication, Condition, FieldProposal)] == counts


def test_a_patient_is_matched_by_name_and_birth_date_and_later_by_identifier(clinic, doctor):
    existing = make_patient(clinic, family="Weber", given="Anna", birth_date=datetime.date(1970, 3, 12))
    identifier = [{"system": "urn:oid:1.2.3", "value": "K-77"}]
    report = run(clinic, bundle(person(identifier=identifier),
                                medication("m1", "Metoprolol 47.5 mg"), ), doctor)
    assert report["details"]["patients"][0]["match"] == "name_birth_date"
    assert existing.medications.get().name == "Metoprolol 47.5 mg"
    # The other system renames her and gives its resource another id: its identifier still finds her.
    report = run(clinic, bundle(person(pid="other-id", family="Weber-Lang", identifier=identifier),
                                medication("m2", "Ramipril 5 mg", patient="other-id")), doctor)
    assert report["details"]["patients"][0]["match"] == "identifier"
    assert sorted(existing.medications.values_list("name", flat=True)) == ["Metoprolol 47.5 mg", "Ramipril 5 mg"]
    assert Patient.objects.filter(clinic=clinic).count() == 1


def test_the_same_name_with_another_birth_date_is_held_for_a_decision(clinic, doctor):
    existing = make_patient(clinic, family="Weber", given="Anna", birth_date=datetime.date(1971, 3, 12))
    report = run(clinic, bundle(person(), medication("m1", "Metoprolol 47.5 mg")), doctor)
    assert report["patients"] == 1 and report["imported"] == 0
    held = report["details"]["needs_decision"]
    assert held[0]["reason"] == "the same name with another birth date" and held[0]["candidates"] == [existing.pk]
    assert not Medication.objects.filter(clinic=clinic).exists()
    assert Patient.objects.filter(clinic=clinic).count() == 1
    # The same file again while nobody has decided: still the one question.
    again = run(clinic, bundle(person(), medication("m1", "Metoprolol 47.5 mg")), doctor)
    assert again["details"]["needs_decision"][0]["pending"] == held[0]["pending"]
    assert PendingPatient.objects.count() == 1
    # Someone decides she is a different person: a new patient gets her records.
    line = imports.decide(PendingPatient.objects.get(), doctor)
    created = Patient.objects.get(pk=line["patient"])
    assert created != existing and created.birth_date == datetime.date(1970, 3, 12)
    assert created.medications.get().name == "Metoprolol 47.5 mg"
    with pytest.raises(ValueError):
        imports.decide(PendingPatient.objects.get(), doctor)


def test_two_patients_of_the_same_name_and_birth_date_are_held_and_one_is_chosen(clinic, doctor):
    first = make_patient(clinic, family="Weber", given="Anna", birth_date=datetime.date(1970, 3, 12))
    make_patient(clinic, family="Weber", given="Anna", birth_date=datetime.date(1970, 3, 12))
    report = run(clinic, bundle(person(), medication("m1", "Metoprolol 47.5 mg")), doctor)
    assert report["details"]["needs_decision"][0]["reason"] == "several patients match"
    imports.decide(PendingPatient.objects.get(), doctor, patient=first)
    assert first.medications.get().name == "Metoprolol 47.5 mg"


def test_invalid_resources_are_refused_by_name_and_field_and_the_rest_goes_through(clinic, doctor):
    report = run(clinic, bundle(
        person(),
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
        {"resourceType": "Observation", "id": "o1", "status": "final", "code": coded(LOINC, "29463-7", "Body weight"),
         "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-05",
         "valueQuantity": {"value": 140, "unit": "stone"}},
        {"resourceType": "AllergyIntolerance", "id": "a1", "code": {"text": "Penicillin"}},
        {"resourceType": "Procedure", "id": "x1", "status": "completed", "subject": {"reference": "Patient/p1"},
         "code": coded(SNOMED, "80146002", "Appendectomy"), "performedDateTime": "last spring"},
        {"resourceType": "Observation", "id": "o2", "status": "final", "code": coded(LOINC, "29463-7", "Body weight"),
         "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-05",
         "valueQuantity": {"value": 64.5, "unit": "kg", "code": "kg"}},
        {"resourceType": "Procedure", "id": "x2", "status": "completed", "subject": {"reference": "Patient/p1"},
         "code": coded(SNOMED, "80146002", "Appendectomy"), "performedDateTime": "1988-07"},
        medication("m1", "Metoprolol 47.5 mg")), doctor)
    refused = {(r["resource"], r["field"]) for r in report["details"]["refused"]
               + report["details"]["patients"][0]["refused"]}
    assert refused == {("Condition/c1", "code"), ("Observation/o1", "valueQuantity.code"),
                       ("AllergyIntolerance/a1", "patient"), ("Procedure/x1", "performedDateTime")}
    assert report["refused"] == 4 and report["imported"] == 2 and report["proposed"] == 1
    patient = Patient.objects.get(clinic=clinic)
    assert patient.weights.get().weight_kg == 64.5
    assert FieldProposal.objects.get(patient=patient).date == "1988-07"


def test_a_bundle_of_another_kind_or_a_file_of_no_json_is_unreadable():
    with pytest.raises(imports.Unreadable, match="Bundle.type 'document'"):
        imports.read_document("x.json", json.dumps({"resourceType": "Bundle", "type": "document"}))
    with pytest.raises(imports.Unreadable, match="neither a FHIR JSON document nor NDJSON"):
        imports.read_document("x.ndjson", "hello\nworld\n")


def test_medications_are_classed_by_the_code_map_then_by_name_else_unknown(clinic, doctor):
    run(clinic, bundle(person(),
                       medication("m1", "Aspirin 81 MG Oral Tablet", code="243670"),
                       medication("m2", "Naproxen 500 MG", code="1234567"),
                       medication("m3", "Eliquis 5 mg"),
                       medication("m4", "Zorblex 5 mg", status="stopped"),
                       {**medication("m5", "Xarelto 20 mg"),
                        "medicationCodeableConcept": coded(imports.ATC, "B01AF01", "Rivaroxaban")}), doctor)
    classes = dict(Medication.objects.filter(clinic=clinic).values_list("name", "medication_class"))
    assert classes == {"Aspirin 81 MG Oral Tablet": "antiplatelet", "Naproxen 500 MG": "nsaid",
                       "Eliquis 5 mg": "anticoagulant", "Zorblex 5 mg": "unknown", "Rivaroxaban": "anticoagulant"}
    assert not Medication.objects.get(name="Zorblex 5 mg").active


def test_an_icd10_subcode_and_a_segmenta_export_are_proposed(clinic, doctor):
    report = run(clinic, bundle(
        person(),
        {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
         "code": coded(imports.ICD10_GM, "S52.51", "Distale Radiusfraktur"), "onsetDateTime": "2019-02-11"},
        {"resourceType": "Procedure", "id": "hi-4", "status": "completed", "subject": {"reference": "Patient/p1"},
         "category": {"text": "Tooth"}, "code": {"text": "wisdom tooth removed"}, "performedDateTime": "1998",
         "bodySite": [{"text": "Tooth 38 (FDI)"}]},
        {"resourceType": "Procedure", "id": "hi-5", "status": "completed", "subject": {"reference": "Patient/p1"},
         "category": {"text": "Scar"}, "code": {"text": "laparoscopic cholecystectomy"}, "performedDateTime": "2019-01",
         "bodySite": [{"text": "Upper abdomen (right)"}]}), doctor)
    lines = {(p["kind"], p["tooth"], p["date"], json.dumps(p["regions"])) for p in report["details"]["patients"][0]["proposed"]}
    assert lines == {("fracture", "", "2019-02-11", '[{"region": "forearm"}]'),
                     ("tooth", "38", "1998", "[]"),
                     ("scar", "", "2019-01", '[{"region": "abdomen_upper", "side": "right"}]')}


def test_accepting_a_proposal_puts_it_into_the_chart_and_rejecting_keeps_it_out(clinic, doctor):
    run(clinic, bundle(person(),
                       {"resourceType": "Procedure", "id": "x1", "status": "completed",
                        "subject": {"reference": "Patient/p1"}, "code": coded(SNOMED, "80146002", "Appendectomy"),
                        "performedDateTime": "1988-07-02"},
                       {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                        "code": coded(SNOMED, "40055000", "Chronic sinusitis"), "onsetDateTime": "2001"}), doctor)
    appendix, sinus = FieldProposal.objects.order_by("date")
    item = imports.accept(appendix, doctor, regions=[{"region": "abdomen_lower", "side": "right"}])
    assert (item.kind, item.date, item.regions, item.organs) == (
        "scar", "1988-07-02", [{"region": "abdomen_lower", "side": "right"}], ["appendix"])
    assert AuditEvent.objects.filter(object_type="historyitem", object_id=str(item.pk), action="create").exists()
    imports.reject(sinus, doctor)
    sinus.refresh_from_db()
    assert sinus.status == "rejected" and HistoryItem.objects.filter(clinic=clinic).count() == 1


@needs_synthea
def test_records_whose_patient_an_earlier_import_took_find_that_patient(clinic, doctor):
    """An export's files one at a time: the patients first, their conditions later."""
    imports.run_import(clinic, imports.read_document("p.ndjson", (SYNTHEA / "Patient.000.ndjson").read_bytes()),
                       user=doctor)
    report = imports.run_import(
        clinic, imports.read_document("c.ndjson", (SYNTHEA / "Condition.000.ndjson").read_bytes())
        + imports.read_document("x.json", json.dumps(
            {"resourceType": "Condition", "id": "lost", "code": {"text": "Migraine"},
             "subject": {"reference": "Patient/nobody-knows"}})), user=doctor)
    assert (report["patients"], report["proposed"], report["refused"]) == (13, 17, 1)
    assert report["details"]["refused"][0]["resource"] == "Condition/lost"
    assert report["details"]["refused"][0]["field"] == "subject"
    assert {line["match"] for line in report["details"]["patients"]} == {"earlier_import"}
    assert Patient.objects.filter(clinic=clinic).count() == 13
    denis = Patient.objects.get(clinic=clinic, family_name="Schmitt836")
    assert FieldProposal.objects.filter(patient=denis).count() == 2


def test_a_patient_that_cannot_be_read_is_refused_with_their_records_and_the_others_go_through(clinic, doctor):
    report = run(clinic, bundle(
        person(pid="p1", birth="12.03.1970"), medication("m1", "Metoprolol 47.5 mg", patient="p1"),
        person(pid="p2", family="Roth", given=("Jonas",), birth="1980-01-01"),
        medication("m2", "Ramipril 5 mg", patient="p2")), doctor)
    refused = [(r["resource"], r["field"]) for r in report["details"]["refused"]]
    assert refused == [("Patient/p1", "birthDate"), ("MedicationStatement/m1", "subject")]
    assert "'12.03.1970' is no full date (YYYY-MM-DD)" in report["details"]["refused"][0]["error"]
    assert report["patients"] == 1 and report["imported"] == 1
    assert Patient.objects.get(clinic=clinic).family_name == "Roth"


def test_a_patient_whose_processing_is_restricted_takes_nothing_and_the_others_go_through(clinic, doctor, admin_user):
    from segmenta.patients.restriction import restrict

    kept = make_patient(clinic, family="Weber", given="Anna", birth_date="1970-03-12")
    restrict(kept, admin_user, "erasure request of 2026-11-02")
    report = run(clinic, bundle(
        person(pid="p1"), medication("m1", "Metoprolol 47.5 mg", patient="p1"),
        {"resourceType": "Procedure", "id": "x1", "status": "completed", "subject": {"reference": "Patient/p1"},
         "code": coded(SNOMED, "173422009", "Tonsillectomy"), "performedDateTime": "1990-05-01"},
        person(pid="p2", family="Roth", given=("Jonas",), birth="1980-01-01"),
        medication("m2", "Ramipril 5 mg", patient="p2")), doctor)
    refused = [(r["resource"], r["field"]) for r in report["details"]["refused"]]
    assert refused[0] == ("Patient/p1", "patient") and "restricted" in report["details"]["refused"][0]["error"]
    assert {resource for resource, _field in refused[1:]} == {"MedicationStatement/m1", "Procedure/x1"}
    assert not Medication.objects.filter(patient=kept).exists()
    assert not FieldProposal.objects.filter(patient=kept).exists()
    assert Medication.objects.get(patient__family_name="Roth").name == "Ramipril 5 mg"


def test_a_patient_the_charts_checks_refuse_is_refused_with_their_records_and_the_others_go_through(clinic, doctor):
    """A birth date ahead of today reads as a date but the chart refuses it (full_clean): that
    patient and their records are refused naming the field; the import goes on."""
    ahead = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
    report = run(clinic, bundle(
        person(pid="p1", birth=ahead), medication("m1", "Metoprolol 47.5 mg", patient="p1"),
        person(pid="p2", family="Roth", given=("Jonas",), birth="1980-01-01"),
        medication("m2", "Ramipril 5 mg", patient="p2")), doctor)
    refused = [(r["resource"], r["field"]) for r in report["details"]["refused"]]
    assert refused == [("Patient/p1", "birthDate"), ("MedicationStatement/m1", "subject")]
    assert report["patients"] == 1 and report["imported"] == 1 and report["refused"] == 2
    assert list(Patient.objects.filter(clinic=clinic).values_list("family_name", flat=True)) == ["Roth"]
    assert not Medication.objects.filter(name__startswith="Metoprolol").exists()
