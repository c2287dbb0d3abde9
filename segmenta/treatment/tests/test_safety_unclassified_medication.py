"""A medication of class "unknown" (taken over from another system whose code the knowledge
base does not map) is named in a warning, never passed as harmless."""

import pytest

from .engine import codes, injection, reason, run, verdicts


def test_a_medication_of_unknown_class_warns_and_names_it():
    result = run([injection()], medications=[{"name": "Zorblex 5 mg", "class": "unknown"}])
    assert verdicts(result) == ["warn"]
    assert "medication_unclassified" in codes(result)
    assert "Zorblex 5 mg" in reason(result, "medication_unclassified")


def test_a_classed_medication_raises_no_such_warning():
    assert verdicts(run([injection()], medications=[{"name": "lisinopril 10 MG", "class": "other"}])) == ["ok"]


def test_an_unknown_class_the_names_identify_as_a_blood_thinner_is_judged_as_one():
    result = run([injection(target="stellate", region="neck", ml=5)],
                 medications=[{"name": "Apixaban 5 MG Oral Tablet", "class": "unknown"}])
    assert "medication_unclassified" not in codes(result)
    assert "anticoagulant" in codes(result)


def test_the_rule_is_the_knowledge_bases_with_its_source_status_and_translations():
    from segmenta.knowledge.base import KnowledgeError, load

    rule = load().get("safety-rule", "unclassified_medication")
    assert (rule["verdict"], rule["classes"], rule["evidence"]) == ("warn", ["unknown"], "no_source")
    assert rule["i18n"]["de"]["rule"] and rule["i18n"]["es"]["rule"]
    # A clinic that blocks on it, or counts "other" as unclassified too, changes what the engine says.
    strict = load().with_overrides([("safety-rule", "unclassified_medication", {"verdict": "block"}, "own policy")])
    assert verdicts(run([injection()], kb=strict, medications=[{"name": "Zorblex", "class": "unknown"}])) == ["block"]
    wider = load().with_overrides([("safety-rule", "unclassified_medication", {"classes": ["unknown", "other"]},
                                    "own policy")])
    result = run([injection()], kb=wider, medications=[{"name": "lisinopril 10 MG", "class": "other"}])
    assert verdicts(result) == ["warn"] and "lisinopril 10 MG" in reason(result, "medication_unclassified")
    # Never "ok" by an override: a verdict is warn or block.
    with pytest.raises(KnowledgeError):
        load().with_overrides([("safety-rule", "unclassified_medication", {"verdict": "ok"}, "too quiet")])


def test_the_reason_reads_in_german():
    from segmenta.knowledge.wording import reason as reason_for_reader

    result = run([injection()], medications=[{"name": "Zorblex 5 mg", "class": "unknown"}])
    found = [r for r in result["injections"][0]["reasons"] if r["code"] == "medication_unclassified"][0]
    german = reason_for_reader(found, "de")
    assert "Zorblex 5 mg" in german and "has no class" not in german
