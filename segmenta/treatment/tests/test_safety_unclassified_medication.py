"""A medication of class "unknown" (taken over from another system whose code the knowledge
base does not map) is named in a warning, never passed as harmless."""

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
