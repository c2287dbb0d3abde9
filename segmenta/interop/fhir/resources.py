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


def _encounter_ref(session_id):
    return {"reference": f"Encounter/e-{session_id}"}


def _plain(number):
    """A decimal as written by hand: 0.50 → "0.5", 30.00 → "30"."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _labels(kind, codes):
    return ", ".join(vocabulary.label(kind, code) for code in codes)


def _sites(regions, side=""):
    """Body sites as text: named regions and body-map segments with their side."""
    sites = []
    for region in regions:
        if "choir" in region:  # a body-map segment's name says its side
            sites.append(_concept(text=terms.body_map_segment(region["choir"])))
            continue
        name = vocabulary.label("region", region["region"])
        if region.get("side"):
            name = f"{name} ({vocabulary.label('side', region['side']).lower()})"
        sites.append(_concept(text=name))
    if side and not regions:
        sites.append(_concept(text=vocabulary.label("side", side)))
    return sites


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


def _condition(row, resource_id, code, clinical, category, onset="", notes=(), sites=()):
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
        "bodySite": list(sites),
        "subject": _patient_ref(row),
        "onsetDateTime": onset,
        "recordedDate": row.recorded_at.isoformat(),
        "note": _notes(*notes),
    })


def complaint_condition(row, resource_id):
    """A presenting complaint: the patient's problem in the clinician's words."""
    return _condition(row, resource_id, _concept(text=row.description), row.status, "problem-list-item",
                      onset=row.onset, notes=[row.notes, row.error_reason], sites=_sites(row.regions))


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


def _observation(row, resource_id, status, category, entry, **rest):
    """An Observation coded with a knowledge-base entry's LOINC code (``rest``: subject, value …)."""
    return _drop_empty({
        "resourceType": "Observation",
        "id": resource_id,
        "meta": _meta(row),
        "status": status,
        "category": [{"coding": [{"system": terms.OBSERVATION_CATEGORY, "code": category}]}],
        "code": _concept([{"system": terms.LOINC, "code": entry["loinc"], "display": entry["name"]}], entry["name"]),
        **rest,
    })


def _measurement(row, resource_id, name, value):
    entry = terms.measurement(name)
    return _observation(
        row, resource_id, "entered-in-error" if row.in_error else "final", "vital-signs", entry,
        subject=_patient_ref(row), effectiveDateTime=row.date.isoformat(),
        valueQuantity={"value": float(value), "unit": entry["unit"], "system": terms.UCUM, "code": entry["unit"]},
        note=_notes(row.error_reason))


def body_weight(row, resource_id):
    return _measurement(row, resource_id, "body_weight", row.weight_kg)


def body_height(row, resource_id):
    return _measurement(row, resource_id, "body_height", row.height_cm)


def nrs(row, resource_id, value, moment):
    """A pain score of a session's complaint, before or after its injections (NRS-11)."""
    session = row.session
    return _observation(
        row, resource_id, "final" if session.signed else "preliminary", "survey", terms.instrument("nrs-11"),
        subject={"reference": f"Patient/{session.patient_id}"}, encounter=_encounter_ref(session.pk),
        focus=[{"reference": f"Condition/c-{row.complaint_id}"}], effectiveDateTime=session.started_at.isoformat(),
        valueInteger=value, note=_notes(moment))


def nrs_before(row, resource_id):
    return nrs(row, resource_id, row.pre_nrs, "before the session's injections")


def nrs_after(row, resource_id):
    return nrs(row, resource_id, row.post_nrs, "after the session's injections")


def encounter(row, resource_id):
    """A session: finished once signed, in progress while a draft."""
    practitioner = row.practitioner
    return _drop_empty({
        "resourceType": "Encounter",
        "id": resource_id,
        "meta": _meta(row),
        "status": "finished" if row.signed else "in-progress",
        "class": {"system": terms.ACT_CODE, "code": "AMB"},
        "subject": _patient_ref(row),
        "participant": [{"individual": {"display": practitioner.get_full_name() or practitioner.get_username()}}]
        if practitioner else [],
        "period": {"start": row.started_at.isoformat()},
        "serviceProvider": {"display": row.patient.clinic.name},
    })


def history_procedure(row, resource_id):
    """A history item (operation, extraction, fracture, scar …) as a past procedure or event."""
    sites = _sites(row.regions)
    if row.tooth:
        sites.insert(0, _concept(text=f"Tooth {row.tooth} (FDI)"))
    return _drop_empty({
        "resourceType": "Procedure",
        "id": resource_id,
        "meta": _meta(row),
        "status": "entered-in-error" if row.in_error else "completed",
        "category": _concept(text=vocabulary.label("history_kind", row.kind)),
        "code": _concept(text=row.description),
        "subject": _patient_ref(row),
        "performedDateTime": row.date,
        "bodySite": sites,
        "note": _notes(_labels("organ", row.organs), _labels("sign", row.signs), row.notes, row.error_reason),
    })


def injection_procedure(row, resource_id):
    """An injection given: where (target, site, side), which drug and how much."""
    session = row.session
    drug = vocabulary.label("drug", row.drug)
    strength = f"{_plain(row.concentration_percent)} %"
    dose = f"{_plain(row.volume_ml)} mL {drug.lower()} {strength} ({_plain(row.mg)} mg)"
    return _drop_empty({
        "resourceType": "Procedure",
        "id": resource_id,
        "meta": _meta(row),
        "status": "completed" if session.signed else "in-progress",
        "category": _concept(text="Neural therapy injection"),
        "code": _concept(text=vocabulary.label("injection_target", row.target)),
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "encounter": _encounter_ref(session.pk),
        "performedDateTime": row.time.isoformat(),
        "bodySite": _sites(row.regions, row.side),
        "usedCode": [_concept(text=f"{drug} {strength}")],
        "reasonReference": [{"reference": f"Condition/c-{row.complaint_id}"}] if row.complaint_id else [],
        "note": _notes(dose, row.lot and f"Lot {row.lot}", row.technique_notes),
    })
