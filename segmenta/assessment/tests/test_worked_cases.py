"""The worked cases in ../shared/cases/, answered as their expect files say."""

import json

import pytest

from segmenta.assessment.engine import assess
from segmenta.knowledge.base import load
from segmenta.treatment.huneke import classify

from .cases import SHARED, shared_case


def _cases(command):
    found = []
    for expect_path in sorted(SHARED.glob("*.expect.json")):
        expect = json.loads(expect_path.read_text())
        if expect["command"] == command:
            case_path = expect_path.with_name(expect_path.name.replace(".expect.json", ".case.json"))
            found.append(pytest.param(json.loads(case_path.read_text()), expect, id=expect_path.name))
    return found


@pytest.mark.parametrize("case,expect", _cases("assess"))
def test_worked_assessment_cases(case, expect):
    result = assess(case, load())
    if "refer_first" in expect:
        assert result["refer_first"] is expect["refer_first"]
    for code in expect.get("red_flags_include", []):
        assert code in {f["code"] for f in result["red_flags"]}
    for complaint in result["complaints"]:
        wanted = expect.get(complaint["id"])
        if not wanted:
            continue
        candidates = complaint["candidates"]
        by_item = {c["history_id"]: c for c in candidates}
        if "rank_1" in wanted:
            assert candidates[0]["history_id"] == wanted["rank_1"]
        for history_id, status in wanted.get("status", {}).items():
            assert by_item[history_id]["status"] == status
        if "last" in wanted:
            assert candidates[-1]["history_id"] == wanted["last"]
            if "reason_mentions" in wanted:
                assert any(wanted["reason_mentions"] in r["detail"] for r in candidates[-1]["reasons"])


@pytest.mark.parametrize("case,expect", _cases("huneke"))
def test_worked_huneke_cases(case, expect):
    result = classify(case, load())
    assert [t["classification"] for t in result["tests"]] == expect["classifications"]


def test_the_worked_cases_are_there():
    shared_case("README.md")
    assert len(_cases("assess")) >= 3 and len(_cases("huneke")) >= 1
