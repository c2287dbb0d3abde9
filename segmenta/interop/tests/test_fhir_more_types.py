"""QuestionnaireResponse, Questionnaire, Consent, AdverseEvent and CarePlan: what each says,
their search parameters through real requests, another clinic's rows unseen, reads audited."""

from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.outcomes.models import ClinicInstrument
from segmenta.outcomes.responses import save_answers
from segmenta.outcomes.scoring import instrument
from segmenta.outcomes.translation import TRANSLATION_URL, translations, untranslated
from segmenta.patients import models as m
from segmenta.treatment.models import AdverseEvent, Injection, Session, TreatmentPlan

from .test_fhir_demo import validate
from .test_fhir_search import ids, refused

MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=dt_timezone.utc)
APRIL = datetime(2026, 4, 6, 9, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def records(patient, foreign_patient, doctor):
    made = {}
    for who in (patient, foreign_patient):
        complaint = m.Complaint.objects.create(patient=who, description="neck pain", onset="2019")
        plan = TreatmentPlan.objects.create(patient=who, complaint=complaint, goals="Less neck pain")
        first = Session.objects.create(patient=who, plan=plan, started_at=MARCH)
        second = Session.objects.create(patient=who, plan=plan, started_at=APRIL)
        injection = Injection.objects.create(session=first, order=1, time=MARCH, target="wheal",
                                             concentration_percent=1, volume_ml=1, verdict="ok", mg=10,
                                             cumulative_mg=10)
        made[who.pk] = {
            "plan": plan, "first": first, "second": second, "injection": injection,
            "faint": AdverseEvent.objects.create(session=first, injection=injection, kind="vasovagal",
                                                 severity="mild", outcome="recovered", occurred_at=MARCH,
                                                 description="Dizzy <briefly>", treatment_given="Lying down"),
            "bruise": AdverseEvent.objects.create(session=second, kind="haematoma", severity="life_threatening"),
            "consent": m.Consent.objects.create(patient=who, date=date(2026, 3, 1), scope="neural therapy",
                                                scopes=["injection_therapy", "research_use"], method="signature"),
            "refusal": m.Consent.objects.create(patient=who, date=date(2026, 1, 5), scope="research",
                                                decision="refused", scopes=["research_use"]),
            "phq": save_answers(who, "phq-9", {f"phq9-{i}": "several_days" for i in range(1, 10)},
                                entered_by=doctor, answered_at=MARCH, language="de"),
            "nrs": save_answers(who, "nrs-11", {"now": 6, "average": 5, "worst": 8}, answered_at=APRIL, language="en"),
        }
    return made[patient.pk]


def test_questionnaire_responses(api_client, records, patient, foreign_patient):
    phq, nrs = f"qr-{records['phq'].pk}", f"qr-{records['nrs'].pk}"
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"patient": patient.pk})) == [phq, nrs]
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"patient": foreign_patient.pk})) == []
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"authored": "2026-04"})) == [nrs]
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"authored": "lt2026-04"})) == [phq]
    url = instrument("phq-9")["url"]
    for value in ("Questionnaire/phq-9", "phq-9", url):
        assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"questionnaire": value})) == [phq]
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"questionnaire": "gad-7"})) == []
    body = api_client.get(f"/fhir/r4/QuestionnaireResponse/{phq}").json()
    validate(body)
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"} and body["questionnaire"] == url
    assert body["language"] == "de" and body["status"] == "completed" and body["meta"]["lastUpdated"]
    assert body["item"][0]["answer"][0]["valueCoding"]["code"] == "several_days"
    assert body["author"]["display"]  # entered by the doctor; the NRS by the patient
    assert api_client.get(f"/fhir/r4/QuestionnaireResponse/{nrs}").json()["author"] == body["subject"]


def test_questionnaires_shipped_with_their_translations_and_a_clinics_own(api_client, clinic, other_clinic, db):
    shipped = ids(api_client.get("/fhir/r4/Questionnaire"))
    assert {"nrs-11", "pgic", "psfs", "phq-9", "gad-7"} <= set(shipped)
    body = api_client.get("/fhir/r4/Questionnaire/phq-9").json()
    validate(body)
    assert body == instrument("phq-9")
    languages = {part["valueCode"] for ext in body["item"][0]["_text"]["extension"] if ext["url"] == TRANSLATION_URL
                 for part in ext["extension"] if part["url"] == "lang"}
    assert languages == {"de", "es"} and body["_title"]["extension"][0]["url"] == TRANSLATION_URL
    resource = {**instrument("nrs-11"), "id": "own-scale", "url": "https://clinic.example/own-scale",
                "title": "Our own scale"}
    mine = ClinicInstrument.objects.create(clinic=clinic, instrument_id="own-scale", resource=resource,
                                           licence_note="ours")
    theirs = ClinicInstrument.objects.create(clinic=other_clinic, instrument_id="own-scale",
                                             resource={**resource, "title": "Their scale"}, licence_note="theirs")
    assert f"ci-{mine.pk}" in ids(api_client.get("/fhir/r4/Questionnaire"))
    assert f"ci-{theirs.pk}" not in ids(api_client.get("/fhir/r4/Questionnaire"))
    assert refused(api_client.get(f"/fhir/r4/Questionnaire/ci-{theirs.pk}"), 404).code == "not-found"
    own = api_client.get(f"/fhir/r4/Questionnaire/ci-{mine.pk}").json()
    validate(own)
    assert own["id"] == f"ci-{mine.pk}" and own["meta"]["lastUpdated"]
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"url": "https://clinic.example/own-scale"})) == [
        f"ci-{mine.pk}"]
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"name": "own scale"})) == [f"ci-{mine.pk}"]
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"_id": "phq-9,gad-7"})) == ["gad-7", "phq-9"]
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"_lastUpdated": "ge2000"})) == [f"ci-{mine.pk}"]
    code = instrument("phq-9")["code"][0]
    assert "phq-9" in ids(api_client.get("/fhir/r4/Questionnaire", {"code": f"{code['system']}|{code['code']}"}))
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"code": "no-such-code"})) == []
    assert ids(api_client.get("/fhir/r4/Questionnaire", {"_count": 2, "_offset": 1})) == shipped[1:3]


def test_consents(api_client, records, patient):
    consent, refusal = f"co-{records['consent'].pk}", f"co-{records['refusal'].pk}"
    assert ids(api_client.get("/fhir/r4/Consent", {"patient": patient.pk})) == [consent, refusal]
    assert ids(api_client.get("/fhir/r4/Consent", {"date": "2026-03-01"})) == [consent]
    assert ids(api_client.get("/fhir/r4/Consent", {"date": "lt2026-02"})) == [refusal]
    given = api_client.get(f"/fhir/r4/Consent/{consent}").json()
    validate(given)
    assert (given["status"], given["provision"]["type"]) == ("active", "permit")
    assert given["scope"]["coding"][0]["code"] == "treatment"
    assert [c["text"] for c in given["provision"]["code"]] == [
        "Injection therapy (neural therapy)", "Research use of pseudonymised data"]
    assert given["dateTime"] == "2026-03-01" and given["sourceAttachment"] == {"title": "Signed on screen"}
    refused_one = api_client.get(f"/fhir/r4/Consent/{refusal}").json()
    assert refused_one["provision"]["type"] == "deny" and refused_one["scope"]["coding"][0]["code"] == "research"
    records["consent"].withdrawn_on = date(2026, 5, 1)
    records["consent"].save()
    withdrawn = api_client.get(f"/fhir/r4/Consent/{consent}").json()
    assert withdrawn["status"] == "inactive" and withdrawn["provision"]["period"]["end"] == "2026-05-01"


def test_a_consent_that_records_no_coverage_permits_nothing(api_client, patient):
    """A consent given without coded coverage (rows from before it was recorded) is no permit
    to treat: its scope says so, its provision has no type; a refusal without coverage denies."""
    given = m.Consent.objects.create(patient=patient, date=date(2025, 6, 1), scope="Neuraltherapie", scopes=[])
    refused = m.Consent.objects.create(patient=patient, date=date(2025, 7, 1), scope="", scopes=[],
                                       decision=m.Consent.Decision.REFUSED)
    shown = api_client.get(f"/fhir/r4/Consent/co-{given.pk}").json()
    validate(shown)
    assert "coding" not in shown["scope"] and shown["scope"]["text"].startswith("Not recorded")
    assert "type" not in shown["provision"] and "code" not in shown["provision"]
    assert "permit" not in str(shown).replace("permits nothing", "")
    assert "Neuraltherapie" in shown["text"]["div"]
    denied = api_client.get(f"/fhir/r4/Consent/co-{refused.pk}").json()
    validate(denied)
    assert denied["provision"]["type"] == "deny" and "coding" not in denied["scope"]


def test_adverse_events(api_client, records, patient, foreign_patient):
    faint, bruise = f"ae-{records['faint'].pk}", f"ae-{records['bruise'].pk}"
    assert ids(api_client.get("/fhir/r4/AdverseEvent", {"patient": patient.pk})) == [faint, bruise]
    assert ids(api_client.get("/fhir/r4/AdverseEvent", {"patient": foreign_patient.pk})) == []
    # The date is when it occurred, else the session's start.
    assert ids(api_client.get("/fhir/r4/AdverseEvent", {"date": "2026-04-06"})) == [bruise]
    assert ids(api_client.get("/fhir/r4/AdverseEvent", {"date": "le2026-03-02T09:00:00Z"})) == [faint]
    body = api_client.get(f"/fhir/r4/AdverseEvent/{faint}").json()
    validate(body)
    assert body["event"] == {"text": "Vasovagal reaction: Dizzy <briefly>"}
    assert body["suspectEntity"][0]["instance"] == {"reference": f"Procedure/i-{records['injection'].pk}"}
    assert body["suspectEntity"][0]["causality"][0]["assessment"] == {"text": "Possible (WHO-UMC)"}
    assert body["outcome"]["coding"][0]["code"] == "resolved" and body["severity"]["coding"][0]["code"] == "mild"
    assert "Dizzy &lt;briefly&gt;" in body["text"]["div"] and "Lying down" in body["text"]["div"]
    assert body["encounter"] == {"reference": f"Encounter/e-{records['first'].pk}"}
    other = api_client.get(f"/fhir/r4/AdverseEvent/{bruise}").json()
    validate(other)
    assert other["severity"] == {"text": "Life-threatening"} and "suspectEntity" not in other


def test_care_plans_list_their_sessions(api_client, records, patient):
    plan = records["plan"]
    assert ids(api_client.get("/fhir/r4/CarePlan", {"patient": patient.pk})) == [f"cp-{plan.pk}"]
    today = timezone.localdate(plan.created_at).isoformat()  # a FHIR date is a day where the clinic is
    assert ids(api_client.get("/fhir/r4/CarePlan", {"date": today, "_id": f"cp-{plan.pk}"})) == [f"cp-{plan.pk}"]
    assert ids(api_client.get("/fhir/r4/CarePlan", {"date": "lt2000"})) == []
    body = api_client.get(f"/fhir/r4/CarePlan/cp-{plan.pk}").json()
    validate(body)
    assert body["status"] == "active" and body["intent"] == "plan" and body["description"] == "Less neck pain"
    assert [a["outcomeReference"][0]["reference"] for a in body["activity"]] == [
        f"Encounter/e-{records['first'].pk}", f"Encounter/e-{records['second'].pk}"]
    assert body["activity"][1]["detail"]["description"] == "Session 2 of 6–12"
    assert body["addresses"] == [{"reference": f"Condition/c-{plan.complaint_id}"}]


def test_reads_and_searches_of_the_new_types_are_audited(api_client, records, patient, doctor):
    before = AuditEvent.objects.order_by("id").last().id
    api_client.get(f"/fhir/r4/CarePlan/cp-{records['plan'].pk}")
    api_client.get("/fhir/r4/AdverseEvent")
    api_client.get("/fhir/r4/Questionnaire/phq-9")
    events = list(AuditEvent.objects.filter(id__gt=before).order_by("id"))
    assert [(e.object_type, e.patient_id, e.user_id) for e in events] == [
        ("fhir:CarePlan", patient.pk, doctor.pk), ("fhir:AdverseEvent", patient.pk, doctor.pk),
        ("fhir:Questionnaire", None, doctor.pk)]
    assert events[1].detail["resources"] == [f"ae-{records['faint'].pk}", f"ae-{records['bruise'].pk}"]


def test_answers_to_a_clinics_own_questionnaire_are_found_by_it(api_client, clinic, other_clinic, patient):
    resource = {**instrument("nrs-11"), "id": "own-scale", "url": "https://clinic.example/own-scale"}
    mine = ClinicInstrument.objects.create(clinic=clinic, instrument_id="own-scale", resource=resource,
                                           licence_note="ours")
    theirs = ClinicInstrument.objects.create(clinic=other_clinic, instrument_id="own-scale", resource=resource,
                                             licence_note="theirs")
    answered = save_answers(patient, "own-scale", {"now": 3, "average": 3, "worst": 4}, answered_at=MARCH)
    wanted = [f"qr-{answered.pk}"]
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"questionnaire": f"Questionnaire/ci-{mine.pk}"})) \
        == wanted
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse",
                              {"questionnaire": "https://clinic.example/own-scale"})) == wanted
    # The other clinic's questionnaire of the same name is not this one.
    assert ids(api_client.get("/fhir/r4/QuestionnaireResponse", {"questionnaire": f"ci-{theirs.pk}"})) == []
    validate(api_client.get(f"/fhir/r4/QuestionnaireResponse/qr-{answered.pk}").json())


def test_every_shipped_questionnaire_carries_its_german_and_spanish(api_client):
    shipped = api_client.get("/fhir/r4/Questionnaire").json()["entry"]
    assert {e["resource"]["id"] for e in shipped} == {"nrs-11", "pgic", "psfs", "phq-9", "gad-7"}
    for found in shipped:
        resource = found["resource"]
        assert untranslated(resource, ("de", "es")) == [], resource["id"]
        assert set(translations(resource, "title")) == {"de", "es"}
