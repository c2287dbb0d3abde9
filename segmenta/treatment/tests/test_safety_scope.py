"""Scope of practice by jurisdiction and profession, checked against the practitioner who injects."""

import pytest

from segmenta.knowledge.base import load
from segmenta.treatment.safety import check

from .engine import ALL_TECHNIQUES, codes, injection, verdicts


def scoped(target, profession, jurisdiction=None, **extra):
    practitioner = {"trained_techniques": ALL_TECHNIQUES}
    if profession:
        practitioner["profession"] = profession
    if jurisdiction:
        practitioner["jurisdiction"] = jurisdiction
    region = "neck" if target in ("stellate", "tonsil") else "thigh"
    case = {"format": "segmenta-case/1", "patient": {"sex": "male", "weight_kg": 80, "birth_date": "1980-06-15"},
            "practitioner": practitioner,
            "planned_injections": [injection(target=target, ml=extra.pop("ml", 2), region=region, **extra)]}
    return check(case, load())


@pytest.mark.parametrize("target", ["stellate", "paravertebral", "tonsil", "limb_nerve", "ciliary"])
def test_a_missing_profession_blocks_deep_and_ganglion_targets(target):
    result = scoped(target, None)
    assert verdicts(result) == ["block"] and "scope_unknown" in codes(result)


def test_a_missing_profession_warns_at_a_wheal():
    result = scoped("wheal", None, ml=0.5)
    assert verdicts(result) == ["warn"] and "scope_unknown" in codes(result)


@pytest.mark.parametrize("profession", ["osteopath", "naturopathic_physician"])
@pytest.mark.parametrize("target", ["tonsil", "paravertebral", "scar"])
def test_osteopaths_and_naturopathic_physicians_are_never_passed_silently(profession, target):
    """The first-use walkthrough: tonsil and paravertebral passed silently for these professions."""
    result = scoped(target, profession)
    assert result["verdict"] != "ok" and {"scope_unknown", "scope_of_practice"} & set(codes(result))


def test_a_us_osteopathic_physician_is_a_physician():
    """DOs hold an unlimited medical licence in every US state."""
    assert verdicts(scoped("stellate", "osteopath", "US-OR", ml=4)) == ["ok"]
    assert verdicts(scoped("stellate", "osteopath", "DE", ml=4)) == ["block"]


@pytest.mark.parametrize("jurisdiction", ["AT", "ES"])
@pytest.mark.parametrize("profession", ["heilpraktiker", "naturopathic_physician", "osteopath", "other"])
def test_non_physicians_may_not_inject_in_austria_or_spain(jurisdiction, profession):
    result = scoped("wheal", profession, jurisdiction, ml=0.5)
    assert verdicts(result) == ["block"] and "scope_of_practice" in codes(result)


def test_a_heilpraktiker_gives_wheals_in_germany_and_is_warned_elsewhere():
    """sasse-heilpraktikerrecht.de (2024): ≤ 2 % intracutaneously is exempt from prescription."""
    assert verdicts(scoped("wheal", "heilpraktiker", "DE", ml=0.5)) == ["ok"]
    assert verdicts(scoped("wheal", "heilpraktiker", ml=0.5)) == ["ok"]
    swiss = scoped("wheal", "heilpraktiker", "CH", ml=0.5)
    assert verdicts(swiss) == ["warn"] and "scope_unknown" in codes(swiss)
    assert verdicts(scoped("scar", "heilpraktiker", "DE")) == ["block"]


def test_physicians_inject_everywhere():
    for jurisdiction in (None, "DE", "AT", "CH", "ES", "US-OR", "FR"):
        assert verdicts(scoped("stellate", "physician", jurisdiction, ml=4)) == ["ok"]


def test_a_dentist_stays_in_the_dental_scope():
    assert verdicts(scoped("tooth", "dentist", "DE")) == ["ok"]
    assert verdicts(scoped("trigger_point", "dentist", "DE")) == ["ok"]
    assert verdicts(scoped("periosteal", "dentist", "DE")) == ["warn"]
    assert verdicts(scoped("paravertebral", "dentist", "DE")) == ["block"]
    assert verdicts(scoped("stellate", "dentist", "DE", ml=4)) == ["block"]


def test_every_scope_rule_carries_its_evidence_honestly():
    for rule in load().all("scope-rule"):
        assert rule["sources"] or rule["evidence"] == "no_source", rule["id"]
        assert "seed" not in rule["sources"], rule["id"]
