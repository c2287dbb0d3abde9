"""The FHIR API over the demo practice (`segmenta demo`): every resource it emits validates
as FHIR R4 (fhir.resources' R4B models and HL7's R4 JSON Schema), reads answer what searches
list, paging links walk the whole set, and the other clinic sees none of it.

The JSON Schema is HL7's ``fhir.schema.json`` for R4 (``"id": "http://hl7.org/fhir/json-schema/4.0"``,
JSON Schema draft-06, 680 definitions), kept as test data in ``data/fhir.schema.json.gz``
(see ``data/README.md`` for where it comes from and why it is that file)."""

import gzip
import hashlib
import importlib
import json
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema_rs

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from segmenta.accounts.models import ApiToken
from segmenta.interop.fhir.types import TYPES

MODELS = {"Patient": "patient", "Condition": "condition", "AllergyIntolerance": "allergyintolerance",
          "MedicationStatement": "medicationstatement", "Observation": "observation", "Procedure": "procedure",
          "Encounter": "encounter", "Bundle": "bundle", "QuestionnaireResponse": "questionnaireresponse",
          "Questionnaire": "questionnaire", "Consent": "consent", "AdverseEvent": "adverseevent",
          "CarePlan": "careplan", "Composition": "composition",
          "CapabilityStatement": "capabilitystatement", "OperationOutcome": "operationoutcome"}


SCHEMA_FILE = Path(__file__).parent / "data" / "fhir.schema.json.gz"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"  # of the unpacked file


@lru_cache(maxsize=1)
def _schema():
    raw = gzip.decompress(SCHEMA_FILE.read_bytes())
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, f"{SCHEMA_FILE} is not the file data/README.md names"
    return json.loads(raw)


@lru_cache(maxsize=None)
def _schema_validator(name):
    """HL7's R4 JSON Schema with the definition of ``name`` (e.g. Patient) as its entry point."""
    schema = _schema()
    return jsonschema_rs.Draft6Validator({"definitions": schema["definitions"],
                                          "allOf": [{"$ref": f"#/definitions/{name}"}]})


def schema_errors(resource):
    """What HL7's R4 JSON Schema finds wrong with ``resource``: ["path: message", …], [] when valid."""
    name = resource.get("resourceType")
    if name not in _schema()["definitions"]:
        return [f"resourceType: {name!r} is no R4 resource type"]
    return [f"{'/'.join(map(str, error.instance_path)) or '(resource)'}: {error.message[:300]}"
            for error in _schema_validator(name).iter_errors(resource) if not _release_gap(resource, error)]


def _release_gap(resource, error):
    """The one place the R4 4.0.0 schema file differs from 4.0.1 for what we send: its list of
    FHIR versions ends at 4.0.0, so the CapabilityStatement's ``fhirVersion`` 4.0.1 is not in it."""
    return list(error.instance_path) == ["fhirVersion"] and resource.get("fhirVersion") == "4.0.1"


def validate(resource):
    """Check ``resource`` with HL7's R4 JSON Schema, then parse it with its fhir.resources R4B
    model (raises on anything either finds invalid); the model is returned."""
    name = resource["resourceType"]
    errors = schema_errors(resource)
    if errors:
        raise ValueError(f"{name} fails the R4 JSON Schema: " + "; ".join(errors[:5]))
    module = importlib.import_module(f"fhir.resources.R4B.{MODELS[name]}")
    return getattr(module, name).model_validate(resource)


def client_of(username):
    _token, raw = ApiToken.issue(get_user_model().objects.get(username=username), "fhir tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def walk(client, url):
    """Every entry of a search, following its next links; the bundles on the way."""
    entries, bundles = [], []
    while url:
        parts = urlsplit(url)
        response = client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("application/fhir+json")
        bundle = response.json()
        validate(bundle)
        bundles.append(bundle)
        entries += bundle.get("entry", [])
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return entries, bundles


@pytest.fixture
def demo(db):
    call_command("demo", stdout=open("/dev/null", "w"))


def test_demo_practice_through_fhir(demo):
    doctor, other = client_of("demo-doctor"), client_of("other-doctor")
    for type_name in TYPES:
        everything, _bundles = walk(doctor, f"/fhir/r4/{type_name}?_count=1000")
        assert everything, f"the demo practice has no {type_name}"
        ids = [entry["resource"]["id"] for entry in everything]
        assert len(ids) == len(set(ids))
        for entry in everything:
            validate(entry["resource"])
            assert entry["fullUrl"] == f"http://testserver/fhir/r4/{type_name}/{entry['resource']['id']}"
        # Read answers what the search listed.
        for entry in everything:
            read = doctor.get(f"/fhir/r4/{type_name}/{entry['resource']['id']}")
            assert read.status_code == 200 and read.json() == entry["resource"]
        # Pages of 3 walk the same set, each page's previous link leading back one page.
        paged, bundles = walk(doctor, f"/fhir/r4/{type_name}?_count=3")
        assert [e["resource"]["id"] for e in paged] == ids
        assert {b["total"] for b in bundles} == {len(ids)}
        assert all(len(b.get("entry", [])) == 3 for b in bundles[:-1])
        for before, after in zip(bundles, bundles[1:]):
            previous = next(link["url"] for link in after["link"] if link["relation"] == "previous")
            assert previous == next(link["url"] for link in before["link"] if link["relation"] == "self")
        assert not any(link["relation"] == "previous" for link in bundles[0]["link"])
        # The other clinic: none of it in its searches, every read a 404 (but for the
        # questionnaires Segmenta ships, which every clinic has).
        shipped = {i for i in ids if type_name == "Questionnaire" and not i.startswith("ci-")}
        theirs, _bundles = walk(other, f"/fhir/r4/{type_name}?_count=1000")
        assert {e["resource"]["id"] for e in theirs} & set(ids) == shipped
        private = [i for i in ids if i not in shipped]
        for resource_id in private[:5]:
            refused = other.get(f"/fhir/r4/{type_name}/{resource_id}")
            assert refused.status_code == 404
            assert validate(refused.json()).issue[0].code == "not-found"


def test_capability_statement_lists_what_is_served(db):
    for accept in ("application/fhir+json", "application/json", "*/*"):
        response = Client().get("/fhir/r4/metadata", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    statement = validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    served = {r.type: r for r in statement.rest[0].resource}
    # Besides the types read and searched, Group: a clinic, for its $export only (bulk.py).
    assert set(served) == set(TYPES) | {"Group"}
    assert not served["Group"].interaction and [o.name for o in served["Group"].operation] == ["export"]
    for name, resource in served.items():
        if name == "Group":
            continue
        assert [i.code for i in resource.interaction] == ["read", "search-type"]
        assert {p.name for p in resource.searchParam} == set(TYPES[name].search)
    assert [o.name for o in statement.rest[0].operation] == ["export"]
    # Importing: a transaction or batch Bundle POSTed to the base (test_fhir_import_http).
    assert [i.code for i in statement.rest[0].interaction] == ["transaction", "batch"]
    # Asked again, the same statement (nothing it is built from grows).
    assert Client().get("/fhir/r4/metadata").json() == response.json()


def test_the_validation_refuses_what_fhir_refuses():
    """(Its models check structure, types, required elements and formats, not value sets:
    codes are checked where we emit them, e.g. test_every_sex_code_is_a_fhir_administrative_gender.)"""
    wrong = [({"resourceType": "Patient", "birthDate": "1970-13-01"}, "birthDate"),
             ({"resourceType": "Observation", "status": "final"}, "code"),
             ({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "colour": "red"}, "colour"),
             ({"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/1"},
               "bodySite": {"text": "not a list"}}, "bodySite"),
             ({"resourceType": "Spaceship"}, "resourceType")]
    for resource, word in wrong:
        with pytest.raises(ValueError):
            validate(resource)
        # The JSON Schema on its own refuses each one, naming what is wrong.
        assert any(word in error for error in schema_errors(resource)), schema_errors(resource)
    assert schema_errors({"resourceType": "Patient", "birthDate": "1970-01-02"}) == []
    # A required primitive may stand as its extension alone ("_status"), so the schema leaves
    # such elements to the models, which refuse an Observation without its status.
    with pytest.raises(ValueError):
        validate({"resourceType": "Observation", "code": {"text": "x"}})


def test_the_json_schema_is_hls_r4_schema_as_data_readme_names_it():
    readme = (SCHEMA_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert SCHEMA_SHA256 in readme
    schema = _schema()
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0" and len(schema["definitions"]) == 680
    assert set(TYPES) | {"Bundle", "Composition", "CapabilityStatement", "OperationOutcome"} <= set(
        schema["discriminator"]["mapping"])
