"""The knowledge base says what rests on what: the promotional seed document backs nothing,
every claim without a source says so, and the sources say what they really report."""

import shutil

import pytest
import yaml

from segmenta.knowledge.base import DATA_DIR, KnowledgeError, load, load_from


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path, change):
    entries = yaml.safe_load(path.read_text())
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True))


def by_id(entries, entry_id):
    return next(e for e in entries if e["id"] == entry_id)


def claims(value, where):
    """Every part of an entry that carries its own sources: the entry, its maps, its claims."""
    if isinstance(value, dict):
        if isinstance(value.get("sources"), list):
            yield where, value
        for key, item in value.items():
            if key != "sources":
                yield from claims(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from claims(item, f"{where}[{index}]")


def every_claim(kb):
    for kind, entries in kb.entries.items():
        if kind != "source":
            for entry in entries.values():
                yield from claims(entry, f"{kind}/{entry['id']}")


def test_the_seed_is_labelled_as_a_course_vendors_promotional_text():
    seed = load().source("seed")
    assert seed["type"] == "promotional"
    assert "promotional" in seed["name"] and "course vendor" in seed["name"]
    assert "states no dose" in seed["note"]


def test_nothing_in_the_knowledge_base_rests_on_a_promotional_source():
    kb = load()
    promotional = {s["id"] for s in kb.all("source") if s["type"] == "promotional"}
    assert "seed" in promotional
    backed = [(where, sorted(set(claim["sources"]) & promotional)) for where, claim in every_claim(kb)
              if set(claim["sources"]) & promotional]
    assert backed == []


@pytest.mark.parametrize("filename,entry_id", [
    ("ganglia.yaml", "otic"),
    ("ganglia.yaml", "ganglion_impar"),
    ("tracing_weights.yaml", "temporal"),
    ("tracing_weights.yaml", "category_prior"),
    ("field_categories.yaml", "teeth"),
])
def test_citing_the_seed_for_a_rule_again_is_refused(data_copy, filename, entry_id):
    edit(data_copy / filename,
         lambda entries: by_id(entries, entry_id).update(sources=["seed"], evidence="expert_opinion"))
    with pytest.raises(KnowledgeError) as excinfo:
        load_from(data_copy)
    assert any(f"{entry_id!r}: cites 'seed', a promotional text" in p for p in excinfo.value.problems)


def test_a_seed_citation_hidden_in_an_indication_claim_is_refused_too(data_copy):
    def cite(entries):
        by_id(entries, "stellate")["indication_evidence"][0]["sources"].append("seed")

    edit(data_copy / "ganglia.yaml", cite)
    with pytest.raises(KnowledgeError, match="'stellate': cites 'seed'"):
        load_from(data_copy)


def test_a_clinic_override_cannot_rest_a_rule_on_the_seed_either():
    with pytest.raises(KnowledgeError, match="cites 'seed', a promotional text"):
        load().with_overrides([("tracing-weight", "temporal", {"sources": ["seed"], "evidence": "expert_opinion"},
                                "our course said so")])


def test_every_entry_map_and_claim_without_a_source_says_so():
    unsourced = [(where, claim["evidence"]) for where, claim in every_claim(load()) if not claim["sources"]]
    assert unsourced, "the base has unsourced entries (otic ganglion, prostate map, ...) that must say so"
    assert [u for u in unsourced if u[1] not in ("no_source", "disputed")] == []


def test_an_indication_without_a_source_that_claims_evidence_is_refused(data_copy):
    def strip(entries):
        by_id(entries, "stellate")["indication_evidence"][0].update(sources=[], evidence="review")

    edit(data_copy / "ganglia.yaml", strip)
    with pytest.raises(KnowledgeError, match="indication 'CRPS of arm or face' has no source"):
        load_from(data_copy)


def test_an_indication_citing_an_unknown_study_is_refused(data_copy):
    edit(data_copy / "ganglia.yaml",
         lambda entries: by_id(entries, "stellate")["indication_evidence"][0].update(studies=["nowhere-2030"]))
    with pytest.raises(KnowledgeError, match="unknown study 'nowhere-2030'"):
        load_from(data_copy)


def test_tracing_weights_say_they_are_the_segmenta_teams_own_numbers():
    for weight in load().all("tracing-weight"):
        assert "Segmenta team's own" in weight["note"], weight["id"]
        if not weight["sources"]:
            assert weight["evidence"] == "no_source", weight["id"]


def test_the_otic_ganglion_and_the_ganglion_impar_say_no_source():
    kb = load()
    for ganglion in ("otic", "ganglion_impar"):
        entry = kb.get("ganglion", ganglion)
        assert entry["sources"] == [] and entry["evidence"] == "no_source", ganglion
        assert "No source" in entry["note"], ganglion


def test_the_brainstem_haemorrhage_case_is_a_pharyngeal_roof_injection_not_a_pterygopalatine_block():
    kb = load()
    case = kb.source("brainstem-haemorrhage-case")
    assert "Schmittinger" in case["name"] and "2011" in case["name"]
    assert "roof of the pharynx" in case["note"] and "1 mL procaine 1 %" in case["note"]
    assert "not a pterygopalatine-ganglion block" in case["note"]
    pterygopalatine = kb.get("ganglion", "pterygopalatine")
    assert not any("brainstem" in c for c in pterygopalatine["complications"])
    assert any("roof of the pharynx" in w and "not a pterygopalatine-ganglion block" in w
               for w in pterygopalatine["related_warnings"])


def test_each_stellate_indication_has_its_own_evidence_and_source():
    kb = load()
    stellate = kb.get("ganglion", "stellate")
    per_indication = {c["indication"]: c for c in stellate["indication_evidence"]}
    assert set(per_indication) == set(stellate["indications"])
    ptsd = per_indication["post-traumatic stress disorder (PTSD)"]
    assert ptsd["evidence"] == "clinical_study" and "rae-olmsted-2020" in ptsd["sources"]
    assert "JAMA Psychiatry 2020" in kb.source("rae-olmsted-2020")["name"]
    assert kb.get("study", "rae-olmsted-2020")["design"].startswith("randomised sham-controlled trial")
    assert per_indication["long COVID"]["evidence"] == "case_series"
    assert per_indication["CRPS of arm or face"]["sources"][0] == "cochrane-crps-lasb-2016"
    vasomotor = per_indication["vasomotor instability"]
    assert (vasomotor["sources"], vasomotor["evidence"]) == ([], "no_source")


def test_test_methods_that_locate_nothing_are_sourced_and_marked_disputed():
    kb = load()
    for method in ("ear-pulse-reflex", "applied-kinesiology"):
        entry = kb.get("test-method", method)
        assert entry["sources"] and entry["evidence"] == "disputed", method
        assert "does not use it as evidence" in entry["description"], method
