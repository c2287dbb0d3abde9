"""The Learn section's LAST calculator, filled in the browser as a physician would."""

import pytest

from segmenta.conftest import browser_login
from segmenta.knowledge.last import lean_body_weight

pytestmark = pytest.mark.browser


def test_the_calculator_doses_on_lean_body_weight(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/protocol/last/")
    page.get_by_label("Patient's weight (kg)").fill("62")
    page.get_by_label("Height (cm)").fill("168")
    page.get_by_label("Sex").select_option("female")
    page.get_by_role("button", name="Calculate").click()
    lean = lean_body_weight(62, 168, "female")["kg"]
    text = page.locator("#lipid-title").locator("..").inner_text()
    assert f"lean body weight of {lean:g} kg" in text and f"{round(1.5 * lean, 1)} mL" in text


def test_the_calculate_button_lines_up_with_the_fields_and_a_phone_gets_full_width_fields(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/protocol/last/")
    button = page.get_by_role("button", name="Calculate").bounding_box()
    weight = page.get_by_label("Patient's weight (kg)").bounding_box()
    assert abs((button["y"] + button["height"]) - (weight["y"] + weight["height"])) <= 2  # same bottom line

    page.set_viewport_size({"width": 390, "height": 844})
    form = page.locator("form.lipid-calculator").bounding_box()
    for name in ("Patient's weight (kg)", "Height (cm)", "Sex"):
        field = page.get_by_label(name).bounding_box()
        assert field["width"] >= form["width"] - 2, name
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
