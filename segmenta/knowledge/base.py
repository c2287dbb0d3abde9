"""The knowledge base: sourced, versioned clinical data, loaded from ``data/``.

Pure Python (no Django). Every file is checked against its kind's JSON Schema, then
cross-checked: sources exist, codes belong to the case format's vocabularies, segments
exist, nothing the engines rely on is missing. A clinic's overrides are applied on top
and checked the same way.

The version is the VERSION file plus a hash of the content, so any edit of the data
gives a new version; engines store it with every result that used the base.
"""

import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from . import translations, vocabulary

DATA_DIR = Path(__file__).resolve().parent / "data"

EVIDENCE = ["anatomy", "drug_label", "law", "guideline", "review", "clinical_study", "case_series", "textbook",
            "expert_opinion", "secondary_source", "approximate", "disputed", "no_source"]
EVIDENCE_LABELS = {
    "anatomy": "Anatomy",
    "drug_label": "Drug label",
    "law": "Law",
    "guideline": "Guideline",
    "review": "Review",
    "clinical_study": "Clinical study",
    "case_series": "Case reports or series only",
    "textbook": "Textbook",
    "expert_opinion": "Expert opinion",
    "secondary_source": "Secondary source",
    "approximate": "Approximate",
    "disputed": "Disputed",
    "no_source": "No source found",
}
SEGMENTS = vocabulary.codes("segment")
TRIGEMINAL = ["V1", "V2", "V3"]


class KnowledgeError(ValueError):
    """The data does not validate; ``problems`` lists every finding."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))
        self.problems = problems


def _enum(values):
    return {"enum": list(values)}


def _list(item):
    return {"type": "array", "items": item}


TEXT = {"type": "string", "minLength": 1}
ID = {"type": "string", "pattern": r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"}
SEGMENT = _enum(SEGMENTS)
# Other names an entry goes by, per language (Latin for anatomical terms), and other words a
# clinician looks it up by (search_terms): what the Learn search finds it by. Shipped in
# synonyms.yaml (merged into the entries on loading); a clinic may add its own through an
# override like any other field.
SYNONYM_LANGUAGES = ["en", "de", "es", "la"]
SYNONYMS = {"type": "object", "propertyNames": _enum(SYNONYM_LANGUAGES),
            "additionalProperties": {**_list(TEXT), "minItems": 1, "uniqueItems": True}}
COMMON = {
    "id": ID,
    "name": TEXT,
    "sources": _list({"type": "string"}),
    "evidence": _enum(EVIDENCE),
    "note": TEXT,
    "synonyms": SYNONYMS,
    "search_terms": SYNONYMS,
    # The entry's texts in German and Spanish (segmenta.knowledge.translations); what each
    # block may hold, and that none is missing, is checked there, field by field.
    "i18n": {"type": "object", "propertyNames": _enum(translations.LANGUAGES),
             "additionalProperties": {"type": ["object", "null"]}},
}


def _schema(required=(), **properties):
    return {
        "type": "object",
        "required": ["id", "name", "sources", "evidence", *required],
        "properties": {**COMMON, **properties},
    }


PROFESSIONS = _list(_enum(vocabulary.codes("profession")))
TARGETS = _list(_enum(vocabulary.codes("injection_target")))
CONDITIONS = _list(_enum(vocabulary.codes("condition")))
MED_CLASSES = _list(_enum(vocabulary.codes("medication_class")))
# "any", a country ("DE") or a country's subdivision ("US-OR"), as in the case format.
JURISDICTION = {"type": "string", "pattern": r"^(any|[A-Z]{2}(-[A-Z0-9]{1,3})?)$"}
RED_FLAG_AREAS = ["spine", "headache", "abdomen", "pelvis", "chest", "any"]
# The kinds of visit an instrument's ``asked_at`` names; the reminders link the questionnaire
# of the one instrument asked at each (segmenta/scheduling/day.py).
VISIT_KINDS = ["reassessment", "visit", "follow_up"]

VERDICT = _enum(["warn", "block"])
COUNT = {"type": "integer", "minimum": 1}
MONEY = {"type": "number", "minimum": 0}
FEE_SCHEDULES = ["goae", "gebueh", "tarif590"]
# A pointer at one knowledge-base entry (a course's reading, what backs a quiz answer).
KB_REFERENCE = {"type": "object", "required": ["kind", "id"], "additionalProperties": False,
                "properties": {"kind": {"type": "string"}, "id": {"type": "string"}}}


def _rule(**parameters):
    """A safety rule's own parameters, every one required: the engine reads them all, and a
    clinic override must not drop or mistype one (or turn a verdict into "ok")."""
    return {"type": "object", "required": list(parameters), "properties": parameters}


# The parameters of each safety rule the engine reads (safety_rules.yaml).
SAFETY_RULES = {
    "pregnancy_status": _rule(valid_days=COUNT, hard_stop_unknown=VERDICT, ages={
        "type": "object", "required": ["min", "max"],
        "properties": {"min": {"type": "integer", "minimum": 0}, "max": {"type": "integer", "minimum": 0}}}),
    "age": _rule(child_below_years=COUNT, older_from_years=COUNT, child_blocked_depths=_list(TEXT),
                 child_blocked_targets=TARGETS, child_weight_unknown=VERDICT, age_unknown=VERDICT),
    "weight": _rule(unknown=VERDICT),
    "allergies": _rule(unclassified=VERDICT),
    "list_review": _rule(verdict=VERDICT),
    "unclassified_medication": _rule(verdict=VERDICT, classes=MED_CLASSES),
    "bleeding": _rule(
        policy={"type": "object", "required": ["anticoagulant", "p2y12", "aspirin", "nsaid"],
                "additionalProperties": {"type": "object", "required": ["low", "intermediate", "high"],
                                         "additionalProperties": VERDICT}},
        coagulopathy={"type": "object", "required": ["low", "intermediate", "high"], "additionalProperties": VERDICT},
        unidentified={"type": "object", "additionalProperties": {
            "type": "object", "required": ["policy", "code"],
            "properties": {"policy": _enum(["anticoagulant", "p2y12", "aspirin", "nsaid"]),
                           "code": _enum(["anticoagulant", "antiplatelet", "nsaid"])}}}),
    "rolling_total": _rule(window_hours=COUNT),
    "bilateral_stellate": _rule(window_hours=COUNT, verdict=VERDICT, targets=TARGETS, side_unknown=VERDICT),
    "consent": _rule(required_scope=_enum(vocabulary.codes("consent_scope")), verdicts={
        "type": "object", "required": ["none", "withdrawn", "refused"], "additionalProperties": VERDICT}),
    "preserved_products": _rule(verdict=VERDICT),
    "product_expiry": _rule(verdict=VERDICT, unknown=VERDICT),
    "unknown_profession": _rule(deep_verdict=VERDICT, other_verdict=VERDICT),
}

# kind: (file, schema, file is a JSON document with a list under "segments")
KINDS = {
    "source": ("sources.yaml", {
        "type": "object", "required": ["id", "name", "type"],
        "properties": {"id": ID, "name": TEXT, "note": TEXT, "url": {"type": "string", "pattern": "^https?://"},
                       "type": _enum(["anatomy", "drug_label", "guideline", "review", "study", "textbook",
                                      "expert", "web", "promotional", "law"])},
        "additionalProperties": False}),
    "segment": ("segments.yaml", _schema(["key_point"], id=SEGMENT, key_point=TEXT)),
    "organ": ("organs.yaml", _schema(["default", "maps"], id=_enum(vocabulary.codes("organ")), default=ID, maps=_list({
        "type": "object", "required": ["id", "sympathetic", "parasympathetic", "head_zone", "sources", "evidence"],
        "properties": {"id": ID, "sympathetic": _list(SEGMENT), "parasympathetic": _list(_enum([*SEGMENTS, "vagus"])),
                       "head_zone": _list(SEGMENT), "sources": _list({"type": "string"}),
                       "referred_regions": _list({"type": "object", "required": ["region"], "properties": {
                           "region": _enum(vocabulary.codes("region")), "side": _enum(vocabulary.codes("side"))}}),
                       "evidence": _enum(EVIDENCE)}}))),
    "region": ("regions.yaml", _schema(["dermatomes", "trigeminal"], id=_enum(vocabulary.codes("region")),
                                       dermatomes=_list(SEGMENT), trigeminal=_list(_enum(TRIGEMINAL)))),
    "choir-segment": ("choir_segments.json", _schema(
        ["view", "side", "regions", "dermatomes", "trigeminal"], id={"type": "integer"},
        view=_enum(["front", "back"]), side=_enum(["left", "right"]),
        regions=_list(_enum(vocabulary.codes("region"))), dermatomes=_list(SEGMENT),
        trigeminal=_list(_enum(TRIGEMINAL)))),
    "ganglion": ("ganglia.yaml", _schema(
        ["target", "location", "segments", "indications", "complications", "contraindications", "may_inject"],
        target=_enum(vocabulary.codes("injection_target")), location=TEXT, segments=_list(SEGMENT),
        indications=_list(TEXT), complications=_list(TEXT), may_inject=PROFESSIONS,
        complications_with_frequency=_list(TEXT), related_warnings=_list(TEXT),
        indication_evidence=_list({"type": "object", "required": ["indication", "evidence", "sources"],
                                   "properties": {"indication": TEXT, "evidence": _enum(EVIDENCE),
                                                  "sources": _list({"type": "string"}), "studies": _list(ID),
                                                  "best_evidence": TEXT, "note": TEXT},
                                   "additionalProperties": False}),
        volume_ml={"type": ["object", "null"], "required": ["min", "max"], "additionalProperties": False,
                   "properties": {"min": {"type": "number", "exclusiveMinimum": 0},
                                  "max": {"type": "number", "exclusiveMinimum": 0}, "note": TEXT}},
        contraindications={"type": "object", "properties": {"conditions": CONDITIONS,
                                                            "medication_classes": MED_CLASSES,
                                                            "pregnancy": {"type": "boolean"}}},
        cautions={"type": "object", "properties": {"conditions": CONDITIONS, "medication_classes": MED_CLASSES}},
        success_sign={"type": ["string", "null"]},
        serves={"type": "object", "required": ["regions", "organs", "sexes"],
                "properties": {"regions": _list(_enum(vocabulary.codes("region"))),
                               "organs": _list(_enum(vocabulary.codes("organ"))),
                               "sexes": _list(_enum(vocabulary.codes("sex")))}})),
    "technique": ("techniques.yaml", _schema(
        ["depth", "approach", "limits", "aspirate", "deep", "asra_class"],
        id=_enum(vocabulary.codes("injection_target")),
        depth=_enum(["intracutaneous", "subcutaneous", "intramuscular", "periosteal", "submucosal", "deep",
                     "perineural", "ganglion", "plexus"]),
        approach=_enum(["local", "segmental", "regional", "ganglionic", "interference_field"]),
        limits={"type": "object", "propertyNames": _enum(vocabulary.codes("drug")),
                "required": vocabulary.codes("drug"),
                "additionalProperties": {"type": "object", "required": ["max_mg"], "additionalProperties": False,
                                         "properties": {"max_mg": {"type": "number", "exclusiveMinimum": 0},
                                                        "max_ml": {"type": "number", "exclusiveMinimum": 0},
                                                        "note": TEXT}}},
        typical_ml={"type": "object", "required": ["min", "max"],
                    "properties": {"min": {"type": "number", "exclusiveMinimum": 0},
                                   "max": {"type": "number", "exclusiveMinimum": 0}}},
        aspirate={"type": "boolean"}, deep={"type": "boolean"}, preservative_free={"type": "boolean"}, ganglion=ID,
        asra_class=_enum(["low", "intermediate", "high"]),
        # An interference-field technique's fields: the history kinds it is the injection for
        # (a tonsil injection treats no scar). Kinds no technique names are left open.
        field_kinds={**_list(_enum(vocabulary.codes("history_kind"))), "minItems": 1})),
    "field-category": ("field_categories.yaml", _schema(
        ["kinds", "local_signs", "prior"], kinds=_list(_enum(vocabulary.codes("history_kind"))),
        local_signs=_list(_enum(vocabulary.codes("sign"))), prior=_enum(["high", "normal"]))),
    "drug": ("drugs.yaml", _schema(
        ["class", "limits", "contraindications", "cautions"], id=_enum(vocabulary.codes("drug")),
        limits={"type": "object", "required": ["session_max_mg", "per_kg_mg", "max_concentration_percent"],
                "properties": {
                    "session_max_mg": {"type": "number", "exclusiveMinimum": 0},
                    "per_kg_mg": {"type": "number", "exclusiveMinimum": 0},
                    "max_concentration_percent": {"type": "number", "exclusiveMinimum": 0},
                    "head_neck_genital": {"type": "object", "required": ["max_mg", "window_minutes", "regions"],
                                          "properties": {"max_mg": {"type": "number", "exclusiveMinimum": 0},
                                                         "window_minutes": {"type": "integer", "minimum": 1},
                                                         "regions": _list(_enum(vocabulary.codes("region"))),
                                                         "targets": TARGETS}},
                    "reduce_for_conditions": {"type": "object", "required": ["conditions", "factor"],
                                              "properties": {"conditions": CONDITIONS,
                                                             "factor": {"type": "number", "exclusiveMinimum": 0,
                                                                        "maximum": 1}}},
                    "warn_for_conditions": CONDITIONS}},
        contraindications={"type": "object", "required": ["allergy_classes", "conditions"],
                           "properties": {"allergy_classes": _list(_enum(vocabulary.codes("allergy_class"))),
                                          "conditions": CONDITIONS}},
        cautions={"type": "object", "properties": {"conditions": CONDITIONS, "medication_classes": MED_CLASSES}},
        interactions=_list({"type": "object", "required": ["medication_class", "effect"],
                            "properties": {"medication_class": _enum(vocabulary.codes("medication_class"))}}))),
    "protocol": ("protocols.yaml", _schema()),
    "red-flag": ("red_flags.yaml", _schema(
        ["area", "action"], id=_enum([*vocabulary.codes("finding"), "new_pain_over_50"]),
        area=_enum(RED_FLAG_AREAS), action=TEXT, also_areas=_list(_enum(RED_FLAG_AREAS)),
        min_age_years={"type": "integer", "minimum": 1})),
    "red-flag-area": ("red_flag_areas.yaml", _schema(
        ["regions", "organs"], id=_enum(RED_FLAG_AREAS), regions=_list(_enum(vocabulary.codes("region"))),
        organs=_list(_enum(vocabulary.codes("organ"))), always={"type": "boolean"})),
    "instrument-threshold": ("instruments.yaml", _schema(better=_enum(["lower", "higher"]), alerts=_list({
        "type": "object", "required": ["code", "item", "above", "message", "sources", "evidence"],
        "properties": {"code": ID, "item": TEXT, "above": {"type": "number"}, "message": TEXT, "note": TEXT,
                       "sources": _list({"type": "string"}), "evidence": _enum(EVIDENCE)},
        "additionalProperties": False}), asked_at={
        "type": "object", "required": ["visits", "sources", "evidence"],
        "properties": {"visits": _list(_enum(VISIT_KINDS)), "sources": _list({"type": "string"}),
                       "evidence": _enum(EVIDENCE)},
        "additionalProperties": False})),
    "study": ("studies.yaml", _schema(["design", "size", "outcomes", "result"], design=TEXT,
                                      size={"type": ["string", "null"]}, outcomes=TEXT,
                                      result={"type": ["string", "null"]})),
    "scope-rule": ("scope_rules.yaml", _schema(
        ["jurisdictions", "professions"], jurisdictions=_list(JURISDICTION), except_jurisdictions=_list(JURISDICTION),
        when_jurisdiction_unknown=_enum(["apply", "skip"]), professions=PROFESSIONS, allowed_targets=TARGETS,
        targets=TARGETS, max_concentration_percent={"type": "number", "exclusiveMinimum": 0},
        status=_enum(["unknown", "denied"]), treat_as=_enum(vocabulary.codes("profession")),
        exceptions=_list({"type": "object", "required": ["profession", "targets"],
                          "properties": {"profession": _enum(vocabulary.codes("profession")), "targets": TARGETS}}),
        enforcement=_enum(["block", "warn"]), deep_enforcement=_enum(["block", "warn"]))),
    "safety-rule": ("safety_rules.yaml", _schema(["rule"], rule=TEXT)),
    "bleeding-agent": ("bleeding_agents.yaml", _schema(
        ["policy", "code", "names", "hold_hours"], policy=_enum(["anticoagulant", "p2y12", "aspirin", "nsaid"]),
        code=_enum(["anticoagulant", "antiplatelet", "nsaid"]), names=_list(TEXT),
        hold_hours={"type": "number", "minimum": 0},
        hold_hours_for_conditions={"type": "object", "propertyNames": _enum(vocabulary.codes("condition")),
                                   "additionalProperties": {"type": "number", "minimum": 0}},
        requires_finding=_enum(vocabulary.codes("finding")), verified={"type": "boolean"})),
    "test-method": ("test_methods.yaml", _schema(["description"], description=TEXT)),
    "tracing-weight": ("tracing_weights.yaml", _schema(["description"], description=TEXT)),
    "crisis-contact": ("crisis_contacts.yaml", _schema(
        ["contacts", "emergency"], id={"type": "string", "pattern": "^([A-Z]{2}|other)$"},
        contacts=_list({"type": "object", "required": ["name", "phone"],
                        "properties": {"name": TEXT, "phone": {"type": "string", "pattern": r"^[0-9+][0-9 ]*$"}},
                        "additionalProperties": False}),
        emergency={"type": "string", "pattern": "^[0-9]+$"})),
    # How long charts are kept per jurisdiction (segmenta.knowledge.retention reads it).
    # Standard codes (SNOMED CT, ICD-10, LOINC with UCUM units) of vocabulary entries and
    # measurements, for the FHIR API: one entry per code, with its source.
    "code": ("codes.yaml", {**_schema(
        vocabulary=_enum(["condition", "tooth"]), code=TEXT, measurement=_enum(["body_weight", "body_height"]),
        snomed={"type": "string", "pattern": r"^[0-9]{6,18}$"},
        # A tooth's code in FHIR's FDI tooth code system; SNOMED CT codes the sources disagree on (never sent).
        fdi={"type": "string", "pattern": r"^[1-4][1-8]$"},
        snomed_unverified=_list({"type": "string", "pattern": r"^[0-9]{6,18}$"}),
        icd10={"type": "string", "pattern": r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"},
        loinc={"type": "string", "pattern": r"^[0-9]{1,7}-[0-9]$"}, unit=TEXT,
        # The patient summary (International Patient Summary): its document type and sections.
        document=_enum(["patient_summary"]),
        section=_enum(["allergies", "medications", "problems", "procedures", "vital_signs"])),
        "oneOf": [{"required": ["vocabulary", "code"]}, {"required": ["measurement", "loinc", "unit"]},
                  {"required": ["document", "loinc"]}, {"required": ["section", "loinc"]}]}),
    # Another system's codes (SNOMED CT, ICD-10) that name a candidate interference field, and
    # its medications' and allergy substances' codes (RxNorm, ATC) with their class: what the
    # FHIR import proposes and classes by (segmenta/interop/fhir/imports.py). ICD-10 and ATC
    # codes may be a category, which takes the codes below it.
    "field-code": ("field_codes.yaml", _schema(
        ["system", "code", "kind", "verified"], system=_enum(["snomed", "icd10"]),
        code={"type": "string", "pattern": r"^([0-9]{6,18}|[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?)$"},
        kind=_enum(vocabulary.codes("history_kind")), regions=_list(_enum(vocabulary.codes("region"))),
        organs=_list(_enum(vocabulary.codes("organ"))), verified={"type": "boolean"})),
    "substance-code": ("medication_codes.yaml", _schema(
        ["system", "code", "medication_class", "verified"], system=_enum(["rxnorm", "atc"]),
        code={"type": "string", "pattern": r"^([0-9]{1,10}|[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?)$"},
        medication_class=_enum([c for c in vocabulary.codes("medication_class") if c != "unknown"]),
        allergy_class=_enum(vocabulary.codes("allergy_class")), verified={"type": "boolean"})),
    "retention": ("retention_rules.yaml", _schema(
        ["years", "counted_from", "clinic_must_confirm"],
        id={"type": "string", "pattern": "^[A-Z]{2}(-[A-Z0-9]{1,3})?$"},
        years={"type": ["integer", "null"], "minimum": 1, "maximum": 100},
        counted_from=_enum(["last_treatment", "last_entry"]), clinic_must_confirm={"type": "boolean"},
        # How long issued invoices are kept by tax law (segmenta/billing/retention.py); absent or
        # null: not known, and a chart with issued invoices is never purged.
        invoice_years={"type": ["integer", "null"], "minimum": 1, "maximum": 30},
        invoice_counted_from=_enum(["end_of_issue_year"]), invoice_verified={"type": "boolean"})),
    # When the recall list names a patient: follow-up points after a course, a lapsed course
    # (segmenta/scheduling/recall.py reads them).
    "recall-rule": ("recall_rules.yaml", _schema(
        id=_enum(["follow_up", "lapsed"]),
        after_months={"type": "array", "items": COUNT, "minItems": 1, "uniqueItems": True},
        window_days=COUNT, after_days=COUNT)),
    # The membrane-potential lab (segmenta/learning/membrane.py): its textbook neuron, limits and
    # presets; its lessons and the claims it shows as claims, with who states and who questions them.
    "membrane-model": ("membrane.yaml", _schema(
        ["temperature_c", "concentrations_mmol_l", "permeabilities", "resting_mv", "threshold_mv", "peak_p_na",
         "concentration_min_mmol_l", "concentration_max_mmol_l", "permeability_min", "permeability_max", "presets"],
        temperature_c={"type": "object", "required": ["default", "min", "max"], "additionalProperties": False,
                       "properties": {k: {"type": "number"} for k in ("default", "min", "max")}},
        concentrations_mmol_l={"type": "object", "required": ["K", "Na", "Cl"], "additionalProperties": False,
                               "properties": {ion: {"type": "object", "required": ["in", "out"],
                                                    "additionalProperties": False,
                                                    "properties": {"in": {"type": "number", "exclusiveMinimum": 0},
                                                                   "out": {"type": "number", "exclusiveMinimum": 0}}}
                                              for ion in ("K", "Na", "Cl")}},
        permeabilities={"type": "object", "required": ["K", "Na", "Cl"], "additionalProperties": False,
                        "properties": {ion: {"type": "number", "minimum": 0} for ion in ("K", "Na", "Cl")}},
        resting_mv={"type": "object", "required": ["min", "max"], "additionalProperties": False,
                    "properties": {"min": {"type": "number"}, "max": {"type": "number"}}},
        threshold_mv={"type": "number"}, peak_p_na={"type": "number", "exclusiveMinimum": 0},
        concentration_min_mmol_l={"type": "number", "exclusiveMinimum": 0},
        concentration_max_mmol_l={"type": "number", "exclusiveMinimum": 0},
        permeability_min={"type": "number", "exclusiveMinimum": 0},
        permeability_max={"type": "number", "exclusiveMinimum": 0},
        presets={**_list({"type": "object", "required": ["id", "name", "values", "blocked_percent"],
                          "additionalProperties": False,
                          "properties": {"id": ID, "name": TEXT, "note": TEXT,
                                         "values": {"type": "object", "additionalProperties": {"type": "number"}},
                                         "blocked_percent": {"type": "number", "minimum": 0, "maximum": 100}}}),
                 "minItems": 1})),
    "membrane-text": ("membrane_texts.yaml", {**_schema(
        ["role", "text"], role=_enum(["lesson", "claim"]), text=TEXT, assessment=TEXT,
        status=_enum(["disputed", "refuted", "established"]), stated_by=_list({"type": "string"}),
        questioned_by=_list({"type": "string"})),
        "if": {"properties": {"role": {"const": "claim"}}},
        "then": {"required": ["status", "assessment", "stated_by", "questioned_by"],
                 "properties": {"stated_by": {"minItems": 1}, "questioned_by": {"minItems": 1}}}}),
    # Teaching cases for the case simulator (segmenta/learning/simulator.py): the story, the
    # questions a learner may ask and what each reveals, the hidden case, its red flags.
    "vignette": ("vignettes.yaml", _schema(
        ["seen_on", "story", "questions", "case", "expected_red_flags", "commentary"],
        seen_on={"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}, story=TEXT, commentary=TEXT,
        questions={**_list({"type": "object", "required": ["id", "question", "answer", "reveals"],
                            "additionalProperties": False,
                            "properties": {"id": ID, "question": TEXT, "answer": TEXT, "reveals": _list(ID),
                                           "key": {"type": "boolean"}, "screening": {"type": "boolean"}}}),
                   "minItems": 1},
        case={"type": "object"}, expected_red_flags=_list({"type": "string"}),
        discouraged_targets=_list(ID))),
    # Patient leaflets (segmenta/learning/leaflets.py): sections of plain text, each with the
    # sources of what it states and its evidence; `call` sections print the clinic's phone or
    # the emergency number of its jurisdiction beside them.
    "leaflet": ("leaflets.yaml", _schema(
        ["summary", "reviewed", "sections"], summary=TEXT,
        reviewed={"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        sections={**_list({"type": "object", "required": ["heading", "sources", "evidence"],
                           "anyOf": [{"required": ["paragraphs"]}, {"required": ["bullets"]}],
                           "properties": {"heading": TEXT, "paragraphs": {**_list(TEXT), "minItems": 1},
                                          "bullets": {**_list(TEXT), "minItems": 1},
                                          "call": _enum(["practice", "emergency"]),
                                          "sources": _list({"type": "string"}), "evidence": _enum(EVIDENCE)},
                           "additionalProperties": False}), "minItems": 1})),
    # Fee schedules per jurisdiction and profession and their codes (segmenta/billing/engine.py).
    "fee-schedule": ("fee_schedules.yaml", _schema(
        ["jurisdictions", "professions", "currency", "pricing", "rounding", "expenses", "vat_exemption_code",
         "vat_exemption_note", "vat_exemption_verified", "verified"],
        id=_enum(FEE_SCHEDULES), jurisdictions=_list(JURISDICTION), professions=PROFESSIONS,
        currency=_enum(["EUR", "CHF"]), pricing=_enum(["points", "amount", "time"]),
        point_value={"type": "number", "exclusiveMinimum": 0},
        factor={"type": "object", "required": ["min", "threshold", "max", "default"],
                "properties": {key: MONEY for key in ("min", "threshold", "max", "default")} | {"note": TEXT}},
        time_unit_minutes=COUNT, rate_per_unit={"anyOf": [MONEY, {"type": "null"}]},
        rounding=_enum(["half_up"]), expenses=ID, verified={"type": "boolean"},
        vat_exemption_code={"anyOf": [{"type": "string", "pattern": "^VATEX-[A-Z0-9-]+$"}, {"type": "null"}]},
        # The invoice's words for why no VAT is charged (§14 (4) No. 8 UStG), where the clinic has none.
        vat_exemption_note=TEXT, vat_exemption_verified={"type": "boolean"})),
    "fee-code": ("fee_codes.yaml", _schema(
        ["schedule", "code", "wording", "targets", "quantity", "kind", "verified", "number_status"],
        schedule=_enum(FEE_SCHEDULES), code=TEXT, wording={"anyOf": [TEXT, {"type": "null"}]},
        points={"type": "integer", "minimum": 1},
        amount={"type": "object", "required": ["min", "max", "default"], "additionalProperties": False,
                "properties": {key: {"anyOf": [MONEY, {"type": "null"}]} for key in ("min", "max", "default")}},
        targets=TARGETS, quantity=_enum(["per_session", "per_area", "per_unit", "per_product"]),
        several_areas_code=TEXT, kind=_enum(["service", "expense"]), verified={"type": "boolean"},
        # Whether the number is the schedule's own; an unverified or placeholder one is never issued.
        number_status=_enum(["verified", "unverified", "placeholder", "no_number"]),
        not_with=_list({"type": "object", "required": ["code", "scope"], "additionalProperties": False,
                        "properties": {"code": TEXT, "scope": _enum(["session", "same_area"])}}))),
    # Continuing education (segmenta/learning/cme.py): who awards a training, and the CME duties.
    "awarding-body": ("awarding_bodies.yaml", _schema(
        ["jurisdictions", "verified"], jurisdictions=_list(JURISDICTION), verified={"type": "boolean"})),
    "cme-requirement": ("cme_requirements.yaml", _schema(
        ["jurisdictions", "professions", "credits", "period_years", "verified"],
        jurisdictions=_list(JURISDICTION), professions=PROFESSIONS, credits=COUNT,
        period_years={"type": "integer", "minimum": 1, "maximum": 10}, verified={"type": "boolean"},
        # A condition of the duty that the credits alone do not show (e.g. a minimum share of
        # medical points): the Training page then says "met as far as counted" and names it.
        not_counted=TEXT)),
    # Learn → Courses (segmenta/learning/courses.py): modules with objectives, readings that
    # point at knowledge-base entries (rendered live, never copied), and a quiz whose questions
    # each name the entry that backs them.
    "course-module": ("courses.yaml", _schema(
        ["order", "pass_percent", "objectives", "readings", "questions"],
        order=COUNT, pass_percent={"type": "integer", "minimum": 1, "maximum": 100},
        objectives={**_list(TEXT), "minItems": 1},
        readings={**_list(KB_REFERENCE), "minItems": 1},
        questions={**_list({
            "type": "object", "required": ["id", "choice", "text", "options", "correct", "explanation", "backed_by"],
            "additionalProperties": False,
            "properties": {"id": ID, "choice": _enum(["single", "multiple"]), "text": TEXT,
                           "options": {**_list({"type": "object", "required": ["id", "text"],
                                                "additionalProperties": False,
                                                "properties": {"id": ID, "text": TEXT}}), "minItems": 2},
                           "correct": {**_list(ID), "minItems": 1, "uniqueItems": True},
                           "explanation": TEXT, "backed_by": KB_REFERENCE}}), "minItems": 5, "maxItems": 8})),
}


@dataclass
class KnowledgeBase:
    version: str
    entries: dict  # kind -> {id: entry}
    overrides: list = field(default_factory=list)  # [(kind, id, reason)] applied by a clinic
    # Why a clinic's overrides could not be applied (this is then the shipped base).
    problems: list = field(default_factory=list)

    def kinds(self):
        return list(self.entries)

    def all(self, kind):
        return list(self.entries[kind].values())

    def get(self, kind, entry_id):
        return self.entries[kind].get(entry_id)

    def source(self, source_id):
        return self.entries["source"].get(source_id)

    def is_override(self, kind, entry_id):
        return any(k == kind and i == entry_id for k, i, _reason in self.overrides)

    def export(self):
        """Everything, each entry with at least id, name and sources."""
        return {"version": self.version,
                "kinds": {kind: [self._exportable(kind, e) for e in entries.values()]
                          for kind, entries in self.entries.items()}}

    @staticmethod
    def _exportable(kind, entry):
        if kind == "source":
            return {**entry, "sources": [entry["id"]]}
        return entry

    def with_overrides(self, overrides):
        """A new base with a clinic's overrides: [(kind, id, data, reason)].

        ``data`` replaces the fields it names, object by object (an override of a shipped
        entry), or is a whole new entry. The result is validated like the shipped files.
        """
        if not overrides:
            return self
        entries = copy.deepcopy(self.entries)
        applied = []
        for kind, entry_id, data, reason in overrides:
            if kind not in entries:
                raise KnowledgeError([f"override {kind}/{entry_id}: unknown kind {kind!r}"])
            key = _key(kind, entry_id)
            shipped = entries[kind].get(key, {})
            merged = translations.drop_stale(shipped, {**_merge(shipped, data), "id": key}, data)
            entries[kind][key] = merged
            applied.append((kind, key, reason))
        problems = check(entries)
        if problems:
            raise KnowledgeError(problems)
        digest = _digest([[k, i, d] for k, i, d, _r in overrides])
        return KnowledgeBase(f"{self.version}+clinic.{digest[:8]}", entries, applied)


def _merge(shipped, changes):
    """``changes`` over ``shipped``, object by object: an override of one limit keeps the
    limits it does not name (a dose policy must not silently drop the head-and-neck rule).
    Lists and values are replaced whole."""
    merged = dict(shipped)
    for name, value in changes.items():
        both_objects = isinstance(value, dict) and isinstance(merged.get(name), dict)
        merged[name] = _merge(merged[name], value) if both_objects else value
    return merged


def _key(kind, entry_id):
    return int(entry_id) if kind == "choir-segment" else str(entry_id)


def _digest(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=True, default=str).encode()).hexdigest()


# libyaml's parser where PyYAML was built with it: the same safe subset, several times faster,
# and every worker process reads the knowledge base before its first answer.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(fh):
    return yaml.load(fh, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)


def read_files(data_dir=DATA_DIR):
    """Raw entries per kind, as the files hold them."""
    raw = {}
    for kind, (filename, _schema) in KINDS.items():
        path = Path(data_dir) / filename
        with path.open(encoding="utf-8") as fh:
            content = json.load(fh)["segments"] if filename.endswith(".json") else _read_yaml(fh)
        raw[kind] = content
    return raw


def check(entries):
    """Every schema and reference problem in ``entries`` ({kind: {id: entry}})."""
    problems = []
    for kind, (filename, schema) in KINDS.items():
        validator = Draft202012Validator(schema)
        for entry in entries.get(kind, {}).values():
            for error in validator.iter_errors(entry):
                where = ".".join(str(p) for p in error.absolute_path) or "entry"
                problems.append(f"{filename}: {kind} {entry.get('id')!r}: {where}: {error.message}")
    if problems:
        return problems
    return _cross_check(entries)


def _cross_check(entries):
    problems = []
    sources = set(entries["source"])

    def need(condition, kind, entry_id, message):
        if not condition:
            problems.append(f"{KINDS[kind][0]}: {kind} {entry_id!r}: {message}")

    for kind, items in entries.items():
        if kind == "source":
            continue
        for entry_id, entry in items.items():
            for source in entry["sources"]:
                need(source in sources, kind, entry_id, f"unknown source {source!r}")
            if not entry["sources"]:
                need(entry["evidence"] in ("no_source", "disputed"), kind, entry_id,
                     "has no source, so its evidence must say 'no_source' (or 'disputed')")
            for sub in entry.get("maps", []):
                for source in sub["sources"]:
                    need(source in sources, kind, entry_id, f"map {sub['id']!r}: unknown source {source!r}")
            for claim in entry.get("indication_evidence", []):
                where = f"indication {claim['indication']!r}"
                for source in claim["sources"]:
                    need(source in sources, kind, entry_id, f"{where}: unknown source {source!r}")
                for study in claim.get("studies", []):
                    need(study in entries["study"], kind, entry_id, f"{where}: unknown study {study!r}")
                need(claim["sources"] or claim["evidence"] in ("no_source", "disputed"), kind, entry_id,
                     f"{where} has no source, so its evidence must say 'no_source' (or 'disputed')")
            for alert in entry.get("alerts", []):
                for source in alert["sources"]:
                    need(source in sources, kind, entry_id, f"alert {alert['code']!r}: unknown source {source!r}")
    # Every code the engines look up has an entry.
    for kind, vocab in (("organ", "organ"), ("region", "region"), ("technique", "injection_target"),
                        ("drug", "drug"), ("segment", "segment")):
        missing = set(vocabulary.codes(vocab)) - set(entries[kind])
        need(not missing, kind, "*", f"no entry for {sorted(missing)}")
    # Every finding is a red flag, except those the safety rules ask for (e.g. a normal INR).
    safety_findings = {a["requires_finding"] for a in entries["bleeding-agent"].values() if "requires_finding" in a}
    missing_flags = set(vocabulary.codes("finding")) - set(entries["red-flag"]) - safety_findings
    need(not missing_flags, "red-flag", "*", f"no entry for {sorted(missing_flags)}")
    need(not safety_findings & set(entries["red-flag"]), "red-flag", "*",
         f"{sorted(safety_findings & set(entries['red-flag']))} are safety findings, not red flags")
    need(set(SAFETY_RULES) <= set(entries["safety-rule"]), "safety-rule", "*",
         f"the safety engine needs every one of its rules: {sorted(set(SAFETY_RULES) - set(entries['safety-rule']))}")
    for rule_id, schema in SAFETY_RULES.items():
        if rule_id in entries["safety-rule"]:
            for error in Draft202012Validator(schema).iter_errors(entries["safety-rule"][rule_id]):
                where = ".".join(str(p) for p in error.absolute_path) or "entry"
                problems.append(f"safety_rules.yaml: safety-rule {rule_id!r}: {where}: {error.message}")
    for organ_id, organ in entries["organ"].items():
        need(organ["default"] in {m["id"] for m in organ["maps"]}, "organ", organ_id,
             f"default map {organ['default']!r} is not among its maps")
    for ganglion_id, ganglion in entries["ganglion"].items():
        for stated in ganglion.get("complications_with_frequency", []):
            need(stated in ganglion["complications"], "ganglion", ganglion_id,
                 f"complications_with_frequency names {stated!r}, which is not one of its complications")
    ganglia = set(entries["ganglion"])
    claimed = {}
    for technique_id, technique in entries["technique"].items():
        if "ganglion" in technique:
            need(technique["ganglion"] in ganglia, "technique", technique_id,
                 f"unknown ganglion {technique['ganglion']!r}")
        field_technique = technique["approach"] == "interference_field"
        need(field_technique == ("field_kinds" in technique), "technique", technique_id,
             "an interference-field technique names its field_kinds, and only such a technique")
        for kind in technique.get("field_kinds", []):
            need(kind not in claimed, "technique", technique_id,
                 f"field kind {kind!r} is already {claimed.get(kind)!r}'s")
            claimed.setdefault(kind, technique_id)
    seen_kinds = [k for category in entries["field-category"].values() for k in category["kinds"]]
    need(sorted(seen_kinds) == sorted(vocabulary.codes("history_kind")), "field-category", "*",
         "every history kind must belong to exactly one category")
    need({"temporal", "segmental", "referral", "head_territory", "local_signs", "category_prior",
          "partial_test"} <= set(entries["tracing-weight"]), "tracing-weight", "*",
         "the assessment needs every tracing weight")
    _check_huneke_thresholds(entries, need)
    _check_courses(entries, need)
    _check_weight_plausibility(entries, need)
    for code_id, code in entries.get("code", {}).items():
        if "vocabulary" in code:
            need(code["code"] in vocabulary.codes(code["vocabulary"]), "code", code_id,
                 f"{code['code']!r} is no code of the vocabulary {code['vocabulary']!r}")
    for kind, system_field in (("field-code", "system"), ("substance-code", "system")):
        for entry_id, entry in entries.get(kind, {}).items():
            need(entry_id == f"{entry[system_field]}.{entry['code']}", kind, entry_id,
                 f"the id must be {entry[system_field]}.{entry['code']} (system and code)")
            numeric = entry["code"].isdigit()
            need(numeric == (entry[system_field] in ("snomed", "rxnorm")), kind, entry_id,
                 f"{entry['code']!r} is no {entry[system_field]} code")
    promotional = {s for s, source in entries["source"].items() if source.get("type") == "promotional"}
    for kind, items in entries.items():
        for entry_id, entry in items.items():
            if kind != "source":
                for source in sorted(cited(entry) & promotional):
                    need(False, kind, entry_id, f"cites {source!r}, a promotional text: it may be named in a "
                                                "note, but it backs no rule, dose or weight")
    for code, rule in entries["retention"].items():
        need(rule["years"] is not None or rule["clinic_must_confirm"], "retention", code,
             "without a period (years: null) the clinic must set one: say clinic_must_confirm: true")
    # The recall list reads these numbers and nothing else: each rule must carry its own.
    for rule_id, needed in (("follow_up", ("after_months", "window_days")), ("lapsed", ("after_days",))):
        rule = entries.get("recall-rule", {}).get(rule_id)
        need(rule is not None, "recall-rule", rule_id, "missing: the recall list needs it")
        for key in needed if rule else ():
            need(key in rule, "recall-rule", rule_id, f"{key} is missing")
    # The reminders link one questionnaire per kind of visit: exactly one instrument each.
    asked = {}
    for instrument_id, instrument in entries["instrument-threshold"].items():
        for visit in (instrument.get("asked_at") or {}).get("visits", []):
            asked.setdefault(visit, []).append(instrument_id)
    for visit in VISIT_KINDS:
        need(len(asked.get(visit, [])) == 1, "instrument-threshold", "*",
             f"asked_at: the {visit!r} visit needs exactly one instrument, not {asked.get(visit, [])}")
    need("other" in entries["crisis-contact"], "crisis-contact", "*",
         "the fallback entry 'other' (any other or unknown jurisdiction) is missing")
    _check_fee_codes(entries, need)
    _check_membrane(entries, need)
    _check_vignettes(entries, need)
    _check_leaflets(entries, need)
    choir = entries["choir-segment"]
    need(sorted(choir) == [*range(101, 137), *range(201, 239)], "choir-segment", "*",
         "the body map needs exactly the 74 CHOIR segments 101–136 and 201–238")
    return problems


def _check_courses(entries, need):
    """Every reading and every question's backing names an existing entry; a question's right
    options are among its options (exactly one for a single-choice question, and at least one
    wrong option left for a multiple-choice one, or ticking everything would score full marks);
    ids are unique within a module and modules have distinct places in the course."""
    def exists(reference):
        kind, entry_id = reference["kind"], reference["id"]
        if kind == "choir-segment":
            return entry_id.isdigit() and int(entry_id) in entries[kind]
        return entry_id in entries.get(kind, {})

    modules = entries.get("course-module", {})
    orders = [module["order"] for module in modules.values()]
    need(len(orders) == len(set(orders)), "course-module", "*", "two modules share the same order")
    for module_id, module in modules.items():
        for reading in module["readings"]:
            need(exists(reading), "course-module", module_id,
                 f"reading {reading['kind']}/{reading['id']}: no such knowledge-base entry")
        question_ids = [q["id"] for q in module["questions"]]
        need(len(question_ids) == len(set(question_ids)), "course-module", module_id, "two questions share an id")
        for question in module["questions"]:
            where = f"question {question['id']!r}"
            options = [option["id"] for option in question["options"]]
            need(len(options) == len(set(options)), "course-module", module_id, f"{where}: two options share an id")
            for answer in question["correct"]:
                need(answer in options, "course-module", module_id, f"{where}: correct {answer!r} is no option")
            if question["choice"] == "single":
                need(len(question["correct"]) == 1, "course-module", module_id,
                     f"{where}: a single-choice question has exactly one correct option")
            else:
                need(len(set(question["correct"])) < len(options), "course-module", module_id,
                     f"{where}: a multiple-choice question needs at least one wrong option")
            backing = question["backed_by"]
            need(exists(backing), "course-module", module_id,
                 f"{where}: backed_by {backing['kind']}/{backing['id']}: no such knowledge-base entry")


def cited(value):
    """Every source id cited anywhere in an entry (its own, its maps', its claims')."""
    found = set()
    if isinstance(value, dict):
        if isinstance(value.get("sources"), list):
            found |= {s for s in value["sources"] if isinstance(s, str)}
        for key, item in value.items():
            if key != "sources":
                found |= cited(item)
    elif isinstance(value, list):
        for item in value:
            found |= cited(item)
    return found


# The Huneke classification's thresholds (protocol "huneke", criteria): expert-opinion
# defaults a clinic may override; an override of `criteria` must give every one of them.
HUNEKE_THRESHOLDS = ("onset_seconds_max", "relief_percent_min", "duration_hours_min", "duration_hours_min_tooth",
                     "partial_relief_percent_min")


def _is_day(text):
    """Whether a YYYY-MM-DD text (the schema checks the shape) is a day of the calendar."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_vignettes(entries, need):
    """A vignette's hidden case validates as a case; each question reveals a history item or a
    finding of that case; its expected red flags are red flags, and every red-flag finding of
    the case is among them (the flags the engine derives, such as new pain over 50, are held
    against the engine by the simulator's tests, a floor above)."""
    from segmenta.caseformat import CaseError, validate  # not at the top: caseformat reads our vocabularies

    for vignette_id, vignette in entries.get("vignette", {}).items():
        need(_is_day(vignette["seen_on"]), "vignette", vignette_id, f"seen_on: {vignette['seen_on']!r} is no date")
        case = vignette["case"]
        try:
            validate(case)
        except CaseError as error:
            need(False, "vignette", vignette_id, f"case: {error}")
            continue
        findings = set(case.get("findings", []))
        findings |= {f for c in case.get("complaints", []) for f in c.get("findings", [])}
        history = {item["id"] for item in case.get("history", [])}
        for question in vignette["questions"]:
            for revealed in question["reveals"]:
                need(revealed in history or revealed in findings, "vignette", vignette_id,
                     f"question {question['id']!r} reveals {revealed!r}, no history item or finding of its case")
        need(len({q["id"] for q in vignette["questions"]}) == len(vignette["questions"]), "vignette", vignette_id,
             "two questions share an id")
        expected = set(vignette["expected_red_flags"])
        for code in sorted(expected - set(entries["red-flag"])):
            need(False, "vignette", vignette_id, f"expected_red_flags: {code!r} is no red flag")
        for code in sorted((findings & set(entries["red-flag"])) - expected):
            need(False, "vignette", vignette_id,
                 f"its case holds the red flag {code!r}: list it in expected_red_flags")
        need(any(q.get("screening") for q in vignette["questions"]), "vignette", vignette_id,
             "questions: none is marked screening (the red-flag screening question)")
        for target in vignette.get("discouraged_targets", []):
            need(target in entries["technique"], "vignette", vignette_id,
                 f"discouraged_targets: {target!r} is no technique")


def _check_fee_codes(entries, need):
    """Each fee code belongs to its schedule and is priced the way its schedule prices;
    every code it names (exclusions, the several-areas code, the expenses line) exists in
    the same schedule; an unverified entry says in its note what could not be verified."""
    schedules, codes = entries["fee-schedule"], entries["fee-code"]
    by_schedule = {}
    for code_id, code in codes.items():
        by_schedule.setdefault(code["schedule"], {})[code["code"]] = code_id
    for schedule_id, schedule in schedules.items():
        need(schedule["verified"] or schedule.get("note"), "fee-schedule", schedule_id,
             "verified: false needs a note saying what could not be verified")
        expense = codes.get(schedule["expenses"])
        need(expense is not None and expense["schedule"] == schedule_id and expense["kind"] == "expense",
             "fee-schedule", schedule_id, f"expenses: {schedule['expenses']!r} is no expense code of this schedule")
        if schedule["pricing"] == "points":
            need("point_value" in schedule and "factor" in schedule, "fee-schedule", schedule_id,
                 "pricing by points needs point_value and factor")
            factor = schedule.get("factor", {})
            if factor:
                need(factor["min"] <= factor["default"] <= factor["max"] and
                     factor["min"] <= factor["threshold"] <= factor["max"], "fee-schedule", schedule_id,
                     "factor: min ≤ default, threshold ≤ max")
        if schedule["pricing"] == "time":
            need("time_unit_minutes" in schedule and "rate_per_unit" in schedule, "fee-schedule", schedule_id,
                 "pricing by time needs time_unit_minutes and rate_per_unit")
    for code_id, code in codes.items():
        schedule = schedules.get(code["schedule"])
        need(schedule is not None, "fee-code", code_id, f"unknown schedule {code['schedule']!r}")
        need(code_id.startswith(f"{code['schedule']}."), "fee-code", code_id,
             f"the id must start with its schedule ({code['schedule']}.)")
        need(code["verified"] or code.get("note"), "fee-code", code_id,
             "verified: false needs a note saying what could not be verified")
        need(code["number_status"] == "verified" or not code["verified"], "fee-code", code_id,
             "verified: true needs number_status: verified (every number was read)")
        same = by_schedule.get(code["schedule"], {})
        for other in [item["code"] for item in code.get("not_with", [])] + (
                [code["several_areas_code"]] if "several_areas_code" in code else []):
            need(other in same and other != code["code"], "fee-code", code_id,
                 f"{other!r} is no other code of the schedule {code['schedule']!r}")
        if schedule is None or code["kind"] == "expense":
            continue
        pricing = schedule["pricing"]
        need(pricing != "points" or "points" in code, "fee-code", code_id, "the schedule prices by points: give points")
        need(pricing != "amount" or "amount" in code, "fee-code", code_id,
             "the schedule prices by amount: give amount {min, max, default}")
        amount = code.get("amount")
        if amount and None not in amount.values():
            need(amount["min"] <= amount["default"] <= amount["max"], "fee-code", code_id,
                 "amount: min ≤ default ≤ max")


def _check_leaflets(entries, need):
    """Each section of a leaflet cites known sources (or says 'no_source'), and the leaflet
    lists every source its sections cite, so its sources line and Learn page miss none."""
    sources = set(entries["source"])
    for leaflet_id, leaflet in entries.get("leaflet", {}).items():
        need(_is_day(leaflet["reviewed"]), "leaflet", leaflet_id, f"reviewed: {leaflet['reviewed']!r} is no date")
        for section in leaflet["sections"]:
            where = f"section {section['heading']!r}"
            for source in section["sources"]:
                need(source in sources, "leaflet", leaflet_id, f"{where}: unknown source {source!r}")
                need(source in leaflet["sources"], "leaflet", leaflet_id,
                     f"{where} cites {source!r}, which the leaflet's sources do not list")
            # A disputed statement names who states it: only a text that claims nothing clinical
            # (a clinic's own "where to park") may say it has no source.
            need(section["sources"] or section["evidence"] == "no_source", "leaflet", leaflet_id,
                 f"{where} has no source, so its evidence must say 'no_source'")


# What the membrane-potential lab reads: its neuron, and the lessons and claims it shows.
MEMBRANE_MODEL = "mammalian-neuron"
MEMBRANE_TEXTS = ("resting-potential", "depolarisation", "procaine-action", "conduction-block",
                  "injured-tissue-depolarised", "procaine-restores-potential")
# The evidence a claim of each status may carry, so that the badge beside it never contradicts
# it: a disputed or refuted claim reads "disputed"; an established one rests on evidence that
# establishes something, never on "disputed", "no_source", an approximation, opinion, case
# reports or a secondary source alone.
CLAIM_EVIDENCE = {"disputed": {"disputed"}, "refuted": {"disputed"},
                  "established": {"anatomy", "drug_label", "law", "guideline", "review", "clinical_study", "textbook"}}
MEMBRANE_FIELDS = ("temp_c", "k_in", "k_out", "na_in", "na_out", "cl_in", "cl_out", "p_k", "p_na", "p_cl")


def _check_membrane(entries, need):
    """The lab's neuron exists with a default temperature inside its range and values within its
    own limits; presets change only the lab's fields; a claim cites whoever states and questions
    it among its sources; the lab's lessons and claims are all there."""
    models, texts = entries.get("membrane-model", {}), entries.get("membrane-text", {})
    need(MEMBRANE_MODEL in models, "membrane-model", MEMBRANE_MODEL, "missing: the membrane-potential lab needs it")
    for model_id, model in models.items():
        temp = model["temperature_c"]
        need(temp["min"] <= temp["default"] <= temp["max"], "membrane-model", model_id,
             "temperature_c: min ≤ default ≤ max")
        need(model["resting_mv"]["min"] < model["resting_mv"]["max"], "membrane-model", model_id,
             "resting_mv: min below max")
        concentrations = [c for ion in model["concentrations_mmol_l"].values() for c in ion.values()]
        need(model["concentration_min_mmol_l"] <= min(concentrations)
             and max(concentrations) <= model["concentration_max_mmol_l"], "membrane-model", model_id,
             "a concentration outside concentration_min_mmol_l … concentration_max_mmol_l")
        permeabilities = model["permeabilities"].values()
        need(0 < max(permeabilities) and max(permeabilities) <= model["permeability_max"]
             and all(p == 0 or p >= model["permeability_min"] for p in permeabilities), "membrane-model", model_id,
             "permeabilities: at least one above 0, each 0 or within permeability_min … permeability_max")
        for preset in model["presets"]:
            unknown = sorted(set(preset["values"]) - set(MEMBRANE_FIELDS))
            need(not unknown, "membrane-model", model_id,
                 f"preset {preset['id']!r}: {unknown} are no fields of the lab ({', '.join(MEMBRANE_FIELDS)})")
    for text_id in MEMBRANE_TEXTS:
        need(text_id in texts, "membrane-text", text_id, "missing: the membrane-potential lab shows it")
    for text_id, text in texts.items():
        for key in ("stated_by", "questioned_by"):
            for source in text.get(key, []):
                need(source in text["sources"], "membrane-text", text_id,
                     f"{key}: {source!r} must be among its sources too")
        if text["role"] == "claim":
            allowed = CLAIM_EVIDENCE.get(text["status"], set())
            need(text["evidence"] in allowed, "membrane-text", text_id,
                 f"a claim with status {text['status']!r} needs evidence among {sorted(allowed)}, "
                 f"not {text['evidence']!r}")
        else:
            need("status" not in text, "membrane-text", text_id, "a lesson has no status: only a claim does")


def _check_weight_plausibility(entries, need):
    """The LAST calculator notes a weight outside protocol "weight-plausibility"'s range."""
    entry = entries["protocol"].get("weight-plausibility")
    need(entry is not None, "protocol", "weight-plausibility", "the LAST calculator needs this protocol")
    bounds = (entry or {}).get("range_kg")
    low, high = (bounds.get("min"), bounds.get("max")) if isinstance(bounds, dict) else (None, None)
    valid = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in (low, high))
    need(entry is None or (valid and low < high), "protocol", "weight-plausibility",
         f"range_kg: must give min and max in kg, both above 0 and min below max, not {bounds!r}")


def _check_huneke_thresholds(entries, need):
    huneke = entries["protocol"].get("huneke")
    need(huneke is not None, "protocol", "huneke", "the Huneke classification needs this protocol")
    criteria = (huneke or {}).get("criteria")
    if not isinstance(criteria, dict):
        need(huneke is None, "protocol", "huneke", "criteria: must be an object with the thresholds")
        return
    for key in HUNEKE_THRESHOLDS:
        value = criteria.get(key)
        percent = key.endswith("_percent_min")
        valid = (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
                 and (not percent or value <= 100))
        limit = " and at most 100" if percent else ""
        need(valid, "protocol", "huneke", f"criteria.{key}: must be a number above 0{limit} "
                                          f"(an override of criteria must give every threshold), not {value!r}")
    partial, complete = criteria.get("partial_relief_percent_min"), criteria.get("relief_percent_min")
    if all(isinstance(v, (int, float)) for v in (partial, complete)):
        need(partial <= complete, "protocol", "huneke",
             "criteria.partial_relief_percent_min: must not exceed relief_percent_min")


def _index(raw):
    entries = {}
    problems = []
    for kind, items in raw.items():
        entries[kind] = {}
        if not isinstance(items, list):
            problems.append(f"{KINDS[kind][0]}: expected a list of entries")
            continue
        for item in items:
            if not isinstance(item, dict) or "id" not in item:
                problems.append(f"{KINDS[kind][0]}: an entry without an id")
                continue
            if item["id"] in entries[kind]:
                problems.append(f"{KINDS[kind][0]}: duplicate id {item['id']!r}")
            if kind == "organ" and isinstance(item.get("maps"), list):
                _organ_summary(item)
            entries[kind][item["id"]] = item
    return entries, problems


def _organ_summary(organ):
    """An organ cites what its maps cite; its evidence is that of its default map."""
    maps = [m for m in organ["maps"] if isinstance(m, dict)]
    organ.setdefault("sources", sorted({s for m in maps for s in m.get("sources", [])}))
    default = next((m for m in maps if m.get("id") == organ.get("default")), {})
    organ.setdefault("evidence", default.get("evidence", "no_source"))


def load_from(data_dir):
    """Load and validate a data folder; raise KnowledgeError listing every problem."""
    data_dir = Path(data_dir)
    try:
        raw = read_files(data_dir)
    except (OSError, yaml.YAMLError, json.JSONDecodeError, KeyError) as error:
        raise KnowledgeError([f"cannot read the data files: {error}"]) from error
    entries, problems = _index(raw)
    synonyms = read_synonyms(data_dir) if not problems else {}
    if not problems:
        problems += _apply_synonyms(entries, synonyms) + check(entries)
    if not problems:
        problems += translation_problems(entries, data_dir)
    if problems:
        raise KnowledgeError(problems)
    release = (data_dir / "VERSION").read_text().strip()
    content = [raw, synonyms] if synonyms else raw
    return KnowledgeBase(f"{release}+{_digest(content)[:12]}", entries)


def translation_problems(entries, data_dir=DATA_DIR):
    """Every shipped text without its German or Spanish translation (or with an empty one),
    in the entries and in the vocabularies. Only the shipped files must be complete: a
    clinic's override shows its own untranslated text in English (translations.drop_stale)."""
    problems = []
    for kind, items in entries.items():
        for entry in items.values():
            problems += translations.problems(kind, KINDS[kind][0], entry)
    path = Path(data_dir) / vocabulary.DATA.name
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            problems += translations.vocabulary_problems(json.load(fh))
    return problems


SYNONYMS_FILE = "synonyms.yaml"


def read_synonyms(data_dir=DATA_DIR):
    """synonyms.yaml as it stands ({kind: {id: {language: [names]}}}); none if the folder has none."""
    path = Path(data_dir) / SYNONYMS_FILE
    if not path.exists():
        return {}
    try:
        with path.open(encoding="utf-8") as fh:
            return _read_yaml(fh) or {}
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError([f"cannot read {SYNONYMS_FILE}: {error}"]) from error


def _apply_synonyms(entries, synonyms):
    """Merge the synonyms file into the entries it names: its names into ``synonyms``, its
    ``terms`` into ``search_terms`` (after an entry's own); every problem (an unknown kind or
    entry, a language or name that is not allowed)."""
    if not isinstance(synonyms, dict):
        return [f"{SYNONYMS_FILE}: expected kinds, each with entries"]
    problems = []
    validator = Draft202012Validator(SYNONYMS)
    for kind, items in synonyms.items():
        if kind not in entries or kind == "source" or not isinstance(items, dict):
            problems.append(f"{SYNONYMS_FILE}: {kind!r} is not a kind whose entries take synonyms")
            continue
        for entry_id, names in items.items():
            entry = entries[kind].get(entry_id)
            if entry is None:
                problems.append(f"{SYNONYMS_FILE}: {kind} {entry_id!r}: no such entry")
                continue
            if not isinstance(names, dict):
                problems.append(f"{SYNONYMS_FILE}: {kind} {entry_id!r}: expected languages with names")
                continue
            names = dict(names)
            groups = {"synonyms": names, "search_terms": names.pop("terms", None) or {}}
            errors = [e.message for group in groups.values() for e in validator.iter_errors(group)]
            if errors:
                problems.append(f"{SYNONYMS_FILE}: {kind} {entry_id!r}: {errors[0]}")
                continue
            for field_name, group in groups.items():
                if group:
                    entry[field_name] = _merged_names(entry.get(field_name, {}), group)
    return problems


def _merged_names(own, more):
    merged = {lang: list(values) for lang, values in own.items()}
    for lang, values in more.items():
        known = {v.casefold() for v in merged.get(lang, [])}
        merged[lang] = merged.get(lang, []) + [v for v in values if v.casefold() not in known]
    return merged


@cache
def load():
    """The shipped knowledge base (validated once per process)."""
    return load_from(DATA_DIR)


def evidence_label(status):
    return EVIDENCE_LABELS[status]
