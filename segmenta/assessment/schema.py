"""The published JSON Schema of the assessment's output (`segmenta schema assessment`)."""

from segmenta.knowledge import vocabulary

REASON = {"type": "object", "required": ["factor", "detail"], "additionalProperties": False,
          "properties": {"factor": {"enum": ["temporal", "segmental", "local_signs", "category_prior", "test"]},
                         "detail": {"type": "string", "minLength": 1}}}

# A target the safety engine would block for this patient whatever the dose: it is
# listed, but marked. Targets that are fine carry no "contraindicated" key at all.
CONTRAINDICATED = {"const": True, "description": (
    "Present (and true) only when the safety engine would block this target for this patient whatever the "
    "dose (pregnancy, anticoagulation, age, …); absent when the target may be offered.")}
CONTRAINDICATIONS = {"type": "array", "minItems": 1, "description": "The safety engine's reasons, with stable codes.",
                     "items": {"type": "object", "required": ["code", "message"], "additionalProperties": False,
                               "properties": {"code": {"type": "string", "minLength": 1},
                                              "message": {"type": "string", "minLength": 1}}}}
IF_CONTRAINDICATED = {"if": {"required": ["contraindicated"]},
                      "then": {"required": ["contraindicated", "reason", "contraindications"]}}


def build_schema():
    segment = {"enum": vocabulary.codes("segment")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://segmenta.example/schemas/assessment-1.json",
        "title": "Segmenta assessment",
        "type": "object",
        "required": ["refer_first", "red_flags", "knowledge_version", "complaints"],
        "additionalProperties": False,
        "properties": {
            "refer_first": {"type": "boolean"},
            "knowledge_version": {"type": "string", "minLength": 1},
            "red_flags": {"type": "array", "items": {
                "type": "object", "required": ["code", "complaint_id", "message", "action"],
                "additionalProperties": False,
                "properties": {"code": {"enum": [*vocabulary.codes("finding"), "new_pain_over_50"]},
                               "complaint_id": {"type": ["string", "null"]},
                               "message": {"type": "string"}, "action": {"type": "string", "minLength": 1}}}},
            "complaints": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "segments", "candidates", "segmental_targets", "ganglionic_targets"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "segments": {"type": "array", "items": segment},
                    "candidates": {"type": "array", "items": {
                        "type": "object", "required": ["history_id", "rank", "status", "score", "reasons"],
                        "additionalProperties": False,
                        "properties": {"history_id": {"type": "string"}, "rank": {"type": "integer", "minimum": 1},
                                       "status": {"enum": ["candidate", "confirmed", "excluded"]},
                                       "score": {"type": "number"},
                                       "reasons": {"type": "array", "items": REASON}}}},
                    "segmental_targets": {"type": "array", "items": {
                        "type": "object", "required": ["segment", "technique", "where"], "additionalProperties": False,
                        **IF_CONTRAINDICATED,
                        "properties": {"segment": segment, "technique": {"enum": vocabulary.codes("injection_target")},
                                       "where": {"type": "string"},
                                       "contraindicated": CONTRAINDICATED,
                                       "reason": {"type": "string", "minLength": 1,
                                                  "description": "Only with contraindicated: why not."},
                                       "contraindications": CONTRAINDICATIONS}}},
                    "ganglionic_targets": {"type": "array", "items": {
                        "type": "object", "required": ["target", "reason", "requires"], "additionalProperties": False,
                        **IF_CONTRAINDICATED,
                        "properties": {"target": {"enum": vocabulary.codes("injection_target")},
                                       "reason": {"type": "string", "description": (
                                           "What the ganglion serves for this complaint; for a contraindicated "
                                           "target, why it must not be injected (what it serves is then in "
                                           "indication).")},
                                       "requires": {"type": "string"},
                                       "contraindicated": CONTRAINDICATED,
                                       "indication": {"type": "string", "description": (
                                           "Only with contraindicated: what the ganglion would serve.")},
                                       "contraindications": CONTRAINDICATIONS}}},
                },
            }},
        },
    }
