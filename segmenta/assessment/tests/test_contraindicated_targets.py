"""Targets contraindicated for this patient are listed as such, with the safety engine's
reason, never offered plainly (issue 10, item 11)."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from segmenta import caseformat
from segmenta.assessment.engine import assess
from segmenta.assessment.schema import build_schema
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.patients import models as m
from segmenta.treatment import safety

from .cases import case, complaint

VALIDATOR = Draft202012Validator(build_schema())
WORKED = Path(__file__).resolve().parent / "worked"


def _worked():
    for expect_path in sorted(WORKED.glob("*.expect.json")):
        case_path = expect_path.with_name(expect_path.name.replace(".expect.json", ".case.json"))
        yield pytest.param(json.loads(case_path.read_text()), json.loads(expect_path.read_text()),
                           id=expect_path.name)


def targets(result, cid="c1"):
    answer = next(c for c in result["complaints"] if c["id"] == cid)
    return answer["segmental_targets"], answer["ganglionic_targets"]


def pregnant_with_pelvic_pain():
    data = case([complaint(region="pelvis", side="midline", organs=["uterus"])], sex="female",
                birth_date="1994-03-01")
    data["patient"]["pregnant"] = True
    return caseformat.validate(data)


def on_apixaban_with_shoulder_pain():
    data = case([complaint(region="shoulder", side="right")], sex="male", birth_date="1961-02-01")
    data["patient"]["medications"] = [{"name": "apixaban", "class": "anticoagulant"}]
    return caseformat.validate(data)


def test_a_pregnant_patient_with_pelvic_pain_gets_frankenhauser_listed_as_contraindicated():
    """ganglia.yaml: the Frankenhäuser plexus is a hard stop in pregnancy (the issue's
    example: it used to be offered plainly)."""
    result = assess(pregnant_with_pelvic_pain(), load())
    _segmental, ganglionic = targets(result)
    frankenhauser = next(g for g in ganglionic if g["target"] == "frankenhauser")
    assert frankenhauser["contraindicated"] is True
    assert "pregnan" in frankenhauser["reason"].lower()
    assert "Frankenh" in frankenhauser["indication"]
    assert VALIDATOR.is_valid(result)


def test_a_patient_on_apixaban_gets_stellate_and_paravertebral_targets_marked():
    """Narouze et al. 2018 (ASRA/ESRA pain guideline): stellate and paravertebral blocks
    are intermediate-risk procedures, a block with apixaban inside its hold time (last
    dose unknown here)."""
    result = assess(on_apixaban_with_shoulder_pain(), load())
    segmental, ganglionic = targets(result)
    stellate = next(g for g in ganglionic if g["target"] == "stellate")
    assert stellate["contraindicated"] is True and stellate["reason"]
    paravertebral = [t for t in segmental if t["technique"] == "paravertebral"]
    assert paravertebral and all(t["contraindicated"] is True and t["reason"] for t in paravertebral)
    assert VALIDATOR.is_valid(result), list(VALIDATOR.iter_errors(result))[:1]


@pytest.mark.parametrize("data,expect", list(_worked()))
def test_worked_cases_mark_what_they_say_and_offer_the_rest(data, expect):
    """Worked cases beside this file (the shared folder's style): ``contraindicated`` maps a
    target to a word its reason must contain; ``offered`` targets carry no mark."""
    result = assess(caseformat.validate(data), load())
    assert VALIDATOR.is_valid(result), list(VALIDATOR.iter_errors(result))[:1]
    for answer in result["complaints"]:
        wanted = expect.get(answer["id"], {})
        listed = [(t["technique"], t) for t in answer["segmental_targets"]]
        listed += [(g["target"], g) for g in answer["ganglionic_targets"]]
        for target, word in wanted.get("contraindicated", {}).items():
            marked = [entry for name, entry in listed if name == target]
            assert marked and all(e.get("contraindicated") is True and word in e["reason"].lower() for e in marked)
        for target in wanted.get("offered", []):
            plain = [entry for name, entry in listed if name == target]
            assert plain and all("contraindicated" not in e for e in plain), target


def test_the_api_answers_with_the_same_marks(api_client):
    data = pregnant_with_pelvic_pain()
    answer = api_client.post(reverse("api:assess"), data, content_type="application/json").json()
    _segmental, ganglionic = targets(answer)
    assert next(g for g in ganglionic if g["target"] == "frankenhauser")["contraindicated"] is True


def test_the_assess_page_strikes_contraindicated_targets_through_with_their_reason(doctor_client, patient):
    m.PregnancyStatus.objects.create(patient=patient, date=date.today(), status="pregnant")
    m.Complaint.objects.create(patient=patient, description="Pelvic pain", onset="2026-08",
                               regions=[{"region": "pelvis", "side": "midline"}], organs=["uterus"])
    doctor_client.post(reverse("assessment:acknowledge", args=[patient.pk]))  # new pain over 50 comes first
    html = doctor_client.get(reverse("assessment:assess", args=[patient.pk])).content.decode()
    struck = html.split('<li class="contraindicated"><del>Frankenhäuser', 1)
    assert len(struck) == 2, "the Frankenhäuser plexus is not struck through"
    assert "Contraindicated for this patient:" in struck[1][:400] and "pregnan" in struck[1][:400].lower()
    # It is no option: no link to pick it as a target.
    assert f'href="{reverse("knowledge:entry", args=["ganglion", "frankenhauser"])}"' not in html


def test_wheals_stay_on_offer_with_apixaban():
    """Narouze et al. 2018: superficial, low-risk injections only warn under anticoagulation,
    so the wheals are still offered, and plainly."""
    segmental, _ganglionic = targets(assess(on_apixaban_with_shoulder_pain(), load()))
    wheals = [t for t in segmental if t["technique"] == "wheal"]
    assert wheals and all("contraindicated" not in t and set(t) == {"segment", "technique", "where"} for t in wheals)


def test_targets_that_are_fine_carry_no_contraindicated_key():
    """A patient with nothing against any target gets the targets exactly as before."""
    data = caseformat.validate(case([complaint(region="shoulder", side="right")], sex="male",
                                    birth_date="1980-01-01"))
    segmental, ganglionic = targets(assess(data, load()))
    assert segmental and ganglionic
    assert all(set(t) == {"segment", "technique", "where"} for t in segmental)
    assert all(set(g) == {"target", "reason", "requires"} for g in ganglionic)


def test_the_reasons_are_the_safety_engines_own():
    data = on_apixaban_with_shoulder_pain()
    kb = load()
    _segmental, ganglionic = targets(assess(data, kb))
    stellate = next(g for g in ganglionic if g["target"] == "stellate")
    expected = safety.target_contraindications(data, "stellate", kb)
    assert stellate["contraindications"] == [{"code": r["code"], "message": r["message"]} for r in expected]
    assert stellate["reason"] == "; ".join(r["message"] for r in expected)


def test_the_cli_lists_contraindicated_targets(tmp_path):
    path = tmp_path / "pregnant.case.json"
    path.write_text(json.dumps(pregnant_with_pelvic_pain()))
    run = subprocess.run([sys.executable, "-m", "segmenta", "assess", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    _segmental, ganglionic = targets(json.loads(run.stdout))
    assert next(g for g in ganglionic if g["target"] == "frankenhauser")["contraindicated"] is True


def test_the_assessment_schema_describes_the_new_keys():
    schema = build_schema()
    complaint_items = schema["properties"]["complaints"]["items"]["properties"]
    for kind in ("segmental_targets", "ganglionic_targets"):
        item = complaint_items[kind]["items"]
        assert {"contraindicated", "reason", "contraindications"} <= set(item["properties"])
        assert "absent" in item["properties"]["contraindicated"]["description"]
        assert item["then"]["required"] == ["contraindicated", "reason", "contraindications"]
    marked = {"target": "stellate", "reason": "pregnancy", "requires": "physician", "contraindicated": True}
    result = {"refer_first": False, "red_flags": [], "knowledge_version": "1", "complaints": [
        {"id": "c1", "segments": [], "candidates": [], "segmental_targets": [], "ganglionic_targets": [marked]}]}
    assert not VALIDATOR.is_valid(result)  # a mark needs the safety engine's reasons with it
    marked["contraindications"] = [{"code": "pregnancy", "message": "pregnancy"}]
    assert VALIDATOR.is_valid(result)


# --- The property: nothing the safety engine would block is offered plainly ------------------

dates = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1990, 2026), st.integers(1, 12))
regions = st.lists(st.fixed_dictionaries({"region": st.sampled_from(vocabulary.codes("region")),
                                          "side": st.sampled_from(vocabulary.codes("side"))}), min_size=1, max_size=2)


@st.composite
def patients_cases(draw):
    patient = {"sex": draw(st.sampled_from(vocabulary.codes("sex"))),
               "birth_date": f"{draw(st.integers(1925, 2022))}-{draw(st.integers(1, 12)):02d}-01",
               "conditions": draw(st.lists(st.sampled_from(vocabulary.codes("condition")), max_size=2, unique=True)),
               "medications": [{"name": cls, "class": cls} for cls in
                               draw(st.lists(st.sampled_from(vocabulary.codes("medication_class")), max_size=2,
                                             unique=True))]}
    if draw(st.booleans()):
        patient["pregnant"] = draw(st.sampled_from([True, False, None]))
    if draw(st.booleans()):
        patient["weight_kg"] = draw(st.integers(10, 120))
    complaints = [{"id": f"c{i}", "regions": draw(regions), "onset": draw(dates),
                   "organs": draw(st.lists(st.sampled_from(vocabulary.codes("organ")), max_size=2, unique=True))}
                  for i in range(draw(st.integers(1, 2)))]
    return caseformat.validate({"format": "segmenta-case/1", "patient": patient, "complaints": complaints})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients_cases())
def test_no_target_the_safety_engine_blocks_is_ever_offered_without_the_mark(data):
    kb = load()
    result = assess(data, kb)
    assert VALIDATOR.is_valid(result), list(VALIDATOR.iter_errors(result))[:1]
    for answer in result["complaints"]:
        listed = [(t["technique"], t) for t in answer["segmental_targets"]]
        listed += [(g["target"], g) for g in answer["ganglionic_targets"]]
        for target, entry in listed:
            blocked = safety.target_contraindications(data, target, kb)
            if blocked:
                assert entry.get("contraindicated") is True and entry["reason"], (target, blocked)
            else:
                assert "contraindicated" not in entry, target
