"""The case format's version 1 additions (shared/contracts/case-format.md): accepted when well
formed, refused naming the field otherwise, and a case without them answers as before."""

import json

import pytest

from segmenta import caseformat
from segmenta.assessment.tests.cases import SHARED
from segmenta.knowledge.base import load
from segmenta.treatment.safety import check

FULL = {
    "format": "segmenta-case/1",
    "patient": {
        "sex": "female", "birth_date": "1971-05-14", "weight_kg": 62.0, "height_cm": 168, "pregnant": False,
        "reviewed": {"allergies": "2026-11-01", "medications": None, "pregnancy": "2026-11-20"},
        "medications": [{"name": "apixaban", "class": "anticoagulant", "last_dose": "2026-11-24T20:00"},
                        {"name": "aspirin", "class": "antiplatelet", "last_dose": "2026-11-20"}],
    },
    "practitioner": {"profession": "physician", "jurisdiction": "DE", "trained_techniques": ["wheal"]},
    "consent": {"status": "given", "date": "2026-09-02", "scope": ["injection_therapy"]},
    "given_injections": [
        {"target": "stellate", "side": "left", "regions": [{"region": "neck", "side": "left"}],
         "drug": "procaine", "concentration_percent": 1, "volume_ml": 5, "time": "2026-11-25T10:00"}],
    "planned_injections": [
        {"target": "wheal", "regions": [{"region": "shoulder", "side": "right"}], "drug": "procaine",
         "concentration_percent": 1, "volume_ml": 0.5, "time": "2026-11-25T10:30+01:00",
         "product": {"name": "Procaine 1 % 2 mL ampoule", "preservative": False, "multi_dose": False,
                     "lot": "L123", "expiry": "2027-06-30"}}],
}


def test_the_contracts_example_is_valid_and_checked():
    assert caseformat.validate(FULL) is FULL
    result = check(FULL, load())
    assert {"medications_not_reviewed", "anticoagulant", "antiplatelet"} <= {
        r["code"] for r in result["injections"][0]["reasons"]}


@pytest.mark.parametrize("path,value,field", [
    (("patient", "reviewed", "allergies"), "yesterday", "patient.reviewed.allergies"),
    (("patient", "reviewed", "pregnancy"), "2026-02-30", "patient.reviewed.pregnancy"),
    (("patient", "medications", 0, "last_dose"), "2026-11-24 8pm", "patient.medications[0].last_dose"),
    (("practitioner", "jurisdiction"), "Germany", "practitioner.jurisdiction"),
    (("consent", "status"), "maybe", "consent.status"),
    (("consent", "scope"), ["everything"], "consent.scope[0]"),
    (("given_injections", 0, "time"), "2026-13-01T10:00", "given_injections[0].time"),
    (("planned_injections", 0, "product", "expiry"), "06/2027", "planned_injections[0].product.expiry"),
    (("planned_injections", 0, "product", "colour"), "red", "planned_injections[0].product"),
    (("patient", "height_cm"), 900, "patient.height_cm"),
])
def test_a_malformed_addition_is_refused_naming_its_field(path, value, field):
    case = json.loads(json.dumps(FULL))
    target = case
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(caseformat.CaseError) as error:
        caseformat.validate(case)
    assert error.value.field == field


def test_the_published_schema_describes_every_addition():
    schema = caseformat.build_schema()["properties"]
    assert {"height_cm", "reviewed"} <= set(schema["patient"]["properties"])
    assert "last_dose" in schema["patient"]["properties"]["medications"]["items"]["properties"]
    assert "jurisdiction" in schema["practitioner"]["properties"]
    assert {"consent", "given_injections"} <= set(schema)
    assert "product" in schema["planned_injections"]["items"]["properties"]


@pytest.mark.parametrize("name", sorted(p.name for p in SHARED.glob("safety-*.case.json")))
def test_stating_nothing_new_changes_no_verdict_of_the_worked_cases(name):
    """Reviewed lists, a given consent and a current pregnancy status are all "fine": adding
    them must not change the worked cases' verdicts."""
    case = json.loads((SHARED / name).read_text())
    before = [i["verdict"] for i in check(case, load())["injections"]]
    case["patient"]["reviewed"] = {"allergies": "2026-11-20", "medications": "2026-11-20"}
    case["consent"] = {"status": "given", "date": "2026-09-02", "scope": ["injection_therapy"]}
    assert [i["verdict"] for i in check(caseformat.validate(case), load())["injections"]] == before
