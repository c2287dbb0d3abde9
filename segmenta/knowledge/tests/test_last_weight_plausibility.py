"""The LAST calculator doses any weight it is given, but not an implausible one without a
word: 350 kg is noted, with the range and where it comes from (the knowledge base, which
says honestly that no source gives one)."""

import pytest
from django.urls import reverse

from segmenta.conftest import browser_login
from segmenta.knowledge.base import KnowledgeError, load
from segmenta.knowledge.last import weight_plausibility

ENTRY = load().get("protocol", "weight-plausibility")


def test_the_range_lives_in_the_knowledge_base_and_admits_it_has_no_source():
    assert ENTRY["range_kg"] == {"min": 35, "max": 250}
    assert ENTRY["evidence"] == "no_source" and ENTRY["sources"] == []


def test_weights_inside_the_range_pass_and_those_outside_are_named():
    assert weight_plausibility(70) is None and weight_plausibility(250) is None
    assert weight_plausibility(350) == {"code": "above", "weight_kg": 350, "min_kg": 35, "max_kg": 250}
    assert weight_plausibility(12.5)["code"] == "below"
    with pytest.raises(ValueError, match="^weight_kg"):
        weight_plausibility(0)


def test_a_clinic_may_set_its_own_range_but_not_a_backwards_one():
    kb = load().with_overrides([("protocol", "weight-plausibility", {"range_kg": {"min": 40, "max": 300}}, "bariatric")])
    assert weight_plausibility(280, kb.get("protocol", "weight-plausibility")) is None
    with pytest.raises(KnowledgeError, match="range_kg"):
        load().with_overrides([("protocol", "weight-plausibility", {"range_kg": {"min": 300, "max": 40}}, "typo")])


def test_the_learn_page_notes_an_implausible_weight_beside_the_doses(doctor_client):
    url = reverse("knowledge:entry", args=["protocol", "last"])
    html = doctor_client.get(url, {"weight": "350", "height": "180", "sex": "male"}).content.decode()
    assert "350 kg is more than 250 kg" in html and "kilograms, not pounds?" in html
    assert "Bolus" in html  # the doses are still there, for a patient who really weighs that much
    assert reverse("knowledge:entry", args=["protocol", "weight-plausibility"]) in html
    plain = doctor_client.get(url, {"weight": "72"}).content.decode()
    assert "Bolus" in plain and "the most this calculator takes" not in plain
    light = doctor_client.get(url, {"weight": "18"}).content.decode()
    assert "18 kg is less than 35 kg" in light and "paediatric check" in light


@pytest.mark.browser
def test_typing_350_kg_into_the_calculator_shows_the_note(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto(reverse("knowledge:entry", args=["protocol", "last"]))
    page.get_by_label("Patient's weight (kg)").fill("350")
    page.get_by_label("Height (cm)").fill("175")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Calculate").click()
    note = page.get_by_role("alert").filter(has_text="350 kg is more than 250 kg")
    assert note.is_visible()
    assert "weight=350" in page.url and page.get_by_text("Bolus", exact=True).is_visible()
