"""Holes found in review of the engines and signed sessions, closed and kept closed."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError

from segmenta.assessment.engine import assess
from segmenta.knowledge.base import load
from segmenta.treatment.huneke import classify
from segmenta.treatment.models import Injection, Session, SignedSessionError
from segmenta.treatment.sessions import TreatmentError, sign

from .test_safety import codes, injection, run, verdicts


def test_out_of_order_times_still_count_in_the_head_and_neck_window():
    plan = [injection(target="trigger_point", ml=10, region="neck", time="2026-11-25T12:00"),
            injection(target="trigger_point", ml=10, region="neck", time="2026-11-25T11:00"),
            injection(target="wheal", conc=0.5, ml=1, region="neck", time="2026-11-25T11:30")]
    result = run(plan)
    assert verdicts(result)[-1] == "block" and "head_neck_genital_limit" in codes(result, 2)


@pytest.mark.parametrize("target", ["tonsil", "tooth"])
def test_targets_in_the_head_and_neck_count_without_a_site(target):
    plan = [injection(target=target, ml=10, region=None, time=None) for _ in range(3)]
    for item in plan:
        item["regions"] = []
    result = run(plan)
    assert "head_neck_genital_limit" in codes(result, 2)


def test_lidocaine_follows_the_head_and_neck_and_condition_rules():
    face = [injection(target="trigger_point", ml=10, region="face", drug="lidocaine", time=None) for _ in range(3)]
    assert verdicts(run(face))[-1] == "block"
    assert run([injection(drug="lidocaine")], weight=90, conditions=["diabetic_neuropathy"])["limit_mg"] == 200
    assert "organ_impairment" in codes(run([injection(drug="lidocaine")], conditions=["kidney_impairment"]))


def test_mixed_drugs_share_one_budget():
    plan = [injection(target="limb_nerve", ml=30, region="thigh", time=None),
            injection(target="limb_nerve", ml=25, region="thigh", drug="lidocaine", time=None)]
    result = run(plan, weight=90)  # 300/500 procaine + 250/300 lidocaine > the whole
    assert verdicts(result) == ["ok", "block"] and "session_limit" in codes(result, 1)


def test_mixed_time_zones_do_not_crash():
    plan = [injection(region="neck", time="2026-11-25T10:00Z"), injection(region="neck", time="2026-11-25T10:05")]
    assert verdicts(run(plan)) == ["ok", "ok"]


def test_reduced_limits_are_rounded_down():
    assert run([injection()], weight=61, conditions=["diabetic_neuropathy"])["limit_mg"] == 284.6


def test_both_stellate_sides_within_one_injection_are_blocked_and_a_midline_site_may_be_either_side():
    both = injection(target="stellate", ml=3, region="neck", side="left")
    both["regions"].append({"region": "neck", "side": "right"})
    assert "bilateral_stellate" in codes(run([both]))
    left = injection(target="stellate", ml=3, region="neck", side="left")
    midline = injection(target="stellate", ml=3, region="neck", side="midline")
    assert {"bilateral_stellate", "stellate_side_unknown"} <= set(codes(run([left, midline]), 1))
    assert "bilateral_stellate" not in codes(run([left, dict(left)]), 1)


def test_allergy_names_match_within_longer_substance_names():
    assert "allergy" in codes(run([injection()], allergies=[{"substance": "Procaine hydrochloride", "class": "other"}]))
    assert "allergy" in codes(run([injection()], allergies=[{"substance": "Novocaine", "class": "other"}]))


def _case(tests, item_kind="scar"):
    return {"format": "segmenta-case/1", "complaints": [{"id": "c1", "onset": "2015",
                                                         "regions": [{"region": "temple", "side": "left"}]}],
            "history": [{"id": "h1", "kind": item_kind, "description": "x", "date": "2010",
                         **({"tooth": "28"} if item_kind == "tooth" else {})}],
            "tests": [{"history_id": "h1", "complaint_id": "c1", **t} for t in tests]}


def test_an_unrecorded_response_neither_confirms_nor_excludes():
    case = _case([{"date": "2020-01-01", "onset_seconds": 5}])
    assert classify(case, load())["tests"][0]["classification"] == "partial"
    candidate = assess(case, load())["complaints"][0]["candidates"][0]
    assert candidate["status"] == "candidate"
    assert any("response not recorded" in r["detail"] for r in candidate["reasons"])


def test_a_test_without_a_date_reads_naturally():
    case = _case([{"onset_seconds": 5, "relief_percent": 100, "duration_hours": 30}])
    details = " ".join(r["detail"] for r in assess(case, load())["complaints"][0]["candidates"][0]["reasons"])
    assert "None" not in details and "an unrecorded date" in details


def test_confirmed_compares_with_any_earlier_huneke_test_by_date():
    tests = [{"date": "2020-01-01", "onset_seconds": 5, "relief_percent": 100, "duration_hours": 40},
             {"date": "2020-02-01", "onset_seconds": 5, "relief_percent": 100, "duration_hours": 30},
             {"date": "2020-03-01", "onset_seconds": 5, "relief_percent": 100, "duration_hours": 35}]
    assert [t["classification"] for t in classify(_case(tests), load())["tests"]] == ["huneke", "huneke", "confirmed"]
    later_listed_first = [tests[1] | {"date": "2021-01-01"}, tests[0] | {"date": "2020-01-01", "duration_hours": 20}]
    assert [t["classification"] for t in classify(_case(later_listed_first), load())["tests"]] == ["confirmed",
                                                                                                    "huneke"]


def test_an_item_in_the_onset_period_is_not_called_impossible():
    case = {"format": "segmenta-case/1", "complaints": [{"id": "c1", "onset": "2019-06"}],
            "history": [{"id": "h1", "kind": "scar", "description": "x", "date": "2019-06-15"}]}
    details = " ".join(r["detail"] for r in assess(case, load())["complaints"][0]["candidates"][0]["reasons"])
    assert "same period as onset" in details and "cannot have caused" not in details


@pytest.fixture
def signed_session(patient, doctor):
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+00:00", practitioner=doctor)
    Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal", concentration_percent=1,
                             volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5, duration_hours=3)
    return sign(session, doctor)


def test_a_stale_copy_cannot_sign_again(signed_session, doctor):
    stale = Session.objects.get(pk=signed_session.pk)
    stale.status = Session.Status.DRAFT
    with pytest.raises(TreatmentError):
        sign(stale, doctor)


def test_signers_cannot_be_deleted_out_of_signed_notes(signed_session, doctor):
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=doctor.pk).delete()


def test_an_injection_cannot_be_moved_out_of_a_signed_session(signed_session, patient):
    draft = Session.objects.create(patient=patient, started_at="2026-11-26T10:00:00+00:00")
    injection = signed_session.injections.get()
    injection.session = draft
    with pytest.raises(SignedSessionError):
        injection.save()


def test_the_signature_covers_the_relief_duration(signed_session):
    assert signed_session.injections.get().content()["duration_hours"] == "3.00"


def test_a_session_signed_in_an_earlier_content_shape_still_verifies(patient, doctor):
    """Signed before the session recorded a normal INR (shape 2): the INR is not part of its
    hash, so adding it to the content did not break any signature."""
    from segmenta.treatment.sessions import sign

    old = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor,
                                 content_format=2)
    old.refresh_from_db()
    sign(old, doctor)
    old.refresh_from_db()
    assert "inr_normal" not in old.content() and old.compute_hash() == old.content_hash
    new = Session.objects.create(patient=patient, started_at="2026-11-26T10:00:00+01:00", practitioner=doctor)
    new.refresh_from_db()
    assert new.content_format == 3 and "inr_normal" in new.content()
