"""A whole case-simulator run in a real browser, as a practitioner would make it: start the
low-back-pain case from the Learn index, ask the questions (answers appear in place), mark
the lower back on the body map, name the red flags and the candidate scar, propose a wheal
and an overdosed one, then read the debrief; the stored run and its score are checked."""

import pytest

from segmenta.conftest import browser_login
from segmenta.knowledge.base import load
from segmenta.learning import simulator
from segmenta.learning.models import SimulatorRun

pytestmark = pytest.mark.browser


def test_a_whole_simulator_run(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/")
    page.get_by_role("link", name="Case simulator: practise on made-up cases").click()
    page.wait_for_url("**/learn/simulator/")
    page.get_by_role("button", name="Start — Low back pain with night pain and weight loss").click()
    page.wait_for_url("**/learn/simulator/*/")

    # 1. History: each question asked shows its answer where the question was.
    page.get_by_role("button", name="Is the pain there at night or at rest?").click()
    page.get_by_text("Yes, it wakes him most nights").wait_for()
    page.get_by_role("button", name="Have you lost weight without trying?").click()
    page.get_by_text("About 6 kg in three months").wait_for()
    page.get_by_role("button", name="Any operations or scars?").click()
    page.get_by_text("A right inguinal hernia repair in 2010").wait_for()
    # (Until the next page has loaded, its deferred script has not made the map clickable:
    # a click before that was lost on a busy machine.)
    with page.expect_navigation():
        page.get_by_role("button", name="Next: the body map").click()

    # 2. The body map: the lower back, both sides (back view).
    for choir in (218, 219):
        segment = page.locator(f'.bodymap.selectable path[data-choir="{choir}"]')
        segment.click()
        assert segment.get_attribute("aria-checked") == "true"
    page.get_by_role("button", name="Next: fields and injections").click()

    # 3. Red flags, the candidate field (only what the history revealed) and two injections.
    page.get_by_label("Night pain").check()
    page.get_by_label("Unexplained weight loss").check()
    page.get_by_label("Scar (Groin, right)").check()
    first = page.locator("fieldset.sim-injection", has_text="Injection 1")
    first.get_by_label("Target").select_option("wheal")
    first.get_by_label("Drug").select_option("procaine")
    first.get_by_label("Concentration (%)").fill("1")
    first.get_by_label("Volume (mL)").fill("0.5")
    second = page.locator("fieldset.sim-injection", has_text="Injection 2")
    second.get_by_label("Target").select_option("wheal")
    second.get_by_label("Drug").select_option("procaine")
    second.get_by_label("Concentration (%)").fill("1")
    second.get_by_label("Volume (mL)").fill("3")
    page.get_by_role("button", name="Finish and see the debrief").click()

    # The debrief.
    page.get_by_role("heading", name="Expert commentary").wait_for()
    run = SimulatorRun.objects.get()
    assert run.membership.user == doctor and run.step == "done" and run.finished_at is not None
    assert run.answers["asked"] == ["night", "weight", "operations"]
    assert run.answers["regions"] == [{"choir": 218}, {"choir": 219}]
    assert sorted(run.answers["red_flags"]) == ["night_pain", "unexplained_weight_loss"]
    assert run.answers["fields"] == ["h1"]
    assert [i["volume_ml"] for i in run.answers["injections"]] == [0.5, 3.0]
    # The score is the engines' on these answers: "new pain after 50" missed, and injections
    # proposed where the engine says to refer first; the 3 mL wheal is over its limit.
    kb = load()
    expected = simulator.score(kb.get("vignette", "back-pain-red-flags"), run.answers, kb)
    assert run.score == expected["score"]
    assert expected["parts"]["red_flags"]["missed"] == ["new_pain_over_50"]
    assert run.breakdown["targets"]["points"] == 0
    # A dangerous plan (an injection blocked, injections before the referral) earns no safety points.
    assert expected["dangers"] == ["blocked", "before_referral"]
    assert run.breakdown["safety"]["points"] == 0
    assert page.get_by_role("heading", name=f"Your score: {run.score} of 100").is_visible()
    assert page.get_by_text("New pain after the age of 50").first.is_visible()
    assert page.get_by_text("The engine says: refer for conventional work-up first.").is_visible()
    assert page.get_by_text("above the 10 mg limit for one wheal").is_visible()
    assert page.get_by_text("yet you proposed injections").is_visible()
    assert page.get_by_text("refer first: no injection before the work-up").count() == 2
