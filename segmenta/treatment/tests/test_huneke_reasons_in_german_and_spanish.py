"""The Huneke classification's reasons in the page's language: English in its answer, German
or Spanish with decimal commas where a German or Spanish page shows them."""

import json

import pytest

from segmenta.knowledge import wording
from segmenta.knowledge.base import load
from segmenta.knowledge.tests.phrase_checks import marked, merged, problems
from segmenta.treatment import huneke


@pytest.mark.parametrize("language", ["de", "es"])
def test_every_reason_the_huneke_classification_can_give_reads_in_german_and_spanish(language):
    merged(huneke)
    templates = marked(huneke)
    assert len(templates) > 10
    assert problems(templates, language) == []


def classified(*tests):
    case = {"format": "segmenta-case/1",
            "complaints": [{"id": "c1", "regions": [{"region": "shoulder", "side": "right"}]}],
            "history": [{"id": "h1", "kind": "scar", "description": "appendectomy",
                         "regions": [{"region": "abdomen_lower", "side": "right"}]}],
            "tests": [{"history_id": "h1", "complaint_id": "c1", **t} for t in tests]}
    return huneke.classify(case, load())["tests"]


def test_a_short_relief_reads_with_decimal_commas_and_the_answer_stays_english():
    result = classified({"onset_seconds": 4.5, "relief_percent": 100, "duration_hours": 2.5})
    english = result[0]["reasons"]
    assert json.loads(json.dumps(english)) == [
        "relief of 100 % (at least 30 %) without meeting every Huneke criterion",
        "relief lasted 2.5 h, under the 20 h required"]
    merged(huneke)
    assert [wording.say(r, "de") for r in english] == [
        "Besserung um 100 % (mindestens 30 %), ohne alle Huneke-Kriterien zu erfüllen",
        "Besserung hielt 2,5 h an, unter den geforderten 20 h"]
    assert [wording.say(r, "es") for r in english] == [
        "alivio del 100 % (al menos 30 %) sin cumplir todos los criterios de Huneke",
        "el alivio duró 2,5 h, por debajo de las 20 h exigidas"]


def test_a_confirmed_huneke_phenomenon_reads_in_german_and_spanish():
    result = classified({"onset_seconds": 5, "relief_percent": 100, "duration_hours": 24.5, "date": "2026-01-01"},
                        {"onset_seconds": 3, "relief_percent": 100, "duration_hours": 30, "date": "2026-02-01"})
    assert result[1]["classification"] == "confirmed"
    merged(huneke)
    german = [wording.say(r, "de") for r in result[1]["reasons"]]
    assert german[0] == "vollständige Besserung innerhalb von 3 s, Dauer 30 h (mindestens 20 h)"
    assert "(30 h ≥ 24,5 h)" in german[1] and "Testinjektion" in german[1]
