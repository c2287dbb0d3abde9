"""Patient/ID/$everything and Patient/ID/$summary, and the plain functions behind them."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.interop.fhir.everything import everything, summary
from segmenta.interop.fhir.types import TYPES
from segmenta.patients import models as m
from segmenta.patients.models import Patient

from .test_fhir_demo import client_of, demo, validate  # noqa: F401 (demo is a fixture)
from .test_fhir_more_types import records  # noqa: F401 (a fixture)
from .test_fhir_search import chart, ids, refused  # noqa: F401 (chart is a fixture)

LOINC = "http://loinc.org"


def test_everything_holds_the_patient_and_all_about_them(api_client, chart, records, patient, foreign_patient):
    bundle = everything(patient)
    validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == len(bundle["entry"])
    found = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    assert found[0] == ("Patient", str(patient.pk))
    types = {kind for kind, _id in found}
    assert types == set(TYPES) - {"Questionnaire"}
    # What the searches find for the patient, and nothing of the other patient's.
    for type_name in types - {"Patient"}:
        expected = ids(api_client.get(f"/fhir/r4/{type_name}", {"patient": patient.pk, "_count": 1000}))
        assert [i for kind, i in found if kind == type_name] == expected
    assert not any(e["resource"].get("subject", {}).get("reference") == f"Patient/{foreign_patient.pk}"
                   for e in bundle["entry"])
    # Through the API: the same, paged with _count, with fullUrls.
    pages, url = [], f"/fhir/r4/Patient/{patient.pk}/$everything?_count=7"
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        validate(page)
        assert page["total"] == bundle["total"]
        pages += page.get("entry", [])
        url = next((urlsplit(link["url"])._replace(scheme="", netloc="").geturl()
                    for link in page["link"] if link["relation"] == "next"), None)
    assert [(e["resource"]["resourceType"], e["resource"]["id"]) for e in pages] == found
    assert pages[0]["fullUrl"] == f"http://testserver/fhir/r4/Patient/{patient.pk}"


def test_everything_and_summary_refuse_what_the_user_may_not_see(api_client, foreign_patient, patient):
    for operation in ("$everything", "$summary"):
        assert refused(api_client.get(f"/fhir/r4/Patient/{foreign_patient.pk}/{operation}"), 404).code == "not-found"
        assert refused(api_client.get(f"/fhir/r4/Patient/999999/{operation}"), 404).code == "not-found"
        refused(api_client.get(f"/fhir/r4/Patient/{patient.pk}/{operation}", {"type": "x"}), 400, "type")
    refused(api_client.get(f"/fhir/r4/Patient/{patient.pk}/$everything", {"_count": "all"}), 400, "_count")
    assert api_client.get(f"/fhir/r4/Patient/{patient.pk}/$everything", HTTP_AUTHORIZATION="").status_code == 401


def test_the_summary_is_a_patient_summary_document(api_client, chart, records, patient, doctor):
    error = m.Allergy.objects.create(patient=patient, substance="latex", allergy_class="other",
                                     entered_in_error_at=timezone.now(), error_reason="wrong patient")
    before = AuditEvent.objects.order_by("id").last().id
    response = api_client.get(f"/fhir/r4/Patient/{patient.pk}/$summary")
    assert response.status_code == 200, response.content
    bundle = response.json()
    validate(bundle)
    assert bundle["type"] == "document" and bundle["identifier"]["value"].startswith("urn:uuid:")
    composition = bundle["entry"][0]["resource"]
    validate(composition)
    assert composition["resourceType"] == "Composition" and composition["status"] == "final"
    assert composition["type"]["coding"][0] == {"system": LOINC, "code": "60591-5",
                                                "display": "Patient summary Document"}
    assert composition["subject"] == {"reference": f"Patient/{patient.pk}"}
    sections = {s["code"]["coding"][0]["code"]: s for s in composition["section"]}
    assert list(sections) == ["48765-2", "10160-0", "11450-4", "47519-4", "8716-3"]
    # The Bundle holds exactly the subject and every section's entries (no pain score no section
    # names); the one entered in error is not among them.
    in_bundle = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"][1:]}
    referenced = {ref["reference"] for section in sections.values() for ref in section.get("entry", [])}
    assert in_bundle == referenced | {composition["subject"]["reference"]}
    score = chart["score"].pk  # the chart has a session's pain score, which the IPS sections do not list
    assert not {f"Observation/n-{score}", f"Observation/p-{score}"} & in_bundle
    for section in sections.values():
        assert section["text"]["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    assert f"AllergyIntolerance/a-{error.pk}" not in in_bundle
    assert [r["reference"] for r in sections["48765-2"]["entry"]] == [f"AllergyIntolerance/a-{chart['allergy'].pk}"]
    assert "procaine" in sections["48765-2"]["text"]["div"]
    assert {r["reference"] for r in sections["8716-3"]["entry"]} == {
        f"Observation/w-{chart['early'].pk}", f"Observation/w-{chart['late'].pk}", f"Observation/h-{chart['late'].pk}"}
    assert "72 kg (2024-06-01)" in sections["8716-3"]["text"]["div"]
    assert len(sections["11450-4"]["entry"]) == 5  # the chart's four and the records' complaint
    assert all(e["fullUrl"].startswith("http://testserver/fhir/r4/") for e in bundle["entry"][1:])
    event = AuditEvent.objects.get(id__gt=before)
    assert (event.patient_id, event.user_id, event.object_type) == (patient.pk, doctor.pk, "fhir:Patient/$summary")


def test_a_summary_of_an_empty_chart_says_so(patient):
    bundle = summary(patient)
    validate(bundle)
    sections = bundle["entry"][0]["resource"]["section"]
    assert all("entry" not in section for section in sections)
    assert "No allergies or intolerances recorded." in sections[0]["text"]["div"]
    # Without a server base the entries are urn:uuid URLs, which the Composition names.
    assert bundle["entry"][0]["resource"]["subject"]["reference"] == bundle["entry"][1]["fullUrl"]
    assert bundle["entry"][1]["fullUrl"].startswith("urn:uuid:")


def test_the_demo_practice_everything_and_summary_validate(demo):
    doctor = client_of("demo-doctor")
    for patient in Patient.objects.visible_to(get_user_model().objects.get(username="demo-doctor")):
        for operation in ("$everything?_count=1000", "$summary"):
            response = doctor.get(f"/fhir/r4/Patient/{patient.pk}/{operation}")
            assert response.status_code == 200, response.content
            bundle = response.json()
            validate(bundle)
            for found in bundle["entry"]:
                validate(found["resource"])


@pytest.mark.parametrize("with_base", [False, True])
def test_everything_as_a_plain_function(patient, with_base):
    bundle = everything(patient, "https://clinic.example/fhir/r4" if with_base else None)
    validate(bundle)
    assert ("fullUrl" in bundle["entry"][0]) == with_base


def test_the_capability_statement_names_both_operations(db):
    statement = Client().get("/fhir/r4/metadata").json()
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert [(o["name"], o["definition"]) for o in patient["operation"]][:2] == [
        ("everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything"),
        ("summary", "http://hl7.org/fhir/uv/ips/OperationDefinition/summary")]
    assert [o["name"] for o in patient["operation"]][2:] == ["export"]  # the bulk export (bulk.py)


def test_everything_narrowed_by_type_and_since(api_client, chart, patient):
    url = f"/fhir/r4/Patient/{patient.pk}/$everything"
    body = api_client.get(url, {"_type": "AllergyIntolerance,MedicationStatement"}).json()
    validate(body)
    assert [e["resource"]["id"] for e in body["entry"]] == [f"a-{chart['allergy'].pk}", f"m-{chart['medication'].pk}"]
    assert "_type=AllergyIntolerance%2CMedicationStatement" in body["link"][0]["url"]
    # _since: only what changed after it (an edit makes a new version).
    later = timezone.now() + timedelta(minutes=5)
    medication = chart["medication"]
    medication.versions.filter(pk=medication.versions.order_by("-history_date").first().pk).update(
        history_date=later)
    stamp = (later - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    since = api_client.get(url, {"_since": stamp}).json()
    assert [e["resource"]["id"] for e in since["entry"]] == [f"m-{chart['medication'].pk}"]
    refused(api_client.get(url, {"_type": "Questionnaire"}), 400, "_type", "Questionnaire")
    refused(api_client.get(url, {"_since": "2026-01-01"}), 400, "_since")
    # The bulk export reads _type and _since with the same parsers, so it refuses the same.
    refused(api_client.get(url, {"_type": "AllergyIntolerance,"}), 400, "_type", "'' is not one of")
    refused(api_client.get(url, {"_since": "2026-01-01T08:00:00"}), 400, "_since", "time zone")
