from segmenta.assessment.engine import assess
from segmenta.knowledge.base import load

from .cases import case, complaint, item


def run(data):
    return assess(data, load())


def ranked(result, cid="c1"):
    complaint_result = next(c for c in result["complaints"] if c["id"] == cid)
    return [c["history_id"] for c in complaint_result["candidates"]], complaint_result


def reasons(candidate):
    return " | ".join(r["detail"] for r in candidate["reasons"])


def test_an_item_dated_after_onset_ranks_below_every_item_before_it():
    order, result = ranked(run(case([complaint(onset="2015")], [
        item("late", date="2018", region="abdomen_upper", signs=["itching", "keloid", "pain"], organs=["gallbladder"]),
        item("early", date="1990", region="knee")])))
    assert order == ["early", "late"]
    late = result["candidates"][1]
    assert "cannot have caused this complaint" in reasons(late)


def test_the_closer_before_onset_the_stronger():
    order, result = ranked(run(case([complaint(onset="2020")], [item("old", date="2001", region="knee"),
                                                                 item("recent", date="2019", region="knee")])))
    assert order == ["recent", "old"]
    assert result["candidates"][0]["score"] > result["candidates"][1]["score"]


def test_shared_segments_are_named_in_the_reasons():
    _order, result = ranked(run(case([complaint(region="abdomen_upper", onset="2020")],
                                     [item("h1", date="2010", region="mid_back")])))
    assert "shares T7, T8, T9 with the complaint" in reasons(result["candidates"][0])


def test_teeth_relate_to_head_and_face_complaints():
    order, result = ranked(run(case([complaint(region="temple", side="left", onset="2022")],
                                    [item("scar", date="2020", region="knee"),
                                     item("tooth", kind="tooth", tooth="28", date="2020", signs=["root_filled"])])))
    assert order[0] == "tooth"
    assert "trigeminal and upper cervical territory" in reasons(result["candidates"][0])


def test_a_negative_test_excludes_the_item_and_ranks_it_last():
    data = case([complaint()], [item("h1", date="2019-01", region="abdomen_upper", organs=["gallbladder"]),
                                item("h2", date="1990", region="knee")],
                tests=[{"history_id": "h1", "complaint_id": "c1", "date": "2020-01-10", "onset_seconds": 0,
                        "relief_percent": 10, "duration_hours": 0}])
    order, result = ranked(run(data))
    assert order == ["h2", "h1"]
    assert result["candidates"][1]["status"] == "excluded"
    assert "tested negative on 2020-01-10" in reasons(result["candidates"][1])


def test_a_huneke_test_confirms_the_item_and_ranks_it_first():
    data = case([complaint(region="temple", side="left", onset="2022")],
                [item("h1", date="2010", region="knee"), item("h2", kind="tooth", tooth="28", date="2021")],
                tests=[{"history_id": "h1", "complaint_id": "c1", "date": "2023-01-01", "onset_seconds": 3,
                        "relief_percent": 100, "duration_hours": 30}])
    order, result = ranked(run(data))
    assert order[0] == "h1" and result["candidates"][0]["status"] == "confirmed"


def test_a_test_for_another_complaint_changes_nothing_here():
    data = case([complaint(), complaint("c2", region="knee")], [item("h1", date="2010", region="knee")],
                tests=[{"history_id": "h1", "complaint_id": "c2", "relief_percent": 0}])
    _order, result = ranked(run(data), "c1")
    assert result["candidates"][0]["status"] == "candidate"


def test_partial_relief_adds_to_the_score():
    base = case([complaint()], [item("h1", date="2010", region="knee")])
    with_test = dict(base, tests=[{"history_id": "h1", "complaint_id": "c1", "onset_seconds": 10,
                                   "relief_percent": 60, "duration_hours": 2}])
    assert ranked(run(with_test))[1]["candidates"][0]["score"] > ranked(run(base))[1]["candidates"][0]["score"]


def test_red_flags_set_refer_first_with_the_action():
    result = run(case([complaint()], findings=["night_pain"]))
    assert result["refer_first"] is True
    flag = result["red_flags"][0]
    assert (flag["code"], flag["complaint_id"]) == ("night_pain", "c1") and flag["action"]


def test_new_pain_over_50_is_derived_from_birth_date_and_onset():
    older = run(case([complaint(onset="2026-01")], birth_date="1970-06-01"))
    younger = run(case([complaint(onset="2019-06")], birth_date="1970-06-01"))
    assert [f["code"] for f in older["red_flags"]] == ["new_pain_over_50"] and older["refer_first"]
    assert younger["red_flags"] == [] and younger["refer_first"] is False


def test_complaint_findings_are_flagged_with_their_complaint():
    result = run(case([complaint(), complaint("c2", region="head", findings=["thunderclap_onset"])]))
    assert [(f["code"], f["complaint_id"]) for f in result["red_flags"]] == [("thunderclap_onset", "c2")]


def test_given_segments_override_the_derived_ones():
    _order, result = ranked(run(case([complaint(segments=["T10"])])))
    assert result["segments"] == ["T10"]


def _ganglia(region=None, organs=(), sex="female"):
    c = complaint(region=region or "chest", organs=list(organs))
    if region is None:
        c["regions"] = []
    return [g["target"] for g in ranked(run(case([c], sex=sex)))[1]["ganglionic_targets"]]


def test_ganglionic_targets_follow_regions_and_organs():
    assert set(_ganglia("face")) == {"pterygopalatine", "superior_cervical", "stellate"}
    assert _ganglia("upper_arm") == ["stellate"]
    assert _ganglia(organs=["gallbladder"]) == ["coeliac"]
    assert _ganglia("knee") == ["lumbar_sympathetic"]
    assert set(_ganglia(organs=["uterus"])) == {"frankenhauser", "ganglion_impar"}
    assert _ganglia(organs=["prostate"], sex="male") == ["ganglion_impar"]


def test_ganglionic_targets_say_who_may_inject():
    targets = ranked(run(case([complaint(region="face")])))[1]["ganglionic_targets"]
    requires = {t["target"]: t["requires"] for t in targets}
    assert requires == {"stellate": "physician", "superior_cervical": "physician",
                        "pterygopalatine": "physician or dentist"}


def test_segmental_targets_give_wheals_and_paravertebral_for_each_segment():
    targets = ranked(run(case([complaint(region="shoulder", side="right")])))[1]["segmental_targets"]
    assert [(t["segment"], t["technique"]) for t in targets] == [
        ("C4", "wheal"), ("C4", "paravertebral"), ("C5", "wheal"), ("C5", "paravertebral")]
    assert targets[1]["where"] == "paravertebral at C4 on the right side"


def test_the_answer_carries_the_knowledge_version():
    assert run(case())["knowledge_version"] == load().version


def test_body_map_segments_count_like_named_regions():
    data = case([{"id": "c1", "regions": [{"choir": 107, "side": "right"}], "onset": "2020"}])
    assert ranked(run(data))[1]["segments"] == ["C4", "C5"]
