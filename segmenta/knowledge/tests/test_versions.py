from segmenta.knowledge.base import load
from segmenta.knowledge.models import KnowledgeRelease
from segmenta.knowledge.service import remember


def test_a_used_version_keeps_its_full_content(db):
    kb = load()
    assert remember(kb) == kb.version
    release = KnowledgeRelease.objects.get(version=kb.version)
    assert release.content["kinds"]["drug"][0]["limits"]["session_max_mg"] == 500


def test_remembering_twice_keeps_one_release(db):
    remember(load())
    remember(load())
    assert KnowledgeRelease.objects.count() == 1


def test_an_old_release_stays_readable_after_the_base_changes(db):
    kb = load()
    remember(kb)
    changed = kb.with_overrides([("drug", "procaine", {"limits": {"session_max_mg": 300, "per_kg_mg": 7,
                                                                  "max_concentration_percent": 2}}, "test")])
    remember(changed)
    old = KnowledgeRelease.objects.get(version=kb.version).content
    new = KnowledgeRelease.objects.get(version=changed.version).content
    assert old["kinds"]["drug"][0]["limits"]["session_max_mg"] == 500
    assert new["kinds"]["drug"][0]["limits"]["session_max_mg"] == 300
