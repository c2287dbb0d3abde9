"""The safety-net red flags (issue 10): each one raised with its action and its sources;
the age-limited ones only from the age the knowledge base names, on both sides of it."""

from datetime import date

from segmenta.assessment.engine import assess
from segmenta.knowledge.base import load

from .cases import case, complaint

TODAY = date(2026, 11, 25)


def flags_for(finding, region="head", birth_date="1975-01-01", on_case=False, **patient):
    c = complaint(region=region, side="both", onset="2026-10", **({} if on_case else {"findings": [finding]}))
    data = case([c], findings=[finding] if on_case else [], birth_date=birth_date)
    data["patient"].update(patient)
    if birth_date is None:
        del data["patient"]["birth_date"]
    result = assess(data, load(), today=TODAY)
    return {f["code"]: f for f in result["red_flags"]}, result


def raised(finding, sources, **kwargs):
    flags, result = flags_for(finding, **kwargs)
    assert finding in flags and result["refer_first"] is True
    assert flags[finding]["action"] and flags[finding]["complaint_id"] == "c1"
    entry = load().get("red-flag", finding)
    assert set(sources) <= set(entry["sources"]) and entry["evidence"] != "no_source"
    return flags[finding]


def test_headache_with_fever_or_meningism_is_a_red_flag():
    """SNNOOP10 (Do et al., Neurology 2019): systemic symptoms including fever; NICE CG150:
    worsening headache with fever."""
    flag = raised("headache_fever_meningism", ["snnoop10-2019", "nice-cg150"])
    assert "do not inject" in flag["action"]


def test_papilloedema_is_a_red_flag():
    """SNNOOP10 (Do et al., Neurology 2019): papilledema."""
    raised("papilloedema", ["snnoop10-2019"])


def test_positional_or_valsalva_headache_is_a_red_flag():
    """SNNOOP10: positional headache, precipitated by sneezing, coughing or exercise; NICE
    CG150: headache triggered by cough, Valsalva or sneeze, orthostatic headache."""
    raised("positional_valsalva_headache", ["snnoop10-2019", "nice-cg150"])


def test_a_new_headache_pattern_is_a_red_flag():
    """SNNOOP10: pattern change or recent onset of new headache; NICE CG150: a substantial
    change in the characteristics of the headache."""
    raised("new_headache_pattern", ["snnoop10-2019", "nice-cg150"])


def test_headache_in_pregnancy_or_postpartum_is_a_red_flag():
    """SNNOOP10: pregnancy or puerperium."""
    raised("headache_pregnancy_postpartum", ["snnoop10-2019"], sex="female")


def test_jaw_claudication_or_scalp_tenderness_at_50_is_a_red_flag():
    """BSR guideline on giant-cell arteritis (Mackie et al., Rheumatology 2020); NHS GGC
    referral: age of onset over 50, scalp tenderness, jaw claudication. 50 today: raised."""
    flag = raised("jaw_claudication_scalp_tenderness", ["bsr-gca-2020", "nhs-ggc-gca"], birth_date="1976-11-25")
    assert "giant-cell arteritis" in flag["action"]


def test_jaw_claudication_one_day_before_50_is_no_red_flag():
    """Giant-cell arteritis is suspected from 50 (NHS GGC); a day short of 50 the finding
    stays on the chart but raises no flag."""
    flags, result = flags_for("jaw_claudication_scalp_tenderness", birth_date="1976-11-26")
    assert flags == {} and result["refer_first"] is False


def test_jaundice_is_a_red_flag():
    """NICE NG12 1.2.4: jaundice at 40 or over, suspected pancreatic cancer pathway."""
    raised("jaundice", ["nice-ng12"], region="abdomen_upper")


def test_dysphagia_is_a_red_flag():
    """NICE NG12 1.2.1: dysphagia, urgent upper gastrointestinal endoscopy."""
    raised("dysphagia", ["nice-ng12"], region="throat")


def test_rectal_bleeding_is_a_red_flag_at_any_age():
    """NICE NG12 1.3: rectal bleeding (50 or over; under 50 with other symptoms): the
    flag is raised at any age, the work-up decides."""
    raised("rectal_bleeding", ["nice-ng12"], region="perineum", birth_date="2000-01-01")


def test_a_change_of_bowel_habit_at_50_is_a_red_flag():
    """NICE NG12 1.3 (change in bowel habit: faecal testing, colorectal pathway); the flag
    starts at 50 as the issue asks. 50 today: raised."""
    raised("bowel_habit_change", ["nice-ng12"], region="abdomen_lower", birth_date="1976-11-25")


def test_a_change_of_bowel_habit_at_49_is_no_red_flag():
    """NICE NG12 1.3; under 50 the finding raises no flag (the knowledge base notes that
    NG12 itself refers at 60 and offers faecal testing below)."""
    flags, result = flags_for("bowel_habit_change", region="abdomen_lower", birth_date="1976-11-26")
    assert "bowel_habit_change" not in flags and result["refer_first"] is False


def test_an_age_limited_flag_counts_when_the_age_is_unknown():
    """A false "no flag" is worse than a flag too many: without a birth date, the age
    limit cannot clear the patient."""
    flags, _result = flags_for("bowel_habit_change", region="abdomen_lower", birth_date=None)
    assert "bowel_habit_change" in flags


def test_an_age_limited_case_level_finding_uses_the_same_age():
    """The age limit applies to findings recorded for the whole case as well."""
    old, _ = flags_for("jaw_claudication_scalp_tenderness", on_case=True, birth_date="1950-01-01")
    young, _ = flags_for("jaw_claudication_scalp_tenderness", on_case=True, birth_date="1990-01-01")
    assert "jaw_claudication_scalp_tenderness" in old and young == {}


def test_anaemia_is_a_red_flag():
    """NICE NG12 1.3: unexplained iron-deficiency anaemia (colorectal and upper GI pathways)."""
    raised("anaemia", ["nice-ng12"], region="knee")


def test_an_abdominal_mass_is_a_red_flag():
    """NICE NG12 1.2.6 and 1.3: upper abdominal mass, rectal or abdominal mass."""
    raised("abdominal_mass", ["nice-ng12"], region="abdomen_lower")


def test_postmenopausal_bleeding_is_a_red_flag():
    """NICE NG12 1.5.10: post-menopausal bleeding at 55 or over, suspected endometrial
    cancer pathway."""
    raised("postmenopausal_bleeding", ["nice-ng12"], region="pelvis", sex="female")


def test_haemoptysis_is_a_red_flag():
    """NICE NG12 1.1: unexplained haemoptysis at 40 or over, suspected lung cancer pathway."""
    raised("haemoptysis", ["nice-ng12"], region="chest")


def test_syncope_is_a_red_flag():
    """NICE CG109: transient loss of consciousness with red-flag features needs specialist
    cardiovascular assessment within 24 hours."""
    flag = raised("syncope", ["nice-cg109"], region="neck")
    assert "cardiac" in flag["action"]


def test_new_pain_over_50_still_uses_the_age_at_onset():
    """GPCPD low back pain red flags: new pain after 50, by the age at onset (unchanged)."""
    young_onset = case([complaint(onset="2019-06")], birth_date="1970-06-01")
    assert assess(young_onset, load(), today=TODAY)["red_flags"] == []
