"""Nernst and Goldman–Hodgkin–Katz potentials against textbook values, their properties, and
the excitability view of a sodium-channel block (segmenta/learning/membrane.py)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.knowledge.base import MEMBRANE_MODEL, load
from segmenta.learning import membrane
from segmenta.learning.membrane import Limits, MembraneError

LIMITS = Limits(temp_min_c=0, temp_max_c=45, concentration_min=0.001, concentration_max=1000, permeability_min=0.0001,
                permeability_max=100)
# The lab's textbook neuron as the knowledge base ships it.
NEURON, SHIPPED_LIMITS, PRESETS = membrane.from_model(load().get("membrane-model", MEMBRANE_MODEL))


def test_the_gas_and_faraday_constants_are_the_exact_si_values():
    assert membrane.R == pytest.approx(8.314462618, abs=1e-9)
    assert membrane.F == pytest.approx(96485.33212, abs=1e-5)


@pytest.mark.parametrize(("temp_c", "per_decade_mv"), [(37, 61.5), (20, 58.2)])
def test_a_tenfold_gradient_of_a_monovalent_ion_is_61_5_mv_at_body_and_58_mv_at_room_temperature(
        temp_c, per_decade_mv):
    assert membrane.nernst_mv("K", 100, 10, temp_c) == pytest.approx(-per_decade_mv, abs=0.1)
    assert membrane.nernst_mv("Cl", 100, 10, temp_c) == pytest.approx(per_decade_mv, abs=0.1)


@pytest.mark.parametrize(("ion", "inside", "outside", "expected_mv"), [
    # The mammalian neuron of Purves' table at 37 °C.
    ("K", 140, 5, -89), ("Na", 12, 145, 66.6), ("Cl", 7, 110, -73.6),
    # Hille, table 1.1, mammalian skeletal muscle: E_Na +67, E_K −98, E_Cl −90 mV.
    ("Na", 12, 145, 67), ("K", 155, 4, -98), ("Cl", 4.2, 123, -90),
])
def test_nernst_potentials_match_the_textbooks(ion, inside, outside, expected_mv):
    assert membrane.nernst_mv(ion, inside, outside, 37) == pytest.approx(expected_mv, abs=1)


def test_the_ghk_potential_of_the_textbook_neuron_is_about_minus_70_mv():
    # K 140/5, Na 12/145, Cl 7/110, P_K : P_Na : P_Cl = 1 : 0.04 : 0.45 at 37 °C; worked by hand:
    # 26.727 mV × ln((5 + 0.04·145 + 0.45·7) / (140 + 0.04·12 + 0.45·110)) = −69.80 mV.
    values = {"temp_c": 37, "k_in": 140, "k_out": 5, "na_in": 12, "na_out": 145, "cl_in": 7, "cl_out": 110,
              "p_k": 1, "p_na": 0.04, "p_cl": 0.45}
    result = membrane.potentials(values, LIMITS)
    assert result["vm_mv"] == pytest.approx(-69.80, abs=0.01)
    assert -90 <= round(result["vm_mv"]) <= -70


def test_the_textbook_neuron_with_sodium_channels_open_swings_towards_e_na():
    # At the action potential's peak P_Na is about 20 × P_K (Hodgkin & Katz 1949): the membrane
    # overshoots zero towards E_Na (about +51 mV with these concentrations).
    peak = membrane.potentials({**NEURON, "p_na": 20}, LIMITS)
    assert 40 < peak["vm_mv"] < peak["nernst_mv"]["Na"]


def test_the_shipped_neuron_rests_in_the_range_the_knowledge_base_states():
    entry = load().get("membrane-model", MEMBRANE_MODEL)
    vm = membrane.potentials(NEURON, SHIPPED_LIMITS)["vm_mv"]
    assert entry["resting_mv"]["min"] <= round(vm) <= entry["resting_mv"]["max"]


def test_temperature_scales_every_potential_by_absolute_temperature():
    cold, warm = membrane.potentials({**NEURON, "temp_c": 0}, LIMITS), membrane.potentials(NEURON, LIMITS)
    ratio = (37 + 273.15) / 273.15
    assert warm["vm_mv"] == pytest.approx(cold["vm_mv"] * ratio)
    assert warm["nernst_mv"]["K"] == pytest.approx(cold["nernst_mv"]["K"] * ratio)


concentration = st.floats(min_value=0.1, max_value=1000, allow_nan=False)
permeability = st.one_of(st.just(0.0), st.floats(min_value=0.0001, max_value=100, allow_nan=False))
membranes = st.fixed_dictionaries({
    "temp_c": st.floats(min_value=0, max_value=45), "k_in": concentration, "k_out": concentration,
    "na_in": concentration, "na_out": concentration, "cl_in": concentration, "cl_out": concentration,
    "p_k": permeability, "p_na": permeability, "p_cl": permeability,
}).filter(lambda v: max(v["p_k"], v["p_na"], v["p_cl"]) > 1e-6)


@settings(max_examples=300, deadline=None)
@given(membranes)
def test_vm_lies_between_the_nernst_potentials_of_the_ions_that_cross(values):
    result = membrane.potentials(values, LIMITS)
    crossing = [result["nernst_mv"][ion] for ion in membrane.IONS if values[membrane.PERMEABILITIES[ion]] > 0]
    assert min(crossing) - 1e-6 <= result["vm_mv"] <= max(crossing) + 1e-6


@settings(max_examples=200, deadline=None)
@given(membranes, st.floats(min_value=0.01, max_value=100))
def test_scaling_every_permeability_leaves_vm_unchanged(values, factor):
    scaled = {**values, **{name: min(values[name] * factor, 100) for name in membrane.PERMEABILITIES.values()}}
    if any(scaled[name] != values[name] * factor or 0 < scaled[name] < LIMITS.permeability_min
           for name in membrane.PERMEABILITIES.values()):
        return  # a permeability left the lab's limits, so this is no longer a pure scaling
    assert membrane.potentials(scaled, LIMITS)["vm_mv"] == pytest.approx(
        membrane.potentials(values, LIMITS)["vm_mv"], abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(membranes, st.floats(min_value=0.001, max_value=100))
def test_with_only_potassium_crossing_vm_is_e_k(values, p_k):
    result = membrane.potentials({**values, "p_k": p_k, "p_na": 0, "p_cl": 0}, LIMITS)
    assert result["vm_mv"] == pytest.approx(result["nernst_mv"]["K"], abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-85, max_value=40))
def test_the_sodium_permeability_found_for_a_potential_gives_that_potential(target_mv):
    p_na = membrane.sodium_permeability_for(target_mv, NEURON)
    if p_na is None:
        assert target_mv < membrane.ghk_mv({**NEURON, "p_na": 0})
    else:
        assert membrane.ghk_mv({**NEURON, "p_na": p_na}) == pytest.approx(target_mv, abs=1e-6)


def test_no_sodium_permeability_reaches_e_na():
    e_na = membrane.nernst_mv("Na", NEURON["na_in"], NEURON["na_out"], NEURON["temp_c"])
    assert membrane.sodium_permeability_for(e_na + 1, NEURON) is None


def test_blocking_sodium_channels_leaves_the_resting_potential_and_makes_threshold_harder_to_reach():
    free, half, most = (membrane.excitability(NEURON, LIMITS, -55, 20, blocked) for blocked in (0, 0.5, 0.999))
    assert free["resting_mv"] == half["resting_mv"] == most["resting_mv"]
    assert free["reaches_threshold"] and half["reaches_threshold"]
    assert 0 < free["share_needed"] < half["share_needed"] < 1
    assert half["share_needed"] == pytest.approx(2 * free["share_needed"])
    assert half["highest_mv"] < free["highest_mv"]
    assert not most["reaches_threshold"] and most["share_needed"] is None and most["highest_mv"] < -55


def test_a_membrane_resting_above_threshold_is_reported_as_such():
    depolarised = membrane.excitability({**NEURON, "k_out": 30}, LIMITS, -55, 20, 0)
    assert depolarised["resting_mv"] > -55 and depolarised["share_needed"] == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"k_in": 0}, "k_in"), ({"na_out": -1}, "na_out"), ({"cl_in": 2000}, "cl_in"), ({"p_na": -0.1}, "p_na"),
    ({"temp_c": 80}, "temp_c"), ({"temp_c": -5}, "temp_c"), ({"k_out": "five"}, "k_out"),
    ({"p_cl": float("nan")}, "p_cl"), ({"p_k": 0, "p_na": 0, "p_cl": 0}, "p_k"), ({"na_in": None}, "na_in"),
    # Tiny but positive: 1e-320 mmol/L made E_K infinite; 5e-324 times 0.5 mmol/L rounds to 0.
    ({"k_in": 1e-320}, "k_in"), ({"p_k": 5e-324, "p_na": 0, "p_cl": 0}, "p_k"),
])
def test_invalid_inputs_are_refused_naming_the_field(change, field):
    with pytest.raises(MembraneError) as refused:
        membrane.potentials({**NEURON, **change}, LIMITS)
    assert refused.value.field == field and str(refused.value).startswith(f"{field}: ")


def test_a_decimal_comma_is_read_as_a_number():
    assert membrane.checked({**NEURON, "p_na": "0,04"}, LIMITS)["p_na"] == 0.04


def test_the_shipped_presets_only_change_what_they_name():
    by_id = {p["id"]: p for p in PRESETS}
    assert by_id["resting"]["values"] == NEURON and by_id["resting"]["blocked_fraction"] == 0
    assert by_id["procaine"]["values"] == NEURON and by_id["procaine"]["blocked_fraction"] > 0
    raised = by_id["raised-potassium"]["values"]
    assert raised["k_out"] > NEURON["k_out"] and {k: v for k, v in raised.items() if k != "k_out"} == {
        k: v for k, v in NEURON.items() if k != "k_out"}
    assert math.isclose(membrane.potentials(raised, SHIPPED_LIMITS)["vm_mv"],
                        membrane.potentials(NEURON, SHIPPED_LIMITS)["vm_mv"]) is False
