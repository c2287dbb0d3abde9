"""Injections already given in the patient's other sessions count toward the rolling limits."""

from .engine import codes, injection, reason, run, verdicts


def given(target="limb_nerve", ml=30, time="2026-11-24T16:00", region="thigh", side="left", **extra):
    return injection(target=target, ml=ml, time=time, region=region, side=side, **extra)


def test_the_session_limit_counts_what_was_given_within_24_hours():
    """A dose split over two visits must not exceed the session limit (rolling_total rule)."""
    earlier = [given(ml=30), given(ml=15, time="2026-11-25T08:00")]  # 450 mg of 490
    result = run([injection(target="scar", ml=5, time="2026-11-25T10:00")], case={"given_injections": earlier})
    assert verdicts(result) == ["block"] and "session_limit" in codes(result)
    assert "other sessions gave within 24 h" in reason(result, "session_limit")
    assert result["injections"][0]["cumulative_mg"] == 50


def test_what_was_given_more_than_24_hours_ago_no_longer_counts():
    earlier = [given(ml=45, time="2026-11-24T09:59")]
    assert verdicts(run([injection(target="scar", ml=5, time="2026-11-25T10:00")],
                        case={"given_injections": earlier})) == ["ok"]


def test_the_two_hour_head_and_neck_window_includes_other_sessions():
    earlier = [given(target="trigger_point", ml=9, region="neck", time="2026-11-25T09:00"),
               given(target="trigger_point", ml=9, region="neck", time="2026-11-25T09:30")]
    result = run([injection(target="trigger_point", ml=9, region="neck", time="2026-11-25T10:00")],
                 case={"given_injections": earlier})
    assert "head_neck_genital_limit" in codes(result)


def test_stellate_on_the_other_side_within_24_hours_is_blocked():
    """Wallace & Milholland 1993: bilateral recurrent laryngeal palsy after a stellate block."""
    earlier = [given(target="stellate", ml=4, region="neck", side="left", time="2026-11-24T18:00")]
    right = injection(target="stellate", ml=4, region="neck", side="right", time="2026-11-25T10:00")
    result = run([right], case={"given_injections": earlier})
    assert verdicts(result) == ["block"] and "bilateral_stellate" in codes(result)
    later = dict(right, time="2026-11-25T18:01")
    assert verdicts(run([later], case={"given_injections": earlier})) == ["ok"]
    same_side = dict(right, side="left", regions=[{"region": "neck", "side": "left"}])
    assert verdicts(run([same_side], case={"given_injections": earlier})) == ["ok"]


def test_given_injections_get_no_verdict_of_their_own():
    result = run([injection()], case={"given_injections": [given(ml=1)]})
    assert len(result["injections"]) == 1 and result["total_mg"] == 5
