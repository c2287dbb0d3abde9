"""Per-target limits per drug, typical volumes, and age."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenta.knowledge.base import load

from .engine import ALL_TECHNIQUES, codes, injection, run, verdicts

NECK = dict(region="neck", time="2026-11-25T10:00")


def test_lidocaine_at_the_stellate_is_capped_at_100_mg():
    """German lidocaine SPCs (Lidoject, Lidocain-Welk): a stellate block at most 100 mg."""
    result = run([injection(target="stellate", drug="lidocaine", conc=1, ml=19, **NECK)], weight=80)
    assert verdicts(result) == ["block"]
    assert {"per_application_limit", "above_typical_volume"} <= set(codes(result))
    assert verdicts(run([injection(target="stellate", drug="lidocaine", conc=1, ml=5, **NECK)], weight=80)) == ["ok"]


def test_lidocaine_has_its_own_session_limit_of_300_mg():
    """German lidocaine SPCs: 300 mg as a single dose without a vasoconstrictor."""
    result = run([injection(target="limb_nerve", drug="lidocaine", conc=1, ml=25, region="thigh")] * 2, weight=100)
    assert result["limit_mg"] == 300 and verdicts(result) == ["ok", "block"]


def test_procaine_at_the_stellate_keeps_the_sympathetic_chain_limit():
    """Procaine SPC: sympathetic chain blocks up to 40 mL of 1 %."""
    assert "per_application_limit" not in codes(run([injection(target="stellate", ml=40, **NECK)], weight=100))
    assert "per_application_limit" in codes(run([injection(target="stellate", ml=41, **NECK)], weight=100))


def test_more_than_the_typical_volume_warns():
    """Stellate 3–5 mL in ultrasound studies (PMC4799607)."""
    result = run([injection(target="stellate", ml=8, **NECK)])
    assert verdicts(result) == ["warn"] and "above_typical_volume" in codes(result)
    assert verdicts(run([injection(target="stellate", ml=5, **NECK)])) == ["ok"]


def test_a_child_gets_no_retrobulbar_injection():
    """The first-use walkthrough: a 10-year-old, 25 kg, 8 mL procaine 2 % at the ciliary ganglion
    answered "ok". Procaine SPCs: no experience under 15 years."""
    result = run([injection(target="ciliary", conc=2, ml=8, region="eye", time="2026-11-25T10:00")],
                 weight=25, birth_date="2016-06-01")
    assert verdicts(result) == ["block"]
    assert {"age_under_15", "per_application_limit", "above_typical_volume"} <= set(codes(result))


def test_under_15_warns_and_every_ganglion_is_blocked():
    wheal = run([injection()], weight=40, birth_date="2013-01-01")
    assert verdicts(wheal) == ["warn"] and "age_under_15" in codes(wheal)
    stellate = run([injection(target="stellate", ml=3, **NECK)], weight=40, birth_date="2013-01-01")
    assert verdicts(stellate) == ["block"] and "age_under_15" in codes(stellate)


def test_a_child_of_unknown_weight_is_blocked():
    result = run([injection()], weight=None, birth_date="2016-01-01")
    assert verdicts(result) == ["block"] and "weight_unknown" in codes(result)


def test_fifteen_is_no_longer_a_child_and_65_is_older():
    assert "age_under_15" not in codes(run([injection()], birth_date="2011-11-25"))
    older = run([injection()], birth_date="1961-11-25")
    assert verdicts(older) == ["warn"] and "age_65_or_over" in codes(older)
    assert "age_65_or_over" not in codes(run([injection()], birth_date="1961-11-26"))


def _max_mg(target, drug):
    limit = load().get("technique", target)["limits"].get(drug)
    return limit["max_mg"] if limit else None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_TECHNIQUES), st.sampled_from(["procaine", "lidocaine"]),
       st.sampled_from([0.5, 1, 2]), st.floats(min_value=0.05, max_value=60))
def test_no_injection_above_its_target_maximum_passes_without_a_block(target, drug, conc, ml):
    result = run([injection(target=target, drug=drug, conc=conc, ml=round(ml, 2), region="thigh", time=None)],
                 weight=120)
    entry = result["injections"][0]
    maximum = _max_mg(target, drug)
    if maximum is not None and entry["mg"] > maximum:
        assert entry["verdict"] == "block" and "per_application_limit" in codes(result)


@pytest.mark.parametrize("target", ALL_TECHNIQUES)
def test_every_target_has_a_sourced_procaine_maximum(target):
    technique = load().get("technique", target)
    assert technique["limits"]["procaine"]["max_mg"] > 0 and technique["sources"]
