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
