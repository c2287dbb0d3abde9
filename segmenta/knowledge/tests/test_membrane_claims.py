"""membrane_texts.yaml as `segmenta kb validate` checks it: a claim's status and the evidence
shown beside it agree for every status, so a badge never reads stronger than the claim stands."""

import copy

import pytest

from segmenta.knowledge import base
from segmenta.knowledge.base import CLAIM_EVIDENCE, check, load

CLAIM = "procaine-restores-potential"


def problems_with(text_id, **change):
    entries = copy.deepcopy(load().entries)
    entries["membrane-text"][text_id].update(change)
    return [p for p in check(entries) if f"membrane-text {text_id!r}" in p]


def test_every_status_the_schema_allows_has_its_evidence():
    statuses = base.KINDS["membrane-text"][1]["properties"]["status"]["enum"]
    assert set(statuses) == set(CLAIM_EVIDENCE)


def test_the_shipped_claims_pass():
    assert problems_with(CLAIM) == []


@pytest.mark.parametrize(("status", "evidence"), [
    ("disputed", "textbook"), ("refuted", "textbook"), ("refuted", "review"),
    ("established", "disputed"), ("established", "no_source"), ("established", "expert_opinion"),
])
def test_a_status_contradicted_by_its_evidence_is_refused(status, evidence):
    found = problems_with(CLAIM, status=status, evidence=evidence)
    assert len(found) == 1 and f"status {status!r} needs evidence among" in found[0], found


@pytest.mark.parametrize(("status", "evidence"), [
    ("disputed", "disputed"), ("refuted", "disputed"), ("established", "textbook"), ("established", "review"),
])
def test_a_status_with_fitting_evidence_passes(status, evidence):
    assert problems_with(CLAIM, status=status, evidence=evidence) == []


def test_a_lesson_carries_no_status():
    found = problems_with("procaine-action", status="established")
    assert found and "a lesson has no status" in found[0]
