"""The Huneke classification, rule by rule."""

import pytest

from segmenta.knowledge.base import load
from segmenta.treatment.huneke import classify


def run(tests, item=None, complaint=None, kb=None):
    case = {"format": "segmenta-case/1",
            "complaints": [complaint or {"id": "c1", "regions": [{"region": "shoulder", "side": "right"}]}],
            "history": [item or {"id": "h1", "kind": "scar", "description": "appendectomy",
                                 "regions": [{"region": "abdomen_lower", "side": "right"}]}],
            "tests": [{"history_id": "h1", "complaint_id": "c1", **t} for t in tests]}
    return [t["classification"] for t in classify(case, kb or load())["tests"]]


HUNEKE = {"onset_seconds": 5, "relief_percent": 100, "duration_hours": 24}


def test_complete_immediate_lasting_relief_is_huneke():
    assert run([HUNEKE]) == ["huneke"]


@pytest.mark.parametrize("change", [{"relief_percent": 90}, {"onset_seconds": 301}, {"duration_hours": 19}])
def test_missing_any_criterion_with_enough_relief_is_partial(change):
    assert run([{**HUNEKE, **change}]) == ["partial"]


def test_the_short_complete_relief_of_seconds_to_hours_is_partial():
    assert run([{"onset_seconds": 2, "relief_percent": 100, "duration_hours": 0.01}]) == ["partial"]


def test_onset_of_exactly_300_seconds_still_counts():
    assert run([{**HUNEKE, "onset_seconds": 300}]) == ["huneke"]


def test_less_than_30_percent_relief_is_negative():
    assert run([{**HUNEKE, "relief_percent": 29}]) == ["negative"]
    assert run([{**HUNEKE, "relief_percent": 30, "duration_hours": 1}]) == ["partial"]


def test_a_tooth_needs_8_hours_not_20():
    tooth = {"id": "h1", "kind": "tooth", "tooth": "28", "description": "root-filled"}
    complaint = {"id": "c1", "regions": [{"region": "temple", "side": "left"}]}
    assert run([{**HUNEKE, "duration_hours": 8}], tooth, complaint) == ["huneke"]
    assert run([{**HUNEKE, "duration_hours": 7.5}], tooth, complaint) == ["partial"]


def test_a_repeat_lasting_as_long_or_longer_is_confirmed():
    assert run([HUNEKE, {**HUNEKE, "duration_hours": 24}]) == ["huneke", "confirmed"]
    assert run([HUNEKE, {**HUNEKE, "duration_hours": 21}]) == ["huneke", "huneke"]


def test_relief_where_the_complaint_is_is_local():
    item = {"id": "h1", "kind": "scar", "description": "shoulder scar", "regions": [{"region": "shoulder",
                                                                                     "side": "right"}]}
    assert run([HUNEKE], item) == ["local"]
    item["regions"][0]["side"] = "left"
    assert run([HUNEKE], item) == ["huneke"]


def test_a_tooth_lies_in_the_jaw_on_its_own_side():
    tooth = {"id": "h1", "kind": "tooth", "tooth": "38", "description": "extraction"}
    assert run([HUNEKE], tooth, {"id": "c1", "regions": [{"region": "jaw", "side": "left"}]}) == ["local"]
    assert run([HUNEKE], tooth, {"id": "c1", "regions": [{"region": "jaw", "side": "right"}]}) == ["huneke"]


def test_body_map_segments_count_for_local():
    item = {"id": "h1", "kind": "scar", "description": "x", "regions": [{"choir": 107, "side": "right"}]}
    assert run([HUNEKE], item) == ["local"]


def test_thresholds_are_a_clinic_setting():
    kb = load().with_overrides([("protocol", "huneke", {"criteria": {
        **load().get("protocol", "huneke")["criteria"], "duration_hours_min": 12}}, "our looser rule")])
    assert run([{**HUNEKE, "duration_hours": 12}], kb=kb) == ["huneke"]
    assert run([{**HUNEKE, "duration_hours": 12}]) == ["partial"]


def test_every_classification_gives_reasons():
    case = {"format": "segmenta-case/1", "complaints": [{"id": "c1"}],
            "history": [{"id": "h1", "kind": "scar", "description": "x"}],
            "tests": [{"history_id": "h1", "complaint_id": "c1", "relief_percent": 50}]}
    result = classify(case, load())["tests"][0]
    assert result["classification"] == "partial" and any("onset not recorded" in r for r in result["reasons"])
