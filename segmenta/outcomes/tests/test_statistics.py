import pytest
from hypothesis import given
from hypothesis import strategies as st

from segmenta.outcomes.statistics import group, wilson


@pytest.mark.parametrize("k,n,low,high", [(5, 10, 0.2366, 0.7634), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0),
                                          (1, 1, 0.2065, 1.0), (81, 263, 0.2553, 0.3662)])
def test_wilson_matches_hand_computed_intervals(k, n, low, high):
    lo, hi = wilson(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_no_cases_means_no_interval():
    assert wilson(0, 0) == (None, None)
    assert group("x", 0, 0) == {"group": "x", "n": 0, "responders": 0, "proportion": None, "ci_low": None,
                                "ci_high": None}


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_interval_always_contains_the_proportion(pair):
    k, n = pair
    lo, hi = wilson(k, n)
    assert 0 <= lo <= k / n <= hi <= 1
