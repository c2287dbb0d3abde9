"""Chart rows as FHIR R4 resources: plain functions, a model instance in and a dict out.

Every function takes the row and its resource id; rows carry ``last_updated`` (the time of
their latest version, annotated by the query in ``types``). Texts are the chart's own (the
clinician's words); coded values take their standard codes from the knowledge base
(``terms``), and a vocabulary code without one is sent as its English label."""

from html import escape

from django.utils import translation

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


def _tooth(number):
    """A tooth as a body site: its FDI number in words, with the codes the knowledge base verified."""
    return _concept(terms.tooth_codings(number), f"Tooth {number} (FDI)")


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
        sites.insert(0, _tooth(row.tooth))
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
        "bodySite": ([_tooth(row.history_item.tooth)] if row.history_item_id and row.history_item.tooth else [])
        + _sites(row.regions, row.side),
        "usedCode": [_concept(text=f"{drug} {strength}")],
        "reasonReference": [{"reference": f"Condition/c-{row.complaint_id}"}] if row.complaint_id else [],
        "note": _notes(dose, row.lot and f"Lot {row.lot}", row.technique_notes),
    })


def _english(label):
    """A model choice's label in English, whatever the request's language (FHIR displays are English)."""
    with translation.override("en"):
        return str(label)


def questionnaire_response(row, resource_id):
    """An outcome questionnaire's answers, as stored (in the language the patient read them),
    with who answered and for whom."""
    stored = row.resource
    author = _user_ref(row.entered_by) if row.entered_by_id else _patient_ref(row)
    return _drop_empty({
        **stored,
        "resourceType": "QuestionnaireResponse",
        "id": resource_id,
        "meta": _meta(row),
        "subject": _patient_ref(row),
        "authored": row.answered_at.isoformat(),
        "author": author,
        "source": _patient_ref(row),
    })


def _user_ref(user):
    return {"display": user.get_full_name() or user.get_username()}


CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
# The case format's consent scopes as FHIR's consent scopes (FHIR's own codes, as statuses are).
_CONSENT_SCOPES = {"injection_therapy": "treatment", "research_use": "research"}


def consent(row, resource_id):
    """A patient's consent or refusal, from its date until a withdrawal, saying no more than the
    chart records. FHIR R4 reads a Consent's root provision as its base rule (permit or deny)
    for the actions its scope names: a consent given permits exactly the uses it records as
    covered; one that records none (rows from before coverage was recorded) permits nothing
    here, its scope says it is not recorded and its provision has no type. A refusal denies:
    nothing is permitted under it, whatever it was recorded to cover."""
    if row.in_error:
        status = "entered-in-error"
    else:
        status = "inactive" if row.withdrawn_on else "active"
    scopes = [code for code in row.scopes or [] if code in _CONSENT_SCOPES]
    refused = row.decision == row.Decision.REFUSED
    scope = "treatment" if "injection_therapy" in scopes else _CONSENT_SCOPES[scopes[0]] if scopes else None
    if scope:
        scope_concept = _concept([{"system": CONSENT_SCOPE, "code": scope}], "Consent to treatment"
                                 if scope == "treatment" else "Consent to research use")
    else:
        scope_concept = _concept(text="Not recorded: what this consent covers")
    period = {"start": row.date.isoformat(), **({"end": row.withdrawn_on.isoformat()} if row.withdrawn_on else {})}
    return _drop_empty({
        "resourceType": "Consent",
        "id": resource_id,
        "meta": _meta(row),
        "text": _narrative(row.scope, None if scopes else "What this consent covers is not recorded as codes: "
                                                           "it permits nothing here."),
        "status": status,
        "scope": scope_concept,
        "category": [_concept(text="Informed consent to neural therapy")],
        "patient": _patient_ref(row),
        "dateTime": row.date.isoformat(),
        "organization": [{"display": row.patient.clinic.name}],
        "sourceAttachment": {"title": _english(row.get_method_display())} if row.method else None,
        # FHIR asks for a policy or policy rule (ppc-1): the patient's informed consent as the clinic takes it.
        "policyRule": _concept(text="Informed consent signed by the patient"),
        "provision": _drop_empty({
            "type": "deny" if refused else "permit" if scopes else None,
            "period": period,
            "code": [_concept(text=vocabulary.label("consent_scope", code)) for code in scopes],
        }),
    })


AE_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
AE_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# Our outcomes as FHIR's adverse-event outcomes; our severities FHIR names (the others go as text).
_AE_OUTCOMES = {"recovered": "resolved", "recovering": "recovering", "not_recovered": "ongoing",
                "sequelae": "resolvedWithSequelae", "fatal": "fatal", "unknown": "unknown"}
_AE_SEVERITIES = ("mild", "moderate", "severe")


def _narrative(*lines):
    """A resource's human-readable text (escaped), for what FHIR gives no element of its own."""
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'} if body else None


def adverse_event(row, resource_id):
    """An adverse event in a session, after the injection it followed where the chart names it."""
    session = row.session
    kind = _english(row.get_kind_display())
    severity = _english(row.get_severity_display())
    causality = f"{_english(row.get_causality_display())} (WHO-UMC)"
    suspect = [{"instance": {"reference": f"Procedure/i-{row.injection_id}"},
                "causality": [{"assessment": _concept(text=causality)}]}] if row.injection_id else []
    return _drop_empty({
        "resourceType": "AdverseEvent",
        "id": resource_id,
        "meta": _meta(row),
        "text": _narrative(kind, row.description, row.treatment_given and f"Treatment given: {row.treatment_given}",
                           not row.injection_id and f"Causality: {causality}",
                           row.reported_at and f"Reported to the authority: {row.reported_at.isoformat()}"),
        "actuality": "actual",
        "event": _concept(text=": ".join(part for part in (kind, row.description) if part)),
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "encounter": _encounter_ref(session.pk),
        "date": (row.occurred_at or session.started_at).isoformat(),
        "severity": _concept([{"system": AE_SEVERITY, "code": row.severity}] if row.severity in _AE_SEVERITIES else [],
                             severity),
        "outcome": _concept([{"system": AE_OUTCOME, "code": _AE_OUTCOMES[row.outcome]}],
                            _english(row.get_outcome_display())),
        "suspectEntity": suspect,
    })


def care_plan(row, resource_id):
    """A treatment plan with its sessions so far as activities (each session's Encounter)."""
    sessions = sorted(row.sessions.all(), key=lambda s: (s.started_at, s.pk))
    expected = f"{row.sessions_min}–{row.sessions_max} sessions, reassessment after session {row.reassess_after}"
    return _drop_empty({
        "resourceType": "CarePlan",
        "id": resource_id,
        "meta": _meta(row),
        "status": {"active": "active", "completed": "completed", "stopped": "revoked"}[row.status],
        "intent": "plan",
        "title": "Neural therapy treatment plan",
        "description": row.goals,
        "subject": _patient_ref(row),
        "period": {"start": row.created_at.isoformat()},
        "created": row.created_at.isoformat(),
        "author": _user_ref(row.created_by) if row.created_by_id else None,
        "addresses": [{"reference": f"Condition/c-{row.complaint_id}"}],
        "activity": [{"outcomeReference": [_encounter_ref(session.pk)],
                      "detail": {"status": "completed" if session.signed else "in-progress",
                                 "description": f"Session {number} of {row.sessions_min}–{row.sessions_max}",
                                 "scheduledPeriod": {"start": session.started_at.isoformat()}}}
                     for number, session in enumerate(sessions, 1)],
        "note": _notes(f"Approach: {row.approach}", f"Expected: {expected}", f"Review rule: {row.review_rule}"),
    })
