"""Chart rows as FHIR R4 resources: plain functions, a model instance in and a dict out.

Every function takes the row and its resource id; rows carry ``last_updated`` (the time of
their latest version, annotated by the query in ``types``). Texts are the chart's own (the
clinician's words); coded values take their standard codes from the knowledge base
(``terms``), and a vocabulary code without one is sent as its English label."""

from segmenta.knowledge import vocabulary

from . import terms


def _meta(row):
    return {"lastUpdated": row.last_updated.isoformat()}


def _patient_ref(row):
    return {"reference": f"Patient/{row.patient_id}"}


def _concept(codings=(), text=""):
    concept = {}
    if codings:
        concept["coding"] = list(codings)
    if text:
        concept["text"] = text
    return concept


def _status(system, code):
    return {"coding": [{"system": system, "code": code}]}


def _notes(*texts):
    return [{"text": text} for text in texts if text]


def _drop_empty(resource):
    return {key: value for key, value in resource.items() if value not in ("", None, [], {})}


def patient(row, resource_id):
    """A patient; the clinic's record number is its identifier (no system: it is the clinic's own)."""
    telecom = [{"system": "phone", "value": row.phone}] if row.phone else []
    telecom += [{"system": "email", "value": row.email}] if row.email else []
    return _drop_empty({
        "resourceType": "Patient",
        "id": resource_id,
        "meta": _meta(row),
        "identifier": [{"use": "usual", "value": row.record_number, "assigner": {"display": row.clinic.name}}]
        if row.record_number else [],
        "name": [{"use": "official", "family": row.family_name, "given": [row.given_name]}],
        "telecom": telecom,
        # The vocabulary's sex codes are FHIR's administrative genders (test_fhir_codes checks it).
        "gender": row.sex,
        "birthDate": row.birth_date.isoformat(),
        "communication": [{"language": _concept([{"system": terms.BCP47, "code": row.language}]),
                           "preferred": True}],
        "managingOrganization": {"display": row.clinic.name},
    })


def _condition(row, resource_id, code, clinical, category, onset="", notes=()):
    verification = "entered-in-error" if row.in_error else "confirmed"
    return _drop_empty({
        "resourceType": "Condition",
        "id": resource_id,
        "meta": _meta(row),
        # A condition entered in error has no clinical status (FHIR invariant con-5).
        "clinicalStatus": None if row.in_error else _status(terms.CONDITION_CLINICAL, clinical),
        "verificationStatus": _status(terms.CONDITION_VERIFICATION, verification),
        "category": [_status(terms.CONDITION_CATEGORY, category)],
        "code": code,
        "subject": _patient_ref(row),
        "onsetDateTime": onset,
        "recordedDate": row.recorded_at.isoformat(),
        "note": _notes(*notes),
    })


def complaint_condition(row, resource_id):
    """A presenting complaint: the patient's problem in the clinician's words."""
    return _condition(row, resource_id, _concept(text=row.description), row.status, "problem-list-item",
                      onset=row.onset, notes=[row.notes, row.error_reason])


def chart_condition(row, resource_id):
    """A recorded condition: SNOMED CT and ICD-10 where the knowledge base has them."""
    if row.code:
        entry = terms.vocabulary_entry("condition", row.code)
        label = vocabulary.label("condition", row.code)
        code = _concept(terms.codings(entry), ": ".join(part for part in (label, row.text) if part))
    else:
        code = _concept(text=row.text)
    return _condition(row, resource_id, code, "active" if row.active else "inactive", "problem-list-item",
                      notes=[row.error_reason])


def allergy(row, resource_id):
    return _drop_empty({
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "meta": _meta(row),
        "clinicalStatus": None if row.in_error else _status(terms.ALLERGY_CLINICAL,
                                                            "active" if row.active else "inactive"),
        "verificationStatus": _status(terms.ALLERGY_VERIFICATION,
                                      "entered-in-error" if row.in_error else "confirmed"),
        "code": _concept(text=row.substance),
        "patient": _patient_ref(row),
        "recordedDate": row.recorded_at.isoformat(),
        "reaction": [{"manifestation": [_concept(text=row.reaction)]}] if row.reaction else [],
        "note": _notes(vocabulary.label("allergy_class", row.allergy_class), row.error_reason),
    })


def medication(row, resource_id):
    status = "entered-in-error" if row.in_error else ("active" if row.active else "stopped")
    return _drop_empty({
        "resourceType": "MedicationStatement",
        "id": resource_id,
        "meta": _meta(row),
        "status": status,
        "medicationCodeableConcept": _concept(text=row.name),
        "subject": _patient_ref(row),
        "dateAsserted": row.recorded_at.isoformat(),
        "dosage": [{"text": row.dose}] if row.dose else [],
        "note": _notes(vocabulary.label("medication_class", row.medication_class), row.error_reason),
    })


def _measurement(row, resource_id, name, value):
    entry = terms.measurement(name)
    return _drop_empty({
        "resourceType": "Observation",
        "id": resource_id,
        "meta": _meta(row),
        "status": "entered-in-error" if row.in_error else "final",
        "category": [{"coding": [{"system": terms.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": _concept([{"system": terms.LOINC, "code": entry["loinc"], "display": entry["name"]}], entry["name"]),
        "subject": _patient_ref(row),
        "effectiveDateTime": row.date.isoformat(),
        "valueQuantity": {"value": float(value), "unit": entry["unit"], "system": terms.UCUM, "code": entry["unit"]},
        "note": _notes(row.error_reason),
    })


def body_weight(row, resource_id):
    return _measurement(row, resource_id, "body_weight", row.weight_kg)


def body_height(row, resource_id):
    return _measurement(row, resource_id, "body_height", row.height_cm)
