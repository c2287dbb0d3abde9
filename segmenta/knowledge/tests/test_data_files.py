"""Every data file validates, and every reference between entries holds."""

import shutil

import pytest
import yaml

from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import DATA_DIR, KINDS, KnowledgeError, load, load_from


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path, change):
    entries = yaml.safe_load(path.read_text())
    change(entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True))


def test_the_shipped_knowledge_base_validates():
    kb = load_from(DATA_DIR)
    assert set(kb.entries) == set(KINDS)
    for kind in ("segment", "organ", "region", "ganglion", "technique", "field-category", "drug", "red-flag",
                 "study", "instrument-threshold"):
        assert kb.entries[kind], kind


def test_every_entry_has_a_source_or_says_it_has_none():
    kb = load()
    for kind, entries in kb.entries.items():
        if kind == "source":
            continue
        for entry in entries.values():
            assert entry["sources"] or entry["evidence"] in ("no_source", "disputed"), (kind, entry["id"])
            for source in entry["sources"]:
                assert kb.source(source), (kind, entry["id"], source)


def test_every_code_the_engines_look_up_has_an_entry():
    kb = load()
    assert set(kb.entries["organ"]) == set(vocabulary.codes("organ"))
    assert set(kb.entries["region"]) == set(vocabulary.codes("region"))
    assert set(kb.entries["technique"]) == set(vocabulary.codes("injection_target"))
    # Every finding is a red flag except those the safety rules ask for (a normal INR).
    safety_findings = {a["requires_finding"] for a in kb.all("bleeding-agent") if "requires_finding" in a}
    assert safety_findings == {"inr_normal"}
    assert set(kb.entries["red-flag"]) | safety_findings >= set(vocabulary.codes("finding"))
    assert not set(kb.entries["red-flag"]) & safety_findings
    assert set(kb.entries["segment"]) == set(vocabulary.codes("segment"))


def test_a_schema_error_names_the_file_entry_and_field(data_copy):
    edit(data_copy / "ganglia.yaml", lambda e: e[0].update(may_inject=["wizard"]))
    with pytest.raises(KnowledgeError) as excinfo:
        load_from(data_copy)
    assert any(p.startswith("ganglia.yaml: ganglion 'stellate': may_inject.0:") for p in excinfo.value.problems)


def test_an_unknown_source_is_a_reference_error(data_copy):
    edit(data_copy / "regions.yaml", lambda e: e[0].update(sources=["nowhere-2025"]))
    with pytest.raises(KnowledgeError) as excinfo:
        load_from(data_copy)
    assert "regions.yaml: region 'head': unknown source 'nowhere-2025'" in excinfo.value.problems


def test_an_unknown_segment_is_refused(data_copy):
    edit(data_copy / "regions.yaml", lambda e: e[0].update(dermatomes=["C1"]))
    with pytest.raises(KnowledgeError, match="dermatomes.0"):
        load_from(data_copy)


def test_a_missing_organ_is_refused(data_copy):
    edit(data_copy / "organs.yaml", lambda e: e.pop())
    with pytest.raises(KnowledgeError, match="no entry for \\['diaphragm'\\]"):
        load_from(data_copy)


def test_an_entry_without_source_must_say_so(data_copy):
    edit(data_copy / "studies.yaml", lambda e: e[0].update(sources=[], evidence="review"))
    with pytest.raises(KnowledgeError, match="has no source"):
        load_from(data_copy)


def test_an_organ_default_map_must_exist(data_copy):
    edit(data_copy / "organs.yaml", lambda e: e[0].update(default="imaginary"))
    with pytest.raises(KnowledgeError, match="default map 'imaginary'"):
        load_from(data_copy)


def test_duplicate_ids_are_refused(data_copy):
    edit(data_copy / "techniques.yaml", lambda e: e.append(dict(e[0])))
    with pytest.raises(KnowledgeError, match="duplicate id 'wheal'"):
        load_from(data_copy)


def test_any_edit_gives_a_new_version(data_copy):
    before = load_from(data_copy).version
    edit(data_copy / "drugs.yaml", lambda e: e[0]["limits"].update(session_max_mg=450))
    after = load_from(data_copy).version
    assert before != after and before.split("+")[0] == after.split("+")[0]


def test_each_kind_of_visit_asks_for_exactly_one_questionnaire(data_copy):
    def ask_pgic_at_every_visit(entries):
        pgic = next(e for e in entries if e["id"] == "pgic")
        pgic["asked_at"]["visits"] = ["reassessment", "visit"]
    edit(data_copy / "instruments.yaml", ask_pgic_at_every_visit)
    with pytest.raises(KnowledgeError, match="the 'visit' visit needs exactly one instrument"):
        load_from(data_copy)


def test_a_questionnaire_is_asked_only_at_a_known_kind_of_visit(data_copy):
    edit(data_copy / "instruments.yaml",
         lambda entries: next(e for e in entries if e["id"] == "pgic")["asked_at"].update(visits=["birthday"]))
    with pytest.raises(KnowledgeError, match="asked_at.visits.0"):
        load_from(data_copy)


@pytest.mark.parametrize(("change", "said"), [
    ({"concentration_min_mmol_l": 10}, "a concentration outside concentration_min_mmol_l"),
    ({"permeability_min": 0.1}, "each 0 or within permeability_min"),
])
def test_the_membrane_labs_own_neuron_lies_within_its_limits(data_copy, change, said):
    edit(data_copy / "membrane.yaml", lambda entries: entries[0].update(change))
    with pytest.raises(KnowledgeError, match=said):
        load_from(data_copy)


def _technique(entries, technique_id):
    return next(e for e in entries if e["id"] == technique_id)


def test_an_interference_field_technique_must_name_the_fields_it_treats(data_copy):
    edit(data_copy / "techniques.yaml", lambda entries: _technique(entries, "tonsil").pop("field_kinds"))
    with pytest.raises(KnowledgeError, match="technique 'tonsil'.*field_kinds"):
        load_from(data_copy)


def test_a_kind_of_field_belongs_to_one_technique_at_most(data_copy):
    edit(data_copy / "techniques.yaml",
         lambda entries: _technique(entries, "tonsil").__setitem__("field_kinds", ["tonsils", "scar"]))
    with pytest.raises(KnowledgeError, match="field kind 'scar' is already 'scar'"):
        load_from(data_copy)
