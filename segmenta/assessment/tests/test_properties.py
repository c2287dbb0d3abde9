"""Invariants of the ranking, for any case hypothesis can think of."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from segmenta import caseformat
from segmenta.assessment.engine import assess
from segmenta.assessment.schema import build_schema
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load

VALIDATOR = Draft202012Validator(build_schema())
dates = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1960, 2026), st.integers(1, 12))
regions = st.lists(st.fixed_dictionaries({"region": st.sampled_from(vocabulary.codes("region")),
                                          "side": st.sampled_from(vocabulary.codes("side"))}), max_size=2)


@st.composite
def cases(draw):
    n_items = draw(st.integers(0, 8))
    history = []
    for i in range(n_items):
        kind = draw(st.sampled_from(vocabulary.codes("history_kind")))
        entry = {"id": f"h{i}", "kind": kind, "regions": draw(regions),
                 "organs": draw(st.lists(st.sampled_from(vocabulary.codes("organ")), max_size=2, unique=True)),
                 "signs": draw(st.lists(st.sampled_from(vocabulary.codes("sign")), max_size=3, unique=True))}
        if kind == "tooth":
            entry["tooth"] = draw(st.sampled_from(vocabulary.codes("tooth")))
        if draw(st.booleans()):
            entry["date"] = draw(dates)
        history.append(entry)
    complaints = [{"id": f"c{i}", "regions": draw(regions), "onset": draw(dates),
                   "organs": draw(st.lists(st.sampled_from(vocabulary.codes("organ")), max_size=1))}
                  for i in range(draw(st.integers(1, 2)))]
    tests = []
    if history:
        for _ in range(draw(st.integers(0, 3))):
            tests.append({"history_id": draw(st.sampled_from([h["id"] for h in history])),
                          "complaint_id": draw(st.sampled_from([c["id"] for c in complaints])),
                          "onset_seconds": draw(st.integers(0, 600)),
                          "relief_percent": draw(st.integers(0, 100)),
                          "duration_hours": draw(st.integers(0, 48))})
    return caseformat.validate({
        "format": "segmenta-case/1",
        "patient": {"sex": draw(st.sampled_from(vocabulary.codes("sex"))), "birth_date": "1970-01-01"},
        "complaints": complaints, "history": history, "tests": tests,
        "findings": draw(st.lists(st.sampled_from(vocabulary.codes("finding")), max_size=2, unique=True)),
    })


def _after_onset(item, onset):
    """Definitely after: later, and not within the same period at the coarser precision."""
    if "date" not in item:
        return False
    parts = min(len(item["date"].split("-")), len(onset.split("-")))
    same_period = item["date"].split("-")[:parts] == onset.split("-")[:parts]
    return not same_period and caseformat.partial_date_key(item["date"]) > caseformat.partial_date_key(onset)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_ranking_invariants_hold(case):
    result = assess(case, load())
    assert VALIDATOR.is_valid(result), list(VALIDATOR.iter_errors(result))[:1]
    history = {h["id"]: h for h in case["history"]}
    for complaint, answer in zip(case["complaints"], result["complaints"]):
        ranks = [c["rank"] for c in answer["candidates"]]
        assert ranks == list(range(1, len(history) + 1))
        statuses = [c["status"] for c in answer["candidates"]]
        # An excluded item never outranks a candidate (nor a confirmed one).
        assert all(not (a == "excluded" and b != "excluded") for a, b in zip(statuses, statuses[1:]))
        # Among candidates, an item after onset never outranks one dated before it.
        candidates = [c for c in answer["candidates"] if c["status"] == "candidate"]
        after = [_after_onset(history[c["history_id"]], complaint["onset"]) for c in candidates]
        assert after == sorted(after)
    assert result["refer_first"] == bool(result["red_flags"])
