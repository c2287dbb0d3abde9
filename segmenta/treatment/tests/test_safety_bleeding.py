"""Bleeding risk by procedure class and agent (Narouze et al., Reg Anesth Pain Med 2018;43:225:
the ASRA/ESRA pain-procedure guideline). Intermediate: paravertebral, sympathetic, sphenopalatine
and trigeminal blocks; low: peripheral nerve, trigger point and musculoskeletal injections."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.treatment.safety import _names

from .engine import codes, injection, reason, run, verdicts

AT = "2026-11-25T10:00"
PARAVERTEBRAL = dict(target="paravertebral", ml=20, time=AT)
STELLATE = dict(target="stellate", ml=4, region="neck", time=AT)


def medication(name, cls, last_dose=None):
    found = {"name": name, "class": cls}
    if last_dose:
        found["last_dose"] = last_dose
    return found


def test_clopidogrel_blocks_a_paravertebral_injection_and_warns_at_a_wheal():
    """Clopidogrel is held 7 days before intermediate-risk procedures."""
    meds = [medication("Clopidogrel 75 mg", "antiplatelet")]
    assert verdicts(run([injection(**PARAVERTEBRAL)], medications=meds)) == ["block"]
    result = run([injection(time=AT)], medications=meds)
    assert verdicts(result) == ["warn"] and "antiplatelet" in codes(result)


@pytest.mark.parametrize("name,cls,hours_ago,blocked", [
    ("apixaban", "anticoagulant", 119, True), ("apixaban", "anticoagulant", 121, False),
    ("Eliquis 5 mg", "other", 24, True), ("rivaroxaban", "anticoagulant", 121, False),
    ("edoxaban", "anticoagulant", 71, True), ("edoxaban", "anticoagulant", 73, False),
    ("clopidogrel", "antiplatelet", 167, True), ("clopidogrel", "antiplatelet", 169, False),
    ("prasugrel", "antiplatelet", 239, True), ("ticagrelor", "antiplatelet", 121, False),
    ("enoxaparin", "anticoagulant", 23, True), ("enoxaparin", "anticoagulant", 25, False),
])
def test_inside_the_hold_time_blocks_and_past_it_nothing_remains(name, cls, hours_ago, blocked):
    """Hold times of the guideline's tables, the longer end of a range."""
    from datetime import datetime, timedelta
    last = (datetime.fromisoformat(AT) - timedelta(hours=hours_ago)).isoformat(timespec="minutes")
    result = run([injection(**STELLATE)], medications=[medication(name, cls, last)])
    bleeding = {"anticoagulant", "antiplatelet"} & set(codes(result))
    assert bool(bleeding) is blocked
    assert (verdicts(result) == ["block"]) is blocked


def test_a_last_dose_given_as_a_date_counts_to_the_end_of_that_day():
    """A dose "on the 20th" may have been taken that evening: 120 h from 23:59."""
    meds = [medication("apixaban", "anticoagulant", "2026-11-20")]
    assert verdicts(run([injection(**{**STELLATE, "time": "2026-11-25T10:00"})], medications=meds)) == ["block"]
    assert verdicts(run([injection(**{**STELLATE, "time": "2026-11-26T10:00"})], medications=meds)) == ["ok"]


def test_an_unknown_last_dose_counts_as_still_active():
    result = run([injection(**STELLATE)], medications=[medication("rivaroxaban", "anticoagulant")])
    assert verdicts(result) == ["block"] and "not recorded" in reason(result, "anticoagulant")


def test_warfarin_past_its_hold_time_still_needs_a_normal_inr():
    """Warfarin: 5 days and a normal INR (the guideline; verified in the reference facts)."""
    meds = [medication("Warfarin", "anticoagulant", "2026-11-18T08:00")]
    without = run([injection(**STELLATE)], medications=meds)
    assert verdicts(without) == ["block"] and "INR" in reason(without, "anticoagulant")
    with_inr = run([injection(**STELLATE)], medications=meds, case={"findings": ["inr_normal"]})
    assert verdicts(with_inr) == ["ok"]


def test_dabigatran_is_held_longer_in_renal_impairment():
    """Dabigatran 4–5 days, 6 days in renal impairment."""
    meds = [medication("Pradaxa", "anticoagulant", "2026-11-20T08:00")]  # 122 h before
    assert "anticoagulant" not in codes(run([injection(**STELLATE)], medications=meds))
    assert "anticoagulant" in codes(run([injection(**STELLATE)], medications=meds, conditions=["kidney_impairment"]))


def test_an_anticoagulant_that_cannot_be_identified_has_no_hold_time():
    meds = [medication("Blutverdünner (Name unbekannt)", "anticoagulant", "2026-10-01")]
    result = run([injection(**STELLATE)], medications=meds)
    assert verdicts(result) == ["block"] and "not identified" in reason(result, "anticoagulant")


def test_an_unnamed_antiplatelet_drug_is_treated_as_a_p2y12_inhibitor():
    assert verdicts(run([injection(**PARAVERTEBRAL)], medications=[medication("", "antiplatelet")])) == ["block"]


def test_aspirin_and_nsaids_block_only_at_high_risk_targets():
    """Retrobulbar (ciliary) is classed high by Segmenta: a haemorrhage in the closed orbit."""
    ciliary = injection(target="ciliary", ml=2, region="eye", time=AT)
    for meds in ([medication("ASS 100", "antiplatelet")], [medication("naproxen", "nsaid")]):
        assert verdicts(run([ciliary], medications=meds)) == ["block"]
        assert verdicts(run([injection(**STELLATE)], medications=meds)) == ["warn"]


def test_nsaids_are_matched_by_name_whatever_their_class():
    assert "nsaid" in codes(run([injection(time=AT)], medications=[medication("Diclofenac gel", "other")]))


def test_names_match_whole_words_only():
    """'Glass' is not aspirin's German abbreviation ASS."""
    assert verdicts(run([injection(time=AT)], medications=[medication("Glassware", "other")])) == ["ok"]


def test_coagulopathy_follows_the_procedure_class():
    assert verdicts(run([injection(**PARAVERTEBRAL)], conditions=["coagulopathy"])) == ["block"]
    assert verdicts(run([injection(time=AT)], conditions=["coagulopathy"])) == ["warn"]


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.text(alphabet="abcé-+. 1", min_size=1, max_size=6), max_size=4),
       medication=st.text(alphabet="abcé-+. 1XY", max_size=20))
def test_an_agents_names_match_as_each_name_alone_would(names, medication):
    """The one pattern per agent (built once) finds a name where the names, tried one by one
    as whole words, find one, and nowhere else."""
    one_by_one = any(re.search(rf"(?<![\w-]){re.escape(n.lower())}(?!\w)", medication.lower()) for n in names)
    assert _names({"names": names}, medication.lower()) == one_by_one
