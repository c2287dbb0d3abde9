"""The safety engine's reasons in the page's language: English in the engine's answer (the
API, the CLI and the case format), German or Spanish with decimal commas and the knowledge
base's terms where a German or Spanish page shows them, now and after they are stored."""

import json
import subprocess
import sys

import pytest
from django.utils import translation

from segmenta.knowledge import wording
from segmenta.knowledge.tests.phrase_checks import marked, merged, problems
from segmenta.treatment import safety
from segmenta.treatment.tests.engine import injection, run


@pytest.mark.parametrize("language", ["de", "es"])
def test_every_reason_the_safety_engine_can_give_reads_in_german_and_spanish(language):
    merged(safety)
    templates = marked(safety)
    assert len(templates) > 50
    assert problems(templates, language) == []


def reasons(result, language):
    return [wording.reason(r, language) for r in result["injections"][0]["reasons"]]


def a_heilpraktiker_above_the_limits():
    """Procaine 2.5 % (above 2 %), 0.3 mL at a wheal, no weight, by a Heilpraktiker in Germany."""
    return run([injection(conc=2.5, ml=0.3)], weight=None, profession="heilpraktiker",
               case={"practitioner": {"profession": "heilpraktiker", "jurisdiction": "DE",
                                      "trained_techniques": ["wheal"]}})


def test_the_engine_answers_in_english_whatever_the_language():
    with translation.override("de"):
        result = a_heilpraktiker_above_the_limits()
    messages = [r["message"] for r in result["injections"][0]["reasons"]]
    assert "2.5 % is above the 2 % limit" in messages
    assert "weight unknown: the session limit is 500 mg, not adjusted to body weight" in messages
    # JSON (the API's and the CLI's answer) holds the English text and nothing else.
    written = json.loads(json.dumps(result))
    assert written["injections"][0]["reasons"][0] == {
        "code": result["injections"][0]["reasons"][0]["code"], "message": messages[0],
        "verdict": result["injections"][0]["reasons"][0]["verdict"]}


def test_a_german_page_says_the_reasons_in_german_with_decimal_commas():
    merged(safety)
    result = a_heilpraktiker_above_the_limits()
    german = reasons(result, "de")
    assert "2,5 % liegt über dem Grenzwert von 2 %" in german
    assert "Gewicht unbekannt: Die Höchstdosis der Sitzung beträgt 500 mg, nicht an das Körpergewicht angepasst" \
        in german
    # The scope rule by its German name in the knowledge base.
    assert any(r.startswith("Heilpraktiker — nur intrakutane Quaddeln, höchstens 2 %: 2,5 % liegt über 2 %")
               for r in german)
    spanish = reasons(result, "es")
    assert "2,5 % supera el límite del 2 %" in spanish
    assert reasons(result, "en") == [r["message"] for r in result["injections"][0]["reasons"]]


def test_drugs_ganglia_conditions_and_dates_come_in_the_pages_language():
    merged(safety)
    result = run([injection(target="stellate", ml=5, region="neck", side="right")],
                 conditions=["myasthenia_gravis"], medications=[{"name": "Apixaban", "class": "anticoagulant",
                                                                  "last_dose": "2026-11-24"}],
                 case={"consent": {"status": "withdrawn", "date": "2026-11-20"}})
    english = [r["message"] for r in result["injections"][0]["reasons"]]
    german = " | ".join(reasons(result, "de"))
    spanish = " | ".join(reasons(result, "es"))
    assert "consent withdrawn on 2026-11-20" in english
    assert "Einwilligung am 20.11.2026 widerrufen" in german
    assert "consentimiento revocado el 20/11/2026" in spanish
    assert "Ganglion stellatum" in german and "ganglio estrellado" in spanish
    assert "Antikoagulans" in german and "anticoagulante" in spanish
    assert "stellate" not in german.lower().replace("ganglion stellatum", "")


def test_stored_reasons_show_in_the_readers_language_and_plain_old_ones_in_english():
    result = a_heilpraktiker_above_the_limits()
    live = result["injections"][0]["reasons"]
    kept = json.loads(json.dumps(wording.stored(live)))  # as an injection's JSON field keeps them
    assert [r["message"] for r in kept] == [r["message"] for r in live]
    assert [wording.reason(r, "de") for r in kept] == [wording.reason(r, "de") for r in live]
    assert [wording.reason(r, "es") for r in kept] == [wording.reason(r, "es") for r in live]
    # A reason stored before reasons carried their phrase reads as it was written.
    old = {"code": "weight_unknown", "message": "weight unknown: the session limit is 500 mg", "verdict": "warn"}
    assert wording.reason(old, "de") == "weight unknown: the session limit is 500 mg"


def test_reasons_joined_under_one_code_are_each_said_in_the_language():
    merged(safety)
    # Two scope rules deny a Heilpraktiker a stellate block: one reason, two phrases.
    result = run([injection(target="stellate", ml=5, region="neck", side="right")], profession="heilpraktiker",
                 case={"practitioner": {"profession": "heilpraktiker", "jurisdiction": "DE",
                                        "trained_techniques": ["stellate"]}})
    scope = next(r for r in result["injections"][0]["reasons"] if r["code"] == "scope_of_practice")
    assert "; " in scope["message"]
    german = wording.reason(scope, "de")
    assert german.count("; ") == scope["message"].count("; ")
    assert "not a" not in german and "not for a" not in german


def test_the_engines_import_no_django():
    code = ("import sys; import segmenta.treatment.safety, segmenta.treatment.huneke, segmenta.assessment.engine, "
            "segmenta.assessment.screening, segmenta.knowledge.phrases; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
