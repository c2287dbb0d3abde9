import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmenta.knowledge.last import lipid_doses


def test_lipid_doses_up_to_70_kg_are_per_kilogram():
    doses = lipid_doses(60)
    assert (doses["bolus_ml"], doses["infusion_ml_per_min"], doses["max_total_ml"]) == (90.0, 15.0, 720)


def test_lipid_doses_above_70_kg_are_fixed():
    doses = lipid_doses(90)
    assert (doses["bolus_ml"], doses["infusion_total_ml"], doses["max_total_ml"]) == (100, "200–250", 1080)


@pytest.mark.parametrize("weight", [0, -5, 401, "70", None, True])
def test_impossible_weights_are_refused(weight):
    with pytest.raises(ValueError, match="weight_kg"):
        lipid_doses(weight)


@given(st.floats(min_value=1, max_value=400))
def test_the_bolus_never_exceeds_the_upper_limit(weight):
    doses = lipid_doses(weight)
    assert doses["bolus_ml"] <= doses["max_total_ml"] + 1


# --- Lean body weight, the AAGBI regimen, adrenaline and the whole card -------------------

from segmenta.knowledge.base import load  # noqa: E402
from segmenta.knowledge.last import (  # noqa: E402
    aagbi_doses,
    adrenaline_dose,
    emergency_card,
    lean_body_weight,
)


def test_lean_body_weight_follows_janmahasatian_for_each_sex():
    """Janmahasatian 2005: LBW = 9270 × W / (6680 + 216 × BMI) for men, / (8780 + 244 × BMI) for women."""
    bmi = 60 / 1.65 ** 2
    assert lean_body_weight(60, 165, "female")["kg"] == round(9270 * 60 / (8780 + 244 * bmi), 1) == 39.3
    assert lean_body_weight(60, 165, "male")["kg"] == round(9270 * 60 / (6680 + 216 * bmi), 1) == 48.6


def test_an_unrecorded_sex_takes_the_lower_estimate_and_says_so():
    lean = lean_body_weight(60, 165, "unknown")
    assert (lean["kg"], lean["sex_used"]) == (39.3, "unknown")


def test_lean_body_weight_never_exceeds_the_weight():
    assert lean_body_weight(30, 250, "male")["kg"] == 30


@pytest.mark.parametrize("height", [0, 20, 300, "170", None])
def test_impossible_heights_are_refused(height):
    with pytest.raises(ValueError, match="height_cm"):
        lean_body_weight(70, height, "male")


def test_up_to_70_kg_the_asra_doses_use_lean_body_weight():
    """ASRA LAST checklist 2020: ≤ 70 kg, bolus 1.5 mL/kg lean body weight, then 0.25 mL/kg/min."""
    doses = lipid_doses(60, lean_kg=39.3)
    assert (doses["dose_basis"], doses["bolus_ml"], doses["infusion_ml_per_min"]) == ("lean", 58.9, 9.8)
    assert doses["max_total_ml"] == round(12 * 39.3)


def test_without_a_lean_weight_the_asra_doses_say_they_are_on_actual_weight():
    doses = lipid_doses(60)
    assert doses["dose_basis"] == "actual" and doses["lean_wanted"]


def test_above_70_kg_the_asra_doses_stay_fixed_whatever_the_lean_weight():
    """ASRA: > 70 kg bolus 100 mL over 2–3 min, then 200–250 mL over 15–20 min."""
    doses = lipid_doses(95, lean_kg=50)
    assert (doses["dose_basis"], doses["bolus_ml"], doses["infusion_total_ml"]) == ("fixed", 100, "200–250")


def test_the_aagbi_regimen_doses_per_kg_of_actual_weight_as_written():
    """AAGBI 2010: 1.5 mL/kg over 1 min, 15 mL/kg/h, two repeat boluses at 5 min, 30 mL/kg/h, at most 12 mL/kg."""
    doses = aagbi_doses(80, lean_kg=55)
    assert (doses["dose_basis"], doses["bolus_ml"], doses["infusion_ml_per_hour"]) == ("actual", 120.0, 1200)
    assert (doses["doubled_infusion_ml_per_hour"], doses["repeat_boluses_max"], doses["max_total_ml"]) == (2400, 2, 960)


def test_adrenaline_is_a_hundredth_of_a_milligram_per_kilogram_up_to_half_a_milligram():
    """Resuscitation Council UK 2021: adrenaline 1 mg/mL IM 0.01 mg/kg, adult maximum 0.5 mg."""
    child = adrenaline_dose(25)
    assert (child["mg"], child["ml"], child["capped"]) == (0.25, 0.25, False)
    adult = adrenaline_dose(80)
    assert (adult["mg"], adult["ml"], adult["capped"]) == (0.5, 0.5, True)


def test_adrenaline_without_a_weight_gives_only_the_adult_dose_and_says_the_weight_is_unknown():
    dose = adrenaline_dose(None)
    assert (dose["weight_known"], dose["mg"], dose["adult_max_mg"]) == (False, None, 0.5)


@given(st.floats(min_value=1, max_value=400), st.floats(min_value=30.5, max_value=250))
def test_adrenaline_never_exceeds_the_adult_maximum_and_lipid_never_its_limit(weight, height):
    assert adrenaline_dose(weight)["mg"] <= 0.5
    lean = lean_body_weight(weight, height, "female")["kg"]
    doses = lipid_doses(weight, lean_kg=lean)
    assert doses["bolus_ml"] <= doses["max_total_ml"] + 1


def test_the_card_names_every_unknown():
    card = emergency_card(None, None, "other", 10)
    assert card["warnings"] == ["weight_unknown", "height_unknown", "lean_formula_adults_only"]
    assert card["asra"] is None and card["aagbi"] is None and card["adrenaline"]["weight_known"] is False
    assert card["asra_fixed"]["bolus_ml"] == 100


def test_the_card_without_height_doses_on_actual_weight_and_flags_it():
    card = emergency_card(60, None, "female", 40)
    assert card["warnings"] == ["height_unknown"] and card["asra_on_actual_weight"]
    assert card["asra"]["bolus_ml"] == 90.0


def test_the_card_with_weight_height_and_sex_uses_lean_weight_and_warns_of_nothing():
    card = emergency_card(60, 165, "female", 40)
    assert card["warnings"] == [] and card["lean"]["kg"] == 39.3 and card["asra"]["bolus_ml"] == 58.9


def test_every_figure_of_the_card_comes_from_a_sourced_knowledge_base_entry():
    kb = load()
    for entry_id in ("last", "last-aagbi", "last-monitoring", "lean-body-weight", "anaphylaxis", "vasovagal",
                     "emergency-equipment", "pharmacovigilance"):
        entry = kb.get("protocol", entry_id)
        assert entry is not None, entry_id
        assert entry["sources"] or entry["evidence"] == "no_source", entry_id
    assert kb.get("protocol", "vasovagal")["evidence"] == "no_source"
