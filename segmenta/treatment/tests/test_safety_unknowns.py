"""Unknown is not none: lists never reviewed, pregnancy status unknown or out of date,
consent missing, withdrawn or refused."""

import pytest

from segmenta.knowledge.base import load

from .engine import codes, injection, reason, run, verdicts

FRANKENHAUSER = dict(target="frankenhauser", ml=2.5, region="pelvis")


def test_a_list_never_reviewed_warns_on_every_injection():
    result = run([injection(), injection(target="scar", ml=1)],
                 reviewed={"allergies": None, "medications": "2026-11-01"})
    assert verdicts(result) == ["warn", "warn"]
    assert all("allergies_not_reviewed" in codes(result, i) for i in range(2))
    assert "medications_not_reviewed" not in codes(result)


def test_reviewed_lists_and_cases_that_do_not_say_raise_nothing():
    assert verdicts(run([injection()], reviewed={"allergies": "2026-10-01", "medications": "2026-10-01"})) == ["ok"]
    assert verdicts(run([injection()])) == ["ok"]


def test_a_reviewed_key_left_out_counts_as_never_reviewed():
    assert "medications_not_reviewed" in codes(run([injection()], reviewed={"allergies": "2026-10-01"}))


def test_possible_pregnancy_counts_as_pregnant():
    """Red flags (ACI NSW): possible pregnancy — test βhCG before any injection."""
    result = run([injection(**FRANKENHAUSER)], case={"findings": ["possible_pregnancy"]})
    assert verdicts(result) == ["block"] and "pregnancy" in codes(result)
    in_complaint = run([injection()], case={"complaints": [{"id": "c1", "findings": ["possible_pregnancy"]}]})
    assert "pregnancy" in codes(in_complaint)


@pytest.mark.parametrize("birth", ["1990-05-01", "2012-11-25", "1971-11-25"])
def test_no_current_pregnancy_status_from_12_to_55_warns_everywhere_and_blocks_hard_stops(birth):
    """Frankenhäuser plexus: fetal bradycardia in 10–20 % of pregnant patients (fpnotebook), a hard stop."""
    result = run([injection(), injection(**FRANKENHAUSER)], birth_date=birth, pregnant=None)
    assert verdicts(result) == ["warn", "block"]
    assert "pregnancy_unknown" in codes(result, 0) and "pregnancy_unknown" in codes(result, 1)


@pytest.mark.parametrize("birth,sex", [("2016-01-01", "female"), ("1960-01-01", "female"), ("1990-01-01", "male")])
def test_pregnancy_does_not_matter_outside_12_to_55_or_for_men(birth, sex):
    result = run([injection()], birth_date=birth, sex=sex, pregnant=None)
    assert "pregnancy_unknown" not in codes(result)


def test_a_not_pregnant_status_older_than_30_days_counts_as_unknown():
    case = {"birth_date": "1990-01-01", "pregnant": False}
    fresh = run([injection(time="2026-11-25T10:00")], reviewed={"pregnancy": "2026-10-26"}, **case)
    stale = run([injection(time="2026-11-25T10:00")], reviewed={"pregnancy": "2026-10-25"}, **case)
    assert "pregnancy_unknown" not in codes(fresh)
    assert "pregnancy_unknown" in codes(stale) and "2026-10-25" in reason(stale, "pregnancy_unknown")


def test_the_validity_is_a_clinic_setting():
    rule = load().get("safety-rule", "pregnancy_status")
    kb = load().with_overrides([("safety-rule", "pregnancy_status", {**rule, "valid_days": 7}, "stricter")])
    result = run([injection(time="2026-11-25T10:00")], kb=kb, birth_date="1990-01-01", pregnant=False,
                 reviewed={"pregnancy": "2026-11-10"})
    assert "pregnancy_unknown" in codes(result)


def test_a_current_pregnancy_still_counts_however_old_its_record():
    result = run([injection(**FRANKENHAUSER)], birth_date="1990-01-01", pregnant=True,
                 reviewed={"pregnancy": "2026-01-01"})
    assert "pregnancy" in codes(result) and verdicts(result) == ["block"]


def test_a_case_that_does_not_state_pregnancy_warns_only_before_hard_stops():
    """As before the version 1 additions: a case without `pregnant` is not judged."""
    assert verdicts(run([injection()], birth_date="1990-01-01")) == ["ok"]
    assert verdicts(run([injection(**FRANKENHAUSER)], birth_date="1990-01-01")) == ["warn"]


@pytest.mark.parametrize("status,verdict,code", [("none", "warn", "no_consent"),
                                                 ("withdrawn", "block", "consent_withdrawn"),
                                                 ("refused", "block", "consent_refused")])
def test_consent_missing_warns_and_withdrawn_or_refused_blocks(status, verdict, code):
    result = run([injection()], case={"consent": {"status": status, "date": "2026-11-01"}})
    assert verdicts(result) == [verdict] and code in codes(result)


def test_consent_given_for_injections_raises_nothing_and_other_scopes_warn():
    given = {"status": "given", "date": "2026-09-02", "scope": ["injection_therapy"]}
    assert verdicts(run([injection()], case={"consent": given})) == ["ok"]
    research_only = run([injection()], case={"consent": {**given, "scope": ["research_use"]}})
    assert "consent_scope" in codes(research_only) and verdicts(research_only) == ["warn"]
