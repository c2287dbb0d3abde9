"""Where a first review of the safety engine found it too quiet, each a rule of its own."""

import pytest

from segmenta.knowledge.base import KnowledgeError, load
from segmenta.treatment.safety import check, summary, target_contraindications

from .engine import codes, injection, run, verdicts

AT = "2026-11-25T10:00"
STELLATE = dict(target="stellate", ml=4, region="neck", side="left", time=AT)


@pytest.mark.parametrize("substance", ["Procain", "Procainhydrochlorid", "Benzocain-Spray", "Methylparaben",
                                       "Sulfamethoxazol"])
def test_allergies_recorded_by_their_german_or_related_names_block_procaine(substance):
    """Procaine SPCs: allergy to ester anaesthetics, PABA, parabens or sulfonamides."""
    result = run([injection()], allergies=[{"substance": substance, "class": "other"}])
    assert verdicts(result) == ["block"] and "allergy" in codes(result)


def test_an_allergy_without_a_class_that_names_nothing_known_warns():
    result = run([injection()], allergies=[{"substance": "Kontrastmittel", "class": "other"}])
    assert verdicts(result) == ["warn"] and "allergy_unclassified" in codes(result)


@pytest.mark.parametrize("name", ["Clopidogrel-ratiopharm 75 mg", "ASS-ratiopharm 100", "Apixaban-ratiopharm 5 mg"])
def test_hyphenated_generics_are_recognised_whatever_their_class(name):
    paravertebral = injection(target="paravertebral", ml=10, time=AT)
    result = run([paravertebral], medications=[{"name": name, "class": "other"}])
    assert {"anticoagulant", "antiplatelet"} & set(codes(result))


def test_every_agent_of_a_combination_counts():
    """Aspirin (held 6 days) still blocks the high-risk retrobulbar injection after rivaroxaban's 5 days."""
    meds = [{"name": "rivaroxaban + aspirin", "class": "anticoagulant", "last_dose": "2026-11-20T12:00"}]
    result = run([injection(target="ciliary", ml=2, region="eye", time=AT)], medications=meds)
    assert verdicts(result) == ["block"] and "antiplatelet" in codes(result)


def test_a_class_stricter_than_the_name_counts_too():
    """Aspirin recorded as an anticoagulant: perhaps it is one; no hold time is known for that."""
    result = run([injection(**STELLATE)], medications=[{"name": "aspirin", "class": "anticoagulant",
                                                        "last_dose": "2026-11-01"}])
    assert verdicts(result) == ["block"] and "anticoagulant" in codes(result)


@pytest.mark.parametrize("target,conc,ml,region", [("wheal", 2, 5, "lower_back"), ("ciliary", 2, 10, "eye"),
                                                   ("scar", 2, 14, "abdomen_lower"), ("wheal", 0.5, 2, "lower_back")])
def test_lidocaine_is_held_to_procaines_per_target_limits_and_a_wheal_to_1_ml(target, conc, ml, region):
    result = run([injection(target=target, drug="lidocaine", conc=conc, ml=ml, region=region)], weight=90)
    assert verdicts(result) == ["block"] and "per_application_limit" in codes(result)


def test_a_clinic_overriding_one_limit_keeps_the_others():
    """An override names what it changes: the head-and-neck rule and the reduction stay."""
    kb = load().with_overrides([("drug", "procaine", {"limits": {"session_max_mg": 400}}, "own policy")])
    limits = kb.get("drug", "procaine")["limits"]
    assert limits["session_max_mg"] == 400 and limits["head_neck_genital"]["max_mg"] == 200
    assert "reduce_for_conditions" in limits


@pytest.mark.parametrize("rule,data", [("consent", {"verdicts": {"withdrawn": "ok"}}),
                                       ("consent", {"verdicts": {"withdrawn": "Block"}}),
                                       ("pregnancy_status", {"valid_days": "30"}),
                                       ("bleeding", {"policy": {"p2y12": {"low": "maybe"}}})])
def test_a_clinic_cannot_weaken_a_safety_rule_into_silence_or_break_it(rule, data):
    with pytest.raises(KnowledgeError):
        load().with_overrides([("safety-rule", rule, data, "mistake")])


def test_a_session_charted_later_still_counts_toward_the_24_hour_total():
    """300 mg given at 16:00, 250 mg charted afterwards for 12:00 the same day: 550 mg in 24 h."""
    given = [injection(target="limb_nerve", ml=30, region="thigh", time="2026-11-25T16:00")]
    result = run([injection(target="limb_nerve", ml=25, region="thigh", time="2026-11-25T12:00")],
                 weight=80, case={"given_injections": given})
    assert verdicts(result) == ["block"] and "session_limit" in codes(result)


def test_a_stellate_block_without_a_side_warns_and_counts_as_the_other_side():
    alone = injection(target="stellate", ml=4, region="neck", side="midline", time=AT)
    result = run([alone])
    assert verdicts(result) == ["warn"] and "stellate_side_unknown" in codes(result)
    given = [injection(target="stellate", ml=4, region="neck", side="left", time="2026-11-25T08:00")]
    result = run([alone], case={"given_injections": given})
    assert verdicts(result) == ["block"] and "bilateral_stellate" in codes(result)


def test_a_birth_year_alone_counts_as_the_youngest_age_for_children():
    """Born "2011": perhaps 14 on 2026-11-25, so no ganglion."""
    result = run([injection(**STELLATE)], birth_date="2011")
    assert verdicts(result) == ["block"] and "age_under_15" in codes(result)


def test_no_birth_date_warns_that_age_limits_cannot_be_checked():
    result = run([injection()], birth_date=None)
    assert verdicts(result) == ["warn"] and "age_unknown" in codes(result)


def test_other_professions_are_blocked_at_deep_targets():
    result = run([injection(target="paravertebral", ml=10)], profession="other")
    assert verdicts(result) == ["block"] and "scope_of_practice" in codes(result)
    assert verdicts(run([injection()], profession="other")) == ["warn"]


def test_expiry_counts_in_the_local_day_of_the_injection():
    product = {"name": "Procaine 1 %", "preservative": False, "multi_dose": False, "expiry": "2026-11-30"}
    after_midnight = injection(time="2026-12-01T00:30+01:00", product=product)
    assert "product_expired" in codes(run([after_midnight]))


def test_an_untimed_injection_from_an_expired_product_is_blocked():
    product = {"name": "Procaine 1 %", "preservative": False, "multi_dose": False, "expiry": "2020-01-31"}
    assert verdicts(run([injection(time=None, product=product)])) == ["block"]


def test_a_product_without_an_expiry_date_warns():
    product = {"name": "Procaine 1 %", "preservative": False, "multi_dose": False}
    result = run([injection(product=product)])
    assert verdicts(result) == ["warn"] and "expiry_unknown" in codes(result)


def test_the_assessment_never_offers_a_hard_stop_when_pregnancy_was_not_asked():
    case = {"format": "segmenta-case/1", "patient": {"sex": "female", "birth_date": "1994-01-01"}}
    found = target_contraindications(case, "frankenhauser", load())
    assert [r["code"] for r in found] == ["pregnancy_unknown"]


def test_a_condition_a_clinic_adds_to_a_ganglion_blocks_it():
    ganglion = load().get("ganglion", "stellate")
    kb = load().with_overrides([("ganglion", "stellate", {"contraindications": {
        **ganglion["contraindications"], "conditions": ["glaucoma"]}}, "our policy")])
    result = run([injection(**STELLATE)], kb=kb, conditions=["glaucoma"])
    assert verdicts(result) == ["block"] and "glaucoma" in codes(result)


def test_the_strip_says_held_only_when_the_engine_would_let_it_pass():
    """Dabigatran is held 6 days in renal impairment (Narouze et al. 2018)."""
    case = {"format": "segmenta-case/1",
            "patient": {"sex": "male", "birth_date": "1950-01-01", "conditions": ["kidney_impairment"],
                        "medications": [{"name": "Pradaxa", "class": "anticoagulant",
                                         "last_dose": "2026-11-20T08:00"}]}}
    facts = summary(case, load(), "2026-11-25T11:00")
    assert facts["blood_thinners"][0]["held"] is False
    blocked = check({**case, "planned_injections": [injection(**{**STELLATE, "time": "2026-11-25T11:00"})]}, load())
    assert blocked["injections"][0]["verdict"] == "block"
