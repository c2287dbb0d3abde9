"""Body regions and the body map agree on their dermatomes.

A complaint can be recorded as a named region ("lower back") or as CHOIR body-map
segments; both must lead to the same spinal segments. The one allowed difference: a
body-map segment that covers several regions (the low-back segment also covers the flank)
carries the dermatomes of all of them, so it is checked against their union.
"""

import shutil

import pytest
import yaml

from segmenta.knowledge.base import DATA_DIR, load, load_from

# Regions the body map has no segment for: nothing to compare.
NOT_ON_THE_BODY_MAP = {"ear", "perineum"}


def _segments_labelled(kb, region):
    return [s for s in kb.all("choir-segment") if region in s["regions"]]


def _supply(entries):
    return (set().union(*(set(e["dermatomes"]) for e in entries)),
            set().union(*(set(e["trigeminal"]) for e in entries)))


def segments_beyond_their_regions(kb):
    """Body-map segments claiming a dermatome none of their regions has."""
    wrong = []
    for segment in kb.all("choir-segment"):
        dermatomes, trigeminal = _supply([kb.get("region", r) for r in segment["regions"]])
        extra = (set(segment["dermatomes"]) - dermatomes) | (set(segment["trigeminal"]) - trigeminal)
        if extra:
            wrong.append((segment["id"], segment["regions"], sorted(extra)))
    return wrong


def regions_beyond_the_body_map(kb):
    """Regions claiming a dermatome that no body-map segment labelled with them has."""
    missing = {}
    for region in kb.all("region"):
        segments = _segments_labelled(kb, region["id"])
        if not segments:
            continue
        dermatomes, trigeminal = _supply(segments)
        gap = (set(region["dermatomes"]) - dermatomes) | (set(region["trigeminal"]) - trigeminal)
        if gap:
            missing[region["id"]] = sorted(gap)
    return missing


def test_every_body_map_segment_claims_only_dermatomes_of_the_regions_it_is_labelled_with():
    assert segments_beyond_their_regions(load()) == []


def test_a_segment_with_a_single_region_lies_wholly_within_that_regions_dermatomes():
    kb = load()
    for segment in kb.all("choir-segment"):
        if len(segment["regions"]) == 1:
            region = kb.get("region", segment["regions"][0])
            assert set(segment["dermatomes"]) <= set(region["dermatomes"]), (segment["id"], region["id"])
            assert set(segment["trigeminal"]) <= set(region["trigeminal"]), (segment["id"], region["id"])


def test_every_regions_dermatomes_appear_on_the_body_map_segments_labelled_with_it():
    assert regions_beyond_the_body_map(load()) == {}


def test_only_the_documented_regions_are_missing_from_the_body_map():
    kb = load()
    assert {r["id"] for r in kb.all("region") if not _segments_labelled(kb, r["id"])} == NOT_ON_THE_BODY_MAP


def test_the_lower_back_agrees_with_the_body_maps_low_back_segments():
    kb = load()
    lower_back = set(kb.get("region", "lower_back")["dermatomes"])
    flank = set(kb.get("region", "flank")["dermatomes"])
    for segment in _segments_labelled(kb, "lower_back"):
        on_the_map = set(segment["dermatomes"])
        assert lower_back <= on_the_map, segment["id"]
        assert on_the_map - lower_back <= flank, segment["id"]
    # The L4 and L5 dorsal rami have no cutaneous branch: their dermatomes lie on the leg.
    assert not lower_back & {"L4", "L5"}


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_the_checks_find_the_old_lower_back_that_contradicted_the_body_map(data_copy):
    path = data_copy / "regions.yaml"
    regions = yaml.safe_load(path.read_text())
    next(r for r in regions if r["id"] == "lower_back")["dermatomes"] = ["L1", "L2", "L3", "L4", "L5"]
    path.write_text(yaml.safe_dump(regions, allow_unicode=True))
    assert regions_beyond_the_body_map(load_from(data_copy)) == {"lower_back": ["L4", "L5"]}


def test_the_checks_find_a_body_map_segment_beyond_its_regions(data_copy):
    path = data_copy / "regions.yaml"
    regions = yaml.safe_load(path.read_text())
    next(r for r in regions if r["id"] == "elbow")["dermatomes"] = ["C5", "C6", "C7", "T1"]
    path.write_text(yaml.safe_dump(regions, allow_unicode=True))
    assert segments_beyond_their_regions(load_from(data_copy)) == [(215, ["elbow"], ["C8"]), (216, ["elbow"], ["C8"])]
