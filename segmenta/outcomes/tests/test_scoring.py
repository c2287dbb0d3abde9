"""Scoring against the instruments' published rules."""

import json
import subprocess
import sys

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from segmenta.outcomes.scoring import INSTRUMENT_DIR, ScoreError, instruments, score, series


@pytest.mark.parametrize("path", sorted(INSTRUMENT_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_instrument_is_a_valid_fhir_r4_questionnaire(path):
    Questionnaire.model_validate(json.loads(path.read_text()))


def test_the_free_instruments_are_shipped_with_their_loinc_codes():
    shipped = instruments()
    assert set(shipped) == {"nrs-11", "pgic", "psfs", "phq-9", "gad-7"}
    assert shipped["phq-9"]["code"][0]["code"] == "44249-1"
    assert shipped["gad-7"]["code"][0]["code"] == "69737-5"
    assert shipped["nrs-11"]["code"][0]["code"] == "72514-3"


@pytest.mark.parametrize("answers,total,band", [
    ([0] * 9, 0, "minimal"), ([0, 0, 0, 1, 1, 1, 1, 0, 0], 4, "minimal"), ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
    ([1] * 9, 9, "mild"), ([2, 2, 2, 2, 2, 0, 0, 0, 0], 10, "moderate"), ([2, 2, 2, 2, 2, 2, 2, 1, 0], 15,
                                                                          "moderately_severe"),
    ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"), ([3] * 9, 27, "severe")])
def test_phq9_totals_and_bands(answers, total, band):
    result = score("phq-9", {"answers": answers})
    assert (result["total"], result["band"]) == (total, band)


@pytest.mark.parametrize("answers,band", [([0, 0, 0, 1, 1, 1, 1], "minimal"), ([1, 1, 1, 1, 1, 0, 0], "mild"),
                                          ([2, 2, 2, 2, 2, 0, 0], "moderate"), ([3, 3, 3, 3, 3, 0, 0], "severe")])
def test_gad7_bands(answers, band):
    assert score("gad-7", {"answers": answers})["band"] == band


def test_choice_answers_may_be_codes():
    result = score("gad-7", {"answers": ["nearly_every_day"] * 7})
    assert result["total"] == 21 and result["band"] == "severe"


@pytest.mark.parametrize("answer,responder", [("very_much_improved", True), ("much_improved", True),
                                              ("minimally_improved", False), ("very_much_worse", False)])
def test_pgic_responders_are_much_or_very_much_improved(answer, responder):
    result = score("pgic", {"answers": [answer]})
    assert result["band"] == answer and result["responder"] is responder


def test_pgic_accepts_its_1_to_7_scale():
    assert score("pgic", {"answers": [2]})["band"] == "much_improved"


def test_psfs_is_the_mean_of_the_rated_activities():
    assert score("psfs", {"answers": [4, 6, 8]})["total"] == 6


def test_nrs_total_is_pain_now():
    assert score("nrs-11", {"answers": [6, 5, 8]})["total"] == 6


def test_a_fhir_questionnaire_response_is_scored_by_link_id():
    response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [
        {"linkId": f"gad7-{i}", "answer": [{"valueCoding": {"code": "several_days"}}]} for i in range(1, 8)]}
    assert score("gad-7", response)["total"] == 7


@pytest.mark.parametrize("instrument,answers,message", [
    ("phq-9", [1] * 8, "item phq9-9: missing"),
    ("phq-9", [1, 1, 1, 1, 4, 1, 1, 1, 1], "item phq9-5:"),
    ("nrs-11", [11, 5, 5], "item now: 11 is out of range 0–10"),
    ("nrs-11", [5.5, 5, 5], "item now: 5.5 is not a whole number"),
    ("nrs-11", ["five", 5, 5], "item now:"),
])
def test_bad_answers_name_the_item(instrument, answers, message):
    with pytest.raises(ScoreError, match=message.replace("(", r"\(")):
        score(instrument, {"answers": answers})


def test_series_reports_change_and_responders():
    result = series("nrs-11", {"values": [6, 5, 4]})
    assert (result["change"], result["percent_change"]) == (-2, -33.3)
    assert result["responder"] == {"30_percent": True, "50_percent": False, "2_points": True}
    assert series("nrs-11", {"values": [6, 7]})["responder"] == {"30_percent": False, "50_percent": False,
                                                                "2_points": False}


def test_series_from_zero_has_no_percentage():
    assert series("nrs-11", {"values": [0, 0]})["percent_change"] is None


def test_reliable_change_is_reported_only_where_reliability_is_known():
    assert series("nrs-11", {"values": [8, 3]})["reliable_change_index"] is None


@pytest.mark.parametrize("data,message", [({"values": [8]}, "values:"), ({"values": [8, 12]}, "values\\[1\\]"),
                                          ({"values": [8, "x"]}, "values\\[1\\]")])
def test_bad_series_are_named(data, message):
    with pytest.raises(ScoreError, match=message):
        series("nrs-11", data)


def test_cli_scores_and_exits_2_on_bad_input(tmp_path):
    def run(*args, stdin):
        return subprocess.run([sys.executable, "-m", "segmenta", "score", *args], input=stdin, capture_output=True,
                              text=True, timeout=60)
    ok = run("phq-9", "-", stdin=json.dumps({"answers": [2] * 9}))
    assert ok.returncode == 0 and json.loads(ok.stdout)["band"] == "moderately_severe"
    bad = run("phq-9", "-", stdin=json.dumps({"answers": [2] * 8}))
    assert bad.returncode == 2 and bad.stderr.strip().endswith("item phq9-9: missing")
    assert json.loads(run("nrs-11", "--series", "-", stdin='{"values": [8, 4]}').stdout)["responder"]["50_percent"]
    assert run("spam", "-", stdin="{}").returncode == 2
