"""The assessment's reasons and targets in the page's language: English in its answer (the
API, the CLI, the worked cases), German or Spanish where a German or Spanish page shows them,
with the knowledge base's terms and dates as the language writes them."""

import json

import pytest

from segmenta.assessment import engine
from segmenta.assessment.tests.cases import case
from segmenta.knowledge import wording
from segmenta.knowledge.base import load
from segmenta.knowledge.tests.phrase_checks import marked, merged, problems


@pytest.mark.parametrize("language", ["de", "es"])
def test_every_reason_and_target_the_assessment_can_give_reads_in_german_and_spanish(language):
    merged(engine)
    templates = marked(engine)
    assert len(templates) > 30
    # "onset" is a date in the assessment's reasons.
    assert problems(templates, language, dates_too={"onset"}) == []


def shoulder_after_gallbladder_surgery():
    return engine.assess(case(
        complaints=[{"id": "c1", "onset": "2019-06-15", "regions": [{"region": "shoulder", "side": "right"}]}],
        history=[{"id": "h1", "kind": "scar", "date": "2019-01-10", "organs": ["gallbladder"], "signs": ["itching"],
                  "regions": [{"region": "abdomen_upper", "side": "right"}]}],
        tests=[{"history_id": "h1", "complaint_id": "c1", "date": "2019-07-01", "onset_seconds": 20,
                "relief_percent": 60, "duration_hours": 2}]), load())


def said(result, language):
    complaint = result["complaints"][0]
    return ([wording.say(r["detail"], language) for r in complaint["candidates"][0]["reasons"]]
            + [wording.say(t["where"], language) for t in complaint["segmental_targets"]]
            + [wording.say(t["reason"], language) for t in complaint["ganglionic_targets"]]
            + [wording.say(t["requires"], language) for t in complaint["ganglionic_targets"]])


def test_the_answer_is_english_and_the_page_says_it_in_german_or_spanish():
    result = shoulder_after_gallbladder_surgery()
    english = said(result, "en")
    assert "dated 2019-01-10, 5 months before onset (2019-06-15)" in english
    assert "local signs: itching" in english
    assert json.loads(json.dumps(result))["complaints"][0]["candidates"][0]["reasons"][0]["detail"] == english[0]
    merged(engine)
    german, spanish = said(result, "de"), said(result, "es")
    assert "datiert 10.01.2019, 5 Monate vor dem Beginn (15.06.2019)" in german
    assert "fechado en 10/01/2019, 5 meses antes del inicio (15/06/2019)" in spanish
    assert "lokale Zeichen: Juckreiz" in german
    assert "teilweise Besserung bei der Testinjektion am 01.07.2019" in german
    assert any("Gallenblase" in r and "Schulter (rechts)" in r and "Head-Zone" in r for r in german)
    assert any(r.startswith("Ganglion stellatum versorgt") for r in german)
    assert any(r.startswith("Quaddeln im Dermatom C") for r in german)
    assert any(r.startswith("paravertebral a nivel de C") and r.endswith("lado derecho") for r in spanish)
    assert "Arzt/Ärztin" in german[-1]


def test_a_contraindicated_target_says_why_in_the_pages_language():
    data = case(complaints=[{"id": "c1", "onset": "2019-06-15", "organs": ["uterus"],
                             "regions": [{"region": "pelvis", "side": "midline"}]}], birth_date="1994-03-01")
    data["patient"]["pregnant"] = True
    result = engine.assess(data, load())
    blocked = next(t for t in result["complaints"][0]["ganglionic_targets"] if t["target"] == "frankenhauser")
    assert blocked["contraindicated"] is True and "pregnancy" in blocked["reason"]
    merged(engine)
    german, spanish = wording.say(blocked["reason"], "de"), wording.say(blocked["reason"], "es")
    assert "Schwangerschaft" in german and "Frankenhäuser-Plexus" in german and "pregnancy" not in german
    assert "embarazo" in spanish and "plexo de Frankenhäuser" in spanish
    assert wording.say(blocked["indication"], "de").startswith("Frankenhäuser-Plexus (parazervikal) versorgt")
