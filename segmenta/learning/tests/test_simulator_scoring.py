"""The case simulator's scoring against the real engines, and the vignettes' own checks."""

import copy
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmenta.assessment.engine import red_flags
from segmenta.knowledge.base import KnowledgeError, load, load_from
from segmenta.learning import simulator

KB = load()
VIGNETTES = KB.all("vignette")
IDS = [v["id"] for v in VIGNETTES]


def answers(**given_answers):
    return {**simulator.empty_answers(), **given_answers}


def wheal(volume=0.5, **extra):
    return {"target": "wheal", "drug": "procaine", "concentration_percent": 1, "volume_ml": volume, **extra}


def test_there_are_at_least_four_vignettes_with_their_texts_in_three_languages():
    assert len(VIGNETTES) >= 4
    for vignette in VIGNETTES:
        for language in ("de", "es"):
            block = vignette["i18n"][language]
            assert block["story"] and block["commentary"]
            assert len(block["questions"]) == len(vignette["questions"])


@pytest.mark.parametrize("vignette_id", IDS)
def test_expected_red_flags_are_what_the_engine_finds_on_the_visit_day(vignette_id):
    vignette = KB.get("vignette", vignette_id)
    found = {f["code"] for f in simulator.engine_answer(vignette, KB)["red_flags"]}
    assert found == set(vignette["expected_red_flags"])


@pytest.mark.parametrize("vignette_id", IDS)
def test_the_engines_own_answer_scores_the_top_mark_for_fields(vignette_id):
    vignette = KB.get("vignette", vignette_id)
    leading = [h for c in simulator.engine_answer(vignette, KB)["complaints"] for h in c["leading"]]
    result = simulator.score(vignette, answers(fields=leading), KB)
    assert result["parts"]["fields"]["points"] == simulator.WEIGHTS["fields"]
    assert result["parts"]["fields"]["missed"] == []


def test_fields_away_from_the_engines_answer_score_less():
    vignette = KB.get("vignette", "shoulder-scar")
    leading = simulator.engine_answer(vignette, KB)["complaints"][0]["leading"]
    others = [h["id"] for h in vignette["case"]["history"] if h["id"] not in leading]
    assert leading == ["h1"]  # the itching appendectomy scar, before the onset
    best = simulator.score(vignette, answers(fields=leading), KB)["parts"]["fields"]["points"]
    wider = simulator.score(vignette, answers(fields=leading + others), KB)["parts"]["fields"]["points"]
    wrong = simulator.score(vignette, answers(fields=others), KB)["parts"]["fields"]["points"]
    assert best > wider > wrong == 0


def test_the_red_flag_case_says_refer_first_and_an_injection_costs_the_target_points():
    vignette = KB.get("vignette", "back-pain-red-flags")
    flags = vignette["expected_red_flags"]
    referred = simulator.score(vignette, answers(red_flags=flags), KB)
    injected = simulator.score(vignette, answers(red_flags=flags, injections=[wheal()]), KB)
    assert referred["assessment"]["refer_first"] is True
    assert referred["parts"]["targets"]["points"] == simulator.WEIGHTS["targets"]
    assert injected["parts"]["targets"]["points"] == 0
    missed = simulator.score(vignette, answers(red_flags=flags[:1]), KB)["parts"]["red_flags"]
    assert set(missed["missed"]) == set(flags[1:])


def test_a_stellate_block_under_apixaban_is_blocked_and_earns_no_safety_points():
    vignette = KB.get("vignette", "anticoagulated-arm-pain")
    stellate = {"target": "stellate", "side": "left", "drug": "procaine", "concentration_percent": 1, "volume_ml": 5}
    result = simulator.score(vignette, answers(injections=[stellate]), KB)
    verdict = result["safety"]["injections"][0]
    assert verdict["verdict"] == "block"
    assert "anticoagulant" in {r["code"] for r in verdict["reasons"]}
    assert result["parts"]["safety"]["points"] == 0 and result["dangers"] == ["blocked"]
    # The engine marks the ganglion contraindicated, so it is no target it offers either.
    assert result["parts"]["targets"]["offered"] == [False]
    safe = simulator.score(vignette, answers(injections=[wheal()]), KB)
    assert safe["parts"]["targets"]["points"] == simulator.WEIGHTS["targets"]
    assert safe["parts"]["safety"]["points"] == simulator.WEIGHTS["safety"]


def test_a_dose_over_the_wheal_limit_is_blocked_and_the_safe_wheal_beside_it_earns_no_safety_points():
    vignette = KB.get("vignette", "shoulder-scar")
    result = simulator.score(vignette, answers(injections=[wheal(), wheal(volume=3)]), KB)
    assert [r["verdict"] for r in result["safety"]["injections"]] == ["ok", "block"]
    assert result["parts"]["safety"]["blocked"] == [1]
    assert result["parts"]["safety"]["points"] == 0 and result["dangers"] == ["blocked"]


def test_a_field_injection_counts_only_at_a_leading_field():
    vignette = KB.get("vignette", "shoulder-scar")
    scar = {"target": "scar", "drug": "procaine", "concentration_percent": 1, "volume_ml": 2}
    at_lead = simulator.score(vignette, answers(injections=[{**scar, "history_id": "h1"}]), KB)
    elsewhere = simulator.score(vignette, answers(injections=[{**scar, "history_id": "h3"}]), KB)
    assert at_lead["parts"]["targets"]["offered"] == [True]
    assert elsewhere["parts"]["targets"]["offered"] == [False]


def test_history_counts_the_questions_that_reveal_something_or_are_key():
    vignette = KB.get("vignette", "back-pain-red-flags")
    key = [q["id"] for q in vignette["questions"] if q["reveals"] or q.get("key") or q.get("screening")]
    idle = [q["id"] for q in vignette["questions"] if q["id"] not in key]
    assert idle == ["onset"]
    assert simulator.score(vignette, answers(asked=idle), KB)["parts"]["history"]["points"] == 0
    half = simulator.score(vignette, answers(asked=key[:1]), KB)["parts"]["history"]
    assert 0 < half["points"] < simulator.WEIGHTS["history"]
    assert simulator.score(vignette, answers(asked=key), KB)["parts"]["history"]["points"] == 10


def test_body_map_counts_the_complaints_segments_and_their_side():
    vignette = KB.get("vignette", "shoulder-scar")  # right shoulder
    choir = KB.entries["choir-segment"].values()
    right = [s["id"] for s in choir if "shoulder" in s["regions"] and s["side"] == "right"]
    left = [s["id"] for s in choir if "shoulder" in s["regions"] and s["side"] == "left"]
    feet = [s["id"] for s in choir if "foot" in s["regions"]]

    def points(ids):
        result = simulator.score(vignette, answers(regions=[{"choir": i} for i in ids]), KB)
        return result["parts"]["body_map"]["points"]

    assert points(right[:1]) == 10
    assert points(left) == 0
    assert 0 < points(right[:1] + feet[:1]) < 10


def test_a_perfect_run_scores_100_and_the_total_stays_within_0_and_100():
    vignette = KB.get("vignette", "shoulder-scar")
    engine = simulator.engine_answer(vignette, KB)
    right = next(s["id"] for s in KB.entries["choir-segment"].values()
                 if "shoulder" in s["regions"] and s["side"] == "right")
    perfect = answers(asked=[q["id"] for q in vignette["questions"]], regions=[{"choir": right}],
                      fields=engine["complaints"][0]["leading"], injections=[wheal()])
    assert simulator.score(vignette, perfect, KB)["score"] == 100
    worst = answers(red_flags=["fever", "seizure", "dyspnoea", "gi_bleeding", "visual_loss"],
                    injections=[{"target": "trigger_point", "drug": "procaine", "concentration_percent": 2,
                                 "volume_ml": 15}] * 2)
    assert simulator.score(vignette, worst, KB)["score"] == 0


@pytest.mark.parametrize("bad, field", [
    ({"asked": ["nonsense"]}, "asked[0]"),
    ({"red_flags": ["headache"]}, "red_flags[0]"),
    ({"regions": [{"choir": 999}]}, "regions[0]"),
    ({"fields": ["h9"]}, "fields[0]"),
    ({"injections": [{"target": "elbow", "drug": "procaine", "concentration_percent": 1, "volume_ml": 1}]},
     "injections[0].target"),
    ({"injections": [wheal(volume=0)]}, "injections[0].volume_ml"),
    ({"injections": [wheal(history_id="h9")]}, "injections[0].history_id"),
])
def test_answers_that_are_no_choice_of_the_case_are_refused_naming_the_field(bad, field):
    with pytest.raises(simulator.AnswerError) as error:
        simulator.score(KB.get("vignette", "shoulder-scar"), answers(**bad), KB)
    assert error.value.field == field


FLAG_CODES = sorted({f["id"] for f in KB.all("red-flag")})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vignette_id=st.sampled_from(IDS), named=st.lists(st.sampled_from(FLAG_CODES), unique=True, max_size=6),
       fields=st.lists(st.sampled_from(["h1", "h2", "h3"]), unique=True, max_size=3))
def test_catching_one_more_red_flag_never_lowers_the_score(vignette_id, named, fields):
    vignette = KB.get("vignette", vignette_id)
    history = {h["id"] for h in vignette["case"]["history"]}
    base = answers(red_flags=named, fields=[f for f in fields if f in history])
    before = simulator.score(vignette, base, KB)
    for code in before["parts"]["red_flags"]["missed"]:
        after = simulator.score(vignette, {**base, "red_flags": [*named, code]}, KB)
        assert after["score"] >= before["score"]
        assert after["parts"]["red_flags"]["points"] >= before["parts"]["red_flags"]["points"]
    assert 0 <= before["score"] <= 100


def test_the_red_flag_screening_of_the_assessment_finds_the_same_flags():
    """The assessment's own red-flag function, called directly, agrees with the debrief's."""
    vignette = KB.get("vignette", "back-pain-red-flags")
    codes = {f["code"] for f in red_flags(vignette["case"], KB, date.fromisoformat(vignette["seen_on"]))}
    assert codes == set(vignette["expected_red_flags"])


def _broken(tmp_path, change):
    import shutil

    import yaml

    from segmenta.knowledge.base import DATA_DIR

    shutil.copytree(DATA_DIR, tmp_path / "data")
    path = tmp_path / "data" / "vignettes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data[0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError) as error:
        load_from(tmp_path / "data")
    return " ".join(error.value.problems)


def test_kb_validate_refuses_a_vignette_whose_case_does_not_validate(tmp_path):
    def change(v):
        v["case"]["complaints"][0]["regions"] = [{"region": "elbowpit"}]
    assert "vignette 'shoulder-scar': case:" in _broken(tmp_path, change)


def test_kb_validate_refuses_a_visit_day_that_is_no_day(tmp_path):
    def change(v):
        v["seen_on"] = "2026-02-30"
    assert "seen_on: '2026-02-30' is no date" in _broken(tmp_path, change)


def test_kb_validate_refuses_a_question_revealing_nothing_of_the_case(tmp_path):
    def change(v):
        v["questions"][1]["reveals"] = ["h7"]
    assert "reveals 'h7'" in _broken(tmp_path, change)


def test_kb_validate_refuses_a_red_flag_finding_left_out_of_the_expected_ones(tmp_path):
    def change(v):
        v["case"]["findings"] = ["fever"]
    assert "holds the red flag 'fever'" in _broken(tmp_path, change)


def test_kb_validate_refuses_a_missing_translation(tmp_path):
    def change(v):
        v["i18n"]["es"]["commentary"] = ""
    assert "vignette" in _broken(tmp_path, change)


def test_kb_validate_refuses_an_unknown_source(tmp_path):
    def change(v):
        v["sources"] = ["no-such-source"]
    assert "unknown source 'no-such-source'" in _broken(tmp_path, change)


def test_scoring_does_not_change_the_vignette():
    vignette = KB.get("vignette", "anticoagulated-arm-pain")
    before = copy.deepcopy(vignette)
    simulator.score(vignette, answers(injections=[wheal()]), KB)
    assert vignette == before


# --- Plans that harm or do nothing must not pass ------------------------------------------

def test_an_overdose_plan_is_capped_and_its_blocked_injections_earn_no_target_points():
    """Three 20 mL wheals of 2 % procaine in shoulder-scar: every one is blocked."""
    vignette = KB.get("vignette", "shoulder-scar")
    engine = simulator.engine_answer(vignette, KB)
    right = next(s["id"] for s in KB.entries["choir-segment"].values()
                 if "shoulder" in s["regions"] and s["side"] == "right")
    overdose = {"target": "wheal", "drug": "procaine", "concentration_percent": 2, "volume_ml": 20}
    plan = answers(asked=[q["id"] for q in vignette["questions"]], regions=[{"choir": right}],
                   fields=engine["complaints"][0]["leading"], injections=[overdose] * 3)
    result = simulator.score(vignette, plan, KB)
    assert result["parts"]["safety"]["blocked"] == [0, 1, 2]
    assert result["parts"]["targets"]["offered"] == [False, False, False]
    assert result["parts"]["targets"]["points"] == 0
    assert result["capped"] is True
    assert result["score"] <= simulator.BLOCKED_CAP
    # One blocked injection beside a safe one still caps the whole plan.
    mixed = simulator.score(vignette, {**plan, "injections": [wheal(), overdose]}, KB)
    assert mixed["parts"]["targets"]["offered"] == [True, False]
    assert mixed["score"] == simulator.BLOCKED_CAP
    safe = simulator.score(vignette, {**plan, "injections": [wheal()]}, KB)
    assert safe["capped"] is False and safe["score"] > simulator.BLOCKED_CAP


@pytest.mark.parametrize("vignette_id", IDS)
def test_an_empty_answer_scores_at_most_10(vignette_id):
    result = simulator.score(KB.get("vignette", vignette_id), answers(), KB)
    assert result["score"] <= 10
    assert result["parts"]["safety"]["points"] == 0


@pytest.mark.parametrize("vignette_id", [v["id"] for v in VIGNETTES if not v["expected_red_flags"]])
def test_no_red_flag_is_credited_only_after_the_screening_question(vignette_id):
    vignette = KB.get("vignette", vignette_id)
    screening = [q["id"] for q in vignette["questions"] if q.get("screening")]
    assert screening
    silent = simulator.score(vignette, answers(), KB)["parts"]["red_flags"]["points"]
    asked = simulator.score(vignette, answers(asked=screening), KB)["parts"]["red_flags"]["points"]
    assert (silent, asked) == (0, simulator.WEIGHTS["red_flags"])


def test_refer_first_earns_its_credit_only_with_a_red_flag_named():
    vignette = KB.get("vignette", "back-pain-red-flags")
    flags = vignette["expected_red_flags"]
    nothing = simulator.score(vignette, answers(), KB)["parts"]
    named = simulator.score(vignette, answers(red_flags=flags[:1]), KB)["parts"]
    assert nothing["targets"]["points"] == nothing["safety"]["points"] == 0
    assert named["targets"]["points"] == simulator.WEIGHTS["targets"]
    assert named["safety"]["points"] == simulator.WEIGHTS["safety"]


def test_injecting_where_the_engine_says_refer_first_earns_no_safety_points_and_cannot_pass():
    """Night pain, weight loss and new pain at 63: the safety engine answers "ok" to a small
    wheal, which judges the injection alone; the plan still skips the work-up the red flags ask for."""
    vignette = KB.get("vignette", "back-pain-red-flags")
    engine = simulator.engine_answer(vignette, KB)
    lower_back = [{"choir": s["id"]} for s in KB.entries["choir-segment"].values() if "lower_back" in s["regions"]]
    good = answers(asked=[q["id"] for q in vignette["questions"]], regions=lower_back,
                   fields=[h for c in engine["complaints"] for h in c["leading"]])
    for named in ([], vignette["expected_red_flags"]):
        injected = simulator.score(vignette, {**good, "red_flags": named, "injections": [wheal()]}, KB)
        assert [v["verdict"] for v in injected["safety"]["injections"]] == ["ok"]
        assert injected["dangers"] == ["before_referral"]
        assert injected["parts"]["safety"]["points"] == 0
        assert injected["parts"]["targets"]["points"] == 0
        assert injected["score"] <= simulator.BLOCKED_CAP
    referred = simulator.score(vignette, {**good, "red_flags": vignette["expected_red_flags"]}, KB)
    assert referred["dangers"] == [] and referred["score"] == 100


def test_the_apixaban_case_counts_the_medication_and_allergy_questions_in_the_history():
    vignette = KB.get("vignette", "anticoagulated-arm-pain")
    revealing = [q["id"] for q in vignette["questions"] if q["reveals"]]
    part = simulator.score(vignette, answers(asked=revealing), KB)["parts"]["history"]
    assert {"medication", "allergies", "red-flags"} <= set(part["missed"])
    assert part["points"] < simulator.WEIGHTS["history"]
    everything = [q["id"] for q in vignette["questions"]]
    assert simulator.score(vignette, answers(asked=everything), KB)["parts"]["history"]["points"] == 10


@pytest.mark.parametrize("vignette_id", IDS)
def test_every_vignette_marks_its_medication_question_key(vignette_id):
    questions = KB.get("vignette", vignette_id)["questions"]
    assert any(q.get("key") and q["id"] == "medication" for q in questions)


@pytest.mark.parametrize("target", ["pterygopalatine", "superior_cervical", "stellate"])
def test_a_discouraged_ganglion_block_in_the_sinus_headache_earns_no_target_points(target):
    vignette = KB.get("vignette", "sinus-headache")
    suggested = {t["target"] for t in simulator.engine_answer(vignette, KB)["complaints"][0]["ganglionic_targets"]}
    assert target in suggested  # the engine lists it; the vignette's data discourages it
    block = {"target": target, "side": "right", "drug": "procaine", "concentration_percent": 1, "volume_ml": 2}
    risky = simulator.score(vignette, answers(injections=[block]), KB)["parts"]["targets"]
    conservative = simulator.score(vignette, answers(injections=[wheal()]), KB)["parts"]["targets"]
    assert risky["offered"] == [False] and risky["points"] == 0
    assert conservative["points"] >= risky["points"]


def test_kb_validate_refuses_a_discouraged_target_that_is_no_technique(tmp_path):
    def change(v):
        v["discouraged_targets"] = ["elbow"]
    assert "discouraged_targets: 'elbow' is no technique" in _broken(tmp_path, change)


def test_kb_validate_refuses_a_vignette_without_a_screening_question(tmp_path):
    def change(v):
        for question in v["questions"]:
            question.pop("screening", None)
    assert "none is marked screening" in _broken(tmp_path, change)


def test_a_field_technique_counts_only_at_a_field_it_treats():
    """A tonsil injection aimed at the leading appendectomy scar is no answer to it, though
    the safety engine, judging the injection alone, lets it pass."""
    vignette = KB.get("vignette", "shoulder-scar")
    dose = {"drug": "procaine", "concentration_percent": 1, "volume_ml": 1, "history_id": "h1"}
    scar = simulator.score(vignette, answers(injections=[{"target": "scar", **dose}]), KB)
    tonsil = simulator.score(vignette, answers(injections=[{"target": "tonsil", **dose}]), KB)
    assert scar["parts"]["targets"]["offered"] == [True]
    assert tonsil["parts"]["targets"]["offered"] == [False]
    assert tonsil["parts"]["targets"]["points"] < scar["parts"]["targets"]["points"]


@pytest.mark.parametrize("technique, kind, fits", [
    ("scar", "scar", True), ("scar", "tattoo", True), ("tooth", "tooth", True), ("tonsil", "tonsils", True),
    ("tonsil", "scar", False), ("tooth", "tonsils", False), ("scar", "tooth", False),
    # No technique names a fracture or a sinus: any field technique is left to the learner.
    ("scar", "fracture", True), ("tonsil", "sinus", True)])
def test_which_field_technique_fits_which_field(technique, kind, fits):
    assert simulator.fits_the_field(KB.get("technique", technique), kind, KB) is fits
