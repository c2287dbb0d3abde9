"""Each search parameter of each type, through real requests; refusals as OperationOutcomes;
the audit events of reads and searches; query counts that do not grow with the data."""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segmenta.accounts.models import ApiToken
from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.knowledge import vocabulary
from segmenta.patients import models as m
from segmenta.treatment.models import ComplaintScore, Injection, Session

from segmenta.interop.fhir.types import TYPES

from .test_fhir_demo import validate


def ids(response):
    assert response.status_code == 200, response.content
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


def refused(response, status, *words):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    issue = validate(response.json()).issue[0]
    for word in words:
        assert word in issue.diagnostics
    return issue


@pytest.fixture
def chart(patient, foreign_patient):
    """One patient with a little of everything, and a patient of another clinic likewise."""
    made = {}
    for who in (patient, foreign_patient):
        made[who.pk] = {
            "complaint": m.Complaint.objects.create(patient=who, description="neck pain", onset="2019-06",
                                                    regions=[{"region": "neck", "side": "left"}]),
            "old_complaint": m.Complaint.objects.create(patient=who, description="knee pain", onset="2012",
                                                        status="resolved"),
            "asthma": m.Condition.objects.create(patient=who, code="asthma"),
            "text_condition": m.Condition.objects.create(patient=who, text="migraine"),
            "allergy": m.Allergy.objects.create(patient=who, substance="procaine",
                                                allergy_class="ester_local_anaesthetic", reaction="urticaria"),
            "medication": m.Medication.objects.create(patient=who, name="apixaban", medication_class="anticoagulant",
                                                      dose="5 mg"),
            "early": m.WeightMeasurement.objects.create(patient=who, date="2020-01-15", weight_kg=70),
            "late": m.WeightMeasurement.objects.create(patient=who, date="2024-06-01", weight_kg=72,
                                                       height_cm=180),
            "tooth": m.HistoryItem.objects.create(patient=who, kind="tooth", tooth="38", date="2015-03",
                                                  description="extraction"),
            "scar": m.HistoryItem.objects.create(patient=who, kind="scar", date="2019-01-20",
                                                 description="appendectomy", regions=[{"region": "abdomen_lower",
                                                                                       "side": "right"}]),
        }
        made[who.pk]["session"] = session = Session.objects.create(
            patient=who, started_at=datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc))
        made[who.pk]["score"] = ComplaintScore.objects.create(session=session, complaint=made[who.pk]["complaint"],
                                                              pre_nrs=6, post_nrs=3)
        made[who.pk]["injection"] = Injection.objects.create(
            session=session, order=1, time=session.started_at, target="scar", regions=[{"choir": 107, "side": "right"}],
            concentration_percent=1, volume_ml="0.50", verdict="ok", mg=5, cumulative_mg=5, lot="L-1",
            history_item=made[who.pk]["scar"], complaint=made[who.pk]["complaint"])
    return made[patient.pk]


def test_no_token_is_401_and_a_bad_token_too(db):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer nonsense"}, {"HTTP_AUTHORIZATION": "Basic abc"}):
        response = Client().get("/fhir/r4/Patient", **headers)
        assert refused(response, 401, "token").code == "login"
        assert response["WWW-Authenticate"] == "Bearer"
        assert Client().get("/fhir/r4/Patient/1", **headers).status_code == 401


def test_reads_of_another_clinic_answer_as_if_nothing_were_there(api_client, chart, foreign_patient):
    mine = api_client.get(f"/fhir/r4/Condition/k-{chart['asthma'].pk}")
    assert mine.status_code == 200
    theirs = m.Condition.objects.get(patient=foreign_patient, code="asthma")
    for url in (f"/fhir/r4/Patient/{foreign_patient.pk}", f"/fhir/r4/Condition/k-{theirs.pk}",
                "/fhir/r4/Condition/k-999999", f"/fhir/r4/Condition/x-{chart['asthma'].pk}",
                "/fhir/r4/Condition/42", "/fhir/r4/Spaceship/1"):
        assert refused(api_client.get(url), 404).code in ("not-found", "not-supported")
    # A complaint's id is not a condition's: the prefix says which table.
    assert api_client.get(f"/fhir/r4/Condition/c-{chart['asthma'].pk}").json().get("code") != mine.json()["code"]


def test_unknown_or_unreadable_parameters_are_refused_naming_them(api_client, chart):
    refused(api_client.get("/fhir/r4/Condition", {"patinet": "1"}), 400, "patinet", "supported")
    refused(api_client.get("/fhir/r4/Observation", {"date": "yesterday"}), 400, "date", "yesterday")
    refused(api_client.get("/fhir/r4/Observation", {"date": "2020-01-01T10:00:00"}), 400, "time zone")
    refused(api_client.get("/fhir/r4/Patient", {"_count": "many"}), 400, "_count")
    refused(api_client.get("/fhir/r4/Patient", {"_format": "xml"}), 400, "_format")
    refused(api_client.get("/fhir/r4/Condition", {"patient": "Patient/1/x"}), 400, "patient")
    refused(api_client.get("/fhir/r4/Condition", {"code": "http://snomed.info/sct|"}), 400, "code")


def test_a_lenient_client_has_unknown_parameters_left_out(api_client, chart, patient):
    response = api_client.get("/fhir/r4/Condition", {"patinet": "1", "patient": patient.pk},
                              HTTP_PREFER="handling=lenient")
    assert len(ids(response)) == 4
    assert response.json()["link"][0]["url"].endswith(f"/Condition?patient={patient.pk}&_count=50&_offset=0")
    refused(api_client.get("/fhir/r4/Condition", {"patinet": "1"}, HTTP_PREFER="handling=strict"), 400, "patinet")
    # Several preferences in one header, as RFC 7240 writes them: comma-separated, spaces allowed.
    for header in ("return=representation, handling=lenient", "respond-async,handling = lenient",
                   "HANDLING=LENIENT; wait=10"):
        assert len(ids(api_client.get("/fhir/r4/Condition", {"patinet": "1", "patient": patient.pk},
                                      HTTP_PREFER=header))) == 4, header
    refused(api_client.get("/fhir/r4/Condition", {"patinet": "1"}, HTTP_PREFER="respond-async, handling=strict"),
            400, "patinet")


def test_a_prefer_header_is_read_as_one_parser_reads_it():
    from segmenta.interop.fhir.params import prefer

    assert prefer("respond-async, handling = lenient;wait=5") == {"respond-async", "handling=lenient", "wait=5"}
    assert prefer(None) == set() and prefer("") == set()


def test_id_and_patient(api_client, chart, patient, foreign_patient):
    c, k = chart["complaint"], chart["asthma"]
    assert ids(api_client.get("/fhir/r4/Condition", {"_id": f"c-{c.pk},k-{k.pk}"})) == [f"c-{c.pk}", f"k-{k.pk}"]
    assert ids(api_client.get("/fhir/r4/Patient", {"_id": f"{patient.pk},{foreign_patient.pk}"})) == [str(patient.pk)]
    mine = ids(api_client.get("/fhir/r4/Condition", {"patient": f"Patient/{patient.pk}"}))
    assert len(mine) == 4 and mine == ids(api_client.get("/fhir/r4/Condition", {"patient": str(patient.pk)}))
    assert ids(api_client.get("/fhir/r4/Condition", {"patient": f"Patient/{foreign_patient.pk}"})) == []
    for type_name, count in (("AllergyIntolerance", 1), ("MedicationStatement", 1), ("Observation", 5),
                             ("Procedure", 3), ("Encounter", 1)):
        assert len(ids(api_client.get(f"/fhir/r4/{type_name}", {"patient": patient.pk}))) == count
        assert ids(api_client.get(f"/fhir/r4/{type_name}", {"patient": foreign_patient.pk})) == []


def test_code_searches_the_knowledge_base_codes(api_client, chart):
    asthma = [f"k-{chart['asthma'].pk}"]
    assert ids(api_client.get("/fhir/r4/Condition", {"code": "195967001"})) == asthma
    assert ids(api_client.get("/fhir/r4/Condition", {"code": "http://snomed.info/sct|195967001"})) == asthma
    assert ids(api_client.get("/fhir/r4/Condition", {"code": "http://hl7.org/fhir/sid/icd-10|J45.9"})) == asthma
    assert ids(api_client.get("/fhir/r4/Condition", {"code": "http://loinc.org|195967001"})) == []
    assert ids(api_client.get("/fhir/r4/Condition", {"code": "J45.9,G70.0"})) == asthma
    weights = ids(api_client.get("/fhir/r4/Observation", {"code": "http://loinc.org|29463-7"}))
    assert weights == [f"w-{chart['early'].pk}", f"w-{chart['late'].pk}"]
    assert ids(api_client.get("/fhir/r4/Observation", {"code": "8302-2"})) == [f"h-{chart['late'].pk}"]
    score = chart["score"].pk
    assert ids(api_client.get("/fhir/r4/Observation", {"code": "72514-3"})) == [f"n-{score}", f"p-{score}"]
    condition = api_client.get(f"/fhir/r4/Condition/{asthma[0]}").json()
    assert {(c["system"], c["code"]) for c in condition["code"]["coding"]} == {
        ("http://snomed.info/sct", "195967001"), ("http://hl7.org/fhir/sid/icd-10", "J45.9")}
    complaint = api_client.get(f"/fhir/r4/Condition/c-{chart['complaint'].pk}").json()
    assert complaint["bodySite"] == [{"text": "Neck (left)"}] and complaint["onsetDateTime"] == "2019-06"
    assert complaint["code"] == {"text": "neck pain"}
    text_only = api_client.get(f"/fhir/r4/Condition/k-{chart['text_condition'].pk}").json()
    assert text_only["code"] == {"text": "migraine"}


@pytest.mark.parametrize("value,expected", [
    ("2020-01-15", ["early"]), ("2020", ["early"]), ("ge2024-06-01", ["late"]), ("gt2020-01-15", ["late"]),
    ("le2020-01-15", ["early"]), ("lt2024-06-01", ["early"]), ("ne2020-01-15", ["late"]), ("2021", []),
])
def test_observation_date_prefixes(api_client, chart, value, expected):
    found = ids(api_client.get("/fhir/r4/Observation", {"date": value, "code": "29463-7"}))
    assert found == [f"w-{chart[name].pk}" for name in expected]


@pytest.mark.parametrize("value,expected", [
    ("2019-06", ["complaint"]), ("2019", ["complaint"]), ("2019-06-15", []), ("ge2019-06-30", ["complaint"]),
    ("gt2019-06", []), ("le2012-01-01", ["old_complaint"]), ("lt2019-06", ["old_complaint"]),
    ("ge2012-12-31", ["complaint", "old_complaint"]),
])
def test_condition_onset_date_over_partial_dates(api_client, chart, value, expected):
    found = ids(api_client.get("/fhir/r4/Condition", {"onset-date": value}))
    assert sorted(found) == sorted(f"c-{chart[name].pk}" for name in expected)


def test_recorded_and_last_updated_dates(api_client, chart, patient):
    today = timezone.localdate().isoformat()
    assert len(ids(api_client.get("/fhir/r4/Condition", {"recorded-date": today}))) == 4
    assert ids(api_client.get("/fhir/r4/Condition", {"recorded-date": "lt2000"})) == []
    assert len(ids(api_client.get("/fhir/r4/AllergyIntolerance", {"date": f"ge{today}"}))) == 1
    # An edit makes a new version: _lastUpdated follows it.
    medication = chart["medication"]
    later = timezone.now() + timedelta(minutes=5)
    version = medication.versions.order_by("-history_date").first()
    medication.versions.filter(pk=version.pk).update(history_date=later)
    stamp = later.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(api_client.get("/fhir/r4/MedicationStatement", {"_lastUpdated": f"ge{stamp}"})) == [
        f"m-{medication.pk}"]
    assert ids(api_client.get("/fhir/r4/MedicationStatement", {"_lastUpdated": f"lt{stamp}"})) == []
    read = api_client.get(f"/fhir/r4/MedicationStatement/m-{medication.pk}").json()
    assert datetime.fromisoformat(read["meta"]["lastUpdated"]) == later
    assert ids(api_client.get("/fhir/r4/Patient", {"_lastUpdated": f"le{today}"})) == [str(patient.pk)]


def test_patient_parameters(api_client, patient, foreign_patient):
    patient.record_number = "A-17"
    patient.save()
    assert ids(api_client.get("/fhir/r4/Patient", {"identifier": "A-17"})) == [str(patient.pk)]
    assert ids(api_client.get("/fhir/r4/Patient", {"birthdate": "1970-01-02"})) == [str(patient.pk)]
    assert ids(api_client.get("/fhir/r4/Patient", {"birthdate": "gt1970"})) == []
    assert ids(api_client.get("/fhir/r4/Patient", {"name": "MUSTER erika"})) == [str(patient.pk)]
    assert ids(api_client.get("/fhir/r4/Patient", {"name": "Fremd"})) == []  # another clinic's
    body = api_client.get(f"/fhir/r4/Patient/{patient.pk}").json()
    assert body["identifier"][0]["value"] == "A-17" and body["gender"] == "female"


def test_every_sex_code_is_a_fhir_administrative_gender():
    assert set(vocabulary.codes("sex")) <= {"male", "female", "other", "unknown"}


def test_entered_in_error_is_said_so(api_client, chart, doctor):
    condition = chart["asthma"]
    condition.entered_in_error_at, condition.error_reason = timezone.now(), "wrong patient"
    condition.save()
    body = api_client.get(f"/fhir/r4/Condition/k-{condition.pk}").json()
    validate(body)
    assert body["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in body


def test_count_and_links_keep_the_parameters(api_client, chart, patient):
    response = api_client.get("/fhir/r4/Observation", {"patient": patient.pk, "_count": 2, "date": "ge2000"})
    bundle = response.json()
    assert bundle["total"] == 5 and len(bundle["entry"]) == 2
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert links["self"] == f"http://testserver/fhir/r4/Observation?date=ge2000&patient={patient.pk}&_count=2&_offset=0"
    assert links["next"].endswith("_count=2&_offset=2") and "previous" not in links
    assert len(api_client.get("/fhir/r4/Observation", {"_count": 5000}).json()["entry"]) == 5
    assert "entry" not in api_client.get("/fhir/r4/Observation", {"_count": 0}).json()


def test_reads_and_searches_are_audited_per_patient_in_its_clinic(api_client, chart, patient, clinic, doctor):
    other = make_patient(clinic, family="Zweite")
    m.Allergy.objects.create(patient=other, substance="latex", allergy_class="other")
    before = AuditEvent.objects.order_by("id").last()
    api_client.get(f"/fhir/r4/AllergyIntolerance/a-{chart['allergy'].pk}")
    api_client.get("/fhir/r4/AllergyIntolerance")
    events = list(AuditEvent.objects.filter(id__gt=before.id if before else 0).order_by("id"))
    assert [(e.action, e.patient_id, e.clinic_id, e.user_id, e.object_type) for e in events] == [
        ("view", patient.pk, clinic.pk, doctor.pk, "fhir:AllergyIntolerance"),
        ("view", patient.pk, clinic.pk, doctor.pk, "fhir:AllergyIntolerance"),
        ("view", other.pk, clinic.pk, doctor.pk, "fhir:AllergyIntolerance"),
    ]
    assert events[0].object_id == f"a-{chart['allergy'].pk}"
    assert events[1].detail["resources"] == [f"a-{chart['allergy'].pk}"]


def test_search_queries_stay_flat_as_the_data_grows(api_client, doctor, clinic, patient):
    def queries():
        found = {}
        for type_name in TYPES:
            url = f"/fhir/r4/{type_name}?_count=5"
            api_client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert api_client.get(url).status_code == 200
            found[type_name] = len(ctx)
        return found

    def add(n):
        for i in range(n):
            who = make_patient(clinic, family=f"P{m.Patient.objects.count()}")
            m.Complaint.objects.create(patient=who, description="pain", onset="2019")
            m.Condition.objects.create(patient=who, code="asthma")
            m.Allergy.objects.create(patient=who, substance="x", allergy_class="other")
            m.Medication.objects.create(patient=who, name="y", medication_class="other")
            m.WeightMeasurement.objects.create(patient=who, date="2020-01-01", weight_kg=60, height_cm=170)
            m.HistoryItem.objects.create(patient=who, kind="scar", date="2019", description="scar")
            session = Session.objects.create(patient=who, started_at=timezone.now(), practitioner=doctor)
            complaint = m.Complaint.objects.filter(patient=who).first()
            ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=5, post_nrs=2)
            Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                     concentration_percent=1, volume_ml=1, verdict="ok", mg=10, cumulative_mg=10)

    add(5)
    few = queries()
    add(20)
    assert queries() == few


@pytest.mark.parametrize("value,expected", [
    ("2015", ["tooth"]), ("2019-01", ["scar"]), ("2019-01-20", ["scar"]), ("2019-01-21", []),
    ("ge2019-01-20", ["scar", "injection"]), ("lt2019", ["tooth"]), ("2026-03-02", ["injection"]),
    ("le2026-03-02T09:00:00Z", ["tooth", "scar", "injection"]), ("gt2026-03-02T09:00:00+01:00", ["injection"]),
])
def test_procedure_dates_over_history_and_injections(api_client, chart, value, expected):
    prefix = {"tooth": "hi", "scar": "hi", "injection": "i"}
    found = ids(api_client.get("/fhir/r4/Procedure", {"date": value}))
    assert found == [f"{prefix[name]}-{chart[name].pk}" for name in expected]


def test_procedures_say_site_drug_and_dose(api_client, chart):
    tooth = api_client.get(f"/fhir/r4/Procedure/hi-{chart['tooth'].pk}").json()
    assert tooth["bodySite"] == [{"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/ex-tooth", "code": "38"},
        {"system": "http://snomed.info/sct", "code": "74344005", "display": "Permanent mandibular left third molar tooth"}],
        "text": "Tooth 38 (FDI)"}]
    assert tooth["performedDateTime"] == "2015-03"
    scar = api_client.get(f"/fhir/r4/Procedure/hi-{chart['scar'].pk}").json()
    assert scar["bodySite"] == [{"text": "Lower abdomen (right)"}] and scar["code"] == {"text": "appendectomy"}
    injection = api_client.get(f"/fhir/r4/Procedure/i-{chart['injection'].pk}").json()
    validate(injection)
    assert injection["usedCode"] == [{"text": "Procaine 1 %"}]
    assert {"text": "0.5 mL procaine 1 % (5 mg)"} in injection["note"]
    assert injection["encounter"] == {"reference": f"Encounter/e-{chart['session'].pk}"}
    assert injection["reasonReference"] == [{"reference": f"Condition/c-{chart['complaint'].pk}"}]
    assert injection["status"] == "in-progress"  # the session is a draft


def test_encounters_by_date_and_their_pain_scores(api_client, chart, patient):
    session = chart["session"]
    assert ids(api_client.get("/fhir/r4/Encounter", {"date": "2026-03"})) == [f"e-{session.pk}"]
    assert ids(api_client.get("/fhir/r4/Encounter", {"date": "lt2026-03-02"})) == []
    assert ids(api_client.get("/fhir/r4/Encounter", {"_id": f"e-{session.pk}", "patient": patient.pk})) == [
        f"e-{session.pk}"]
    before = api_client.get(f"/fhir/r4/Observation/n-{chart['score'].pk}").json()
    after = api_client.get(f"/fhir/r4/Observation/p-{chart['score'].pk}").json()
    assert (before["valueInteger"], after["valueInteger"]) == (6, 3)
    assert before["focus"] == [{"reference": f"Condition/c-{chart['complaint'].pk}"}]
    assert ids(api_client.get("/fhir/r4/Observation", {"date": "2026-03-02", "patient": patient.pk})) == [
        f"n-{chart['score'].pk}", f"p-{chart['score'].pk}"]


def test_writes_are_refused_as_not_supported(api_client, patient):
    api_client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=api_client.defaults["HTTP_AUTHORIZATION"])
    for method in ("post", "put", "patch", "delete"):
        response = getattr(api_client, method)(f"/fhir/r4/Patient/{patient.pk}", "{}",
                                               content_type="application/fhir+json")
        assert refused(response, 405, method.upper()).code == "not-supported"
        assert response["Allow"] == "GET, HEAD"
    assert refused(api_client.post("/fhir/r4/Patient", "{}", content_type="application/fhir+json"), 405).code
    assert api_client.get("/fhir/r4/Patient/1/_history").status_code == 404


def test_a_row_written_without_a_version_is_served_as_of_when_it_was_recorded(api_client, patient):
    """bulk_create writes no change history: such a row's lastUpdated is when it was recorded."""
    [allergy] = m.Allergy.objects.bulk_create([m.Allergy(patient=patient, clinic=patient.clinic, substance="latex",
                                                         allergy_class="other")])
    assert not allergy.versions.exists()
    read = api_client.get(f"/fhir/r4/AllergyIntolerance/a-{allergy.pk}")
    assert read.status_code == 200, read.content
    assert datetime.fromisoformat(validate(read.json()).meta.lastUpdated.isoformat()) == allergy.recorded_at
    assert ids(api_client.get("/fhir/r4/AllergyIntolerance", {"patient": patient.pk})) == [f"a-{allergy.pk}"]
