"""Facts spot-checked against ../shared/reference/neural-therapy-facts.md."""

from segmenta.knowledge.base import load


def test_gallbladder_is_supplied_by_t7_to_t9_by_default():
    gallbladder = load().get("organ", "gallbladder")
    default = next(m for m in gallbladder["maps"] if m["id"] == gallbladder["default"])
    assert default["sympathetic"] == ["T7", "T8", "T9"]


def test_disagreeing_gallbladder_maps_are_kept_side_by_side_with_their_sources():
    maps = {m["id"]: m for m in load().get("organ", "gallbladder")["maps"]}
    assert maps["osteopathic"]["sympathetic"] == ["T5", "T6", "T7", "T8", "T9", "T10"]
    assert maps["osteopathic"]["sources"] == ["osteopathic-viscerosomatic"]
    assert maps["head-zones"]["head_zone"] == ["T8", "T9", "T10", "T11"]


def test_c6_key_point_is_the_thumb():
    assert load().get("segment", "C6")["key_point"] == "Thumb"


def test_stellate_success_sign_is_horners_syndrome():
    stellate = load().get("ganglion", "stellate")
    assert "Horner" in stellate["success_sign"]
    assert stellate["may_inject"] == ["physician"]
    assert "glaucoma" in stellate["cautions"]["conditions"]


def test_procaine_limits_500_mg_per_session_and_200_mg_in_2_hours_in_head_neck_and_genital_area():
    limits = load().get("drug", "procaine")["limits"]
    assert limits["session_max_mg"] == 500
    assert limits["head_neck_genital"]["max_mg"] == 200
    assert limits["head_neck_genital"]["window_minutes"] == 120
    assert {"head", "neck", "face", "genital"} <= set(limits["head_neck_genital"]["regions"])
    assert limits["reduce_for_conditions"]["conditions"] == ["arterial_occlusive_disease", "diabetic_neuropathy"]


def test_procaine_contraindications_follow_the_spc():
    contra = load().get("drug", "procaine")["contraindications"]
    assert contra["allergy_classes"] == ["ester_local_anaesthetic", "paba", "paraben", "sulfonamide"]
    assert contra["conditions"] == ["pseudocholinesterase_deficiency"]


def test_per_application_limits_match_the_spc_volumes():
    """Procaine SPC at 1 %: wheal 1 mL, infiltration 10 mL, paravertebral 30 mL, sympathetic
    chain 40 mL, limb nerve block 50 mL."""
    techniques = {t["id"]: t["limits"]["procaine"]["max_mg"] for t in load().all("technique")}
    assert (techniques["wheal"], techniques["scar"], techniques["paravertebral"], techniques["stellate"],
            techniques["limb_nerve"]) == (10, 100, 300, 400, 500)


def test_lidocaine_has_its_own_label_limits():
    """German lidocaine SPCs: 300 mg single dose, stellate block at most 100 mg."""
    kb = load()
    assert kb.get("drug", "lidocaine")["limits"]["session_max_mg"] == 300
    assert kb.get("technique", "stellate")["limits"]["lidocaine"]["max_mg"] == 100
    assert "spc-lidocaine-de" in kb.get("drug", "lidocaine")["sources"]


def test_every_bleeding_hold_time_is_sourced_and_says_whether_it_was_verified():
    for agent in load().all("bleeding-agent"):
        assert agent["sources"] and "verified" in agent, agent["id"]


def test_frankenhauser_plexus_is_a_hard_stop_in_pregnancy():
    assert load().get("ganglion", "frankenhauser")["contraindications"]["pregnancy"] is True


def test_heilpraktiker_may_give_wheals_up_to_two_percent():
    rule = load().get("scope-rule", "heilpraktiker-wheals-only")
    assert rule["allowed_targets"] == ["wheal"] and rule["max_concentration_percent"] == 2


def test_prostate_says_no_source_was_found():
    prostate = load().get("organ", "prostate")
    assert prostate["evidence"] == "no_source" and "No source" in prostate["note"]
