"""What an import costs in queries: a fixed number per patient and per resource, the same for
the 50th patient as for the first (no lookup grows with the rows taken before), and a file
imported again costs less than the first time."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from segmenta.interop.fhir import imports

from .test_fhir_import import SNOMED, bundle, coded, medication, person

RESOURCES_PER_PATIENT = 6


def patients(count, start):
    found = []
    for i in range(start, start + count):
        pid = f"q{i}"
        subject = {"reference": f"Patient/{pid}"}
        found += [
            person(pid=pid, family=f"Family{i}", given=(f"Given{i}",), birth="1970-01-02"),
            medication(f"m{i}a", f"Metoprolol {i} mg", patient=pid),
            medication(f"m{i}b", f"Ramipril {i} mg", patient=pid),
            {"resourceType": "AllergyIntolerance", "id": f"a{i}", "patient": subject, "code": {"text": f"Pollen {i}"}},
            {"resourceType": "Observation", "id": f"o{i}", "status": "final", "subject": subject,
             "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
             "valueQuantity": {"value": 70, "code": "kg"}, "effectiveDateTime": "2020-01-01"},
            {"resourceType": "Procedure", "id": f"x{i}", "status": "completed", "subject": subject,
             "code": coded(SNOMED, "80146002", "Appendectomy"), "performedDateTime": "1988-07-02"},
        ]
    assert len(found) == count * RESOURCES_PER_PATIENT
    return imports.read_document("bundle.json", bundle(*found))


def queries(clinic, user, found):
    with CaptureQueriesContext(connection) as captured:
        report = imports.run_import(clinic, found, user=user)
    # What was taken before is looked up by exact key (an index), never by a pattern over all keys.
    assert not [q["sql"] for q in captured if "interop_importedresource" in q["sql"] and " LIKE " in q["sql"]]
    return len(captured), report


def test_each_patient_costs_the_same_few_queries_however_many_came_before(clinic, doctor):
    ten, first = queries(clinic, doctor, patients(10, 0))
    fifty, second = queries(clinic, doctor, patients(50, 100))
    assert (first["patients"], second["patients"], second["refused"]) == (10, 50, 0)
    per_patient = (fifty - ten) / 40
    # The fixed part (the run, the code maps, the report) is the same in both imports.
    assert ten - 10 * per_patient == fifty - 50 * per_patient
    assert per_patient <= RESOURCES_PER_PATIENT * 6, per_patient
    again, third = queries(clinic, doctor, patients(50, 100))
    assert third["imported"] == 0 and third["proposed"] == 0
    assert again < fifty
