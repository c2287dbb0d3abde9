"""The chart's body map in a real browser at tablet size: segments are named on hover and
on keyboard focus, and picking one opens the history form with that segment chosen."""

import pytest

from segmenta.conftest import browser_login
from segmenta.patients import models as m

pytestmark = pytest.mark.browser


@pytest.fixture
def chart_page(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto(f"/patients/{patient.pk}/")
    return page


def test_pointing_at_a_segment_names_it_beside_the_map(chart_page, patient):
    page = chart_page
    page.locator('.bodymap.linked path[data-choir="107"]').hover()
    label = page.locator("#chart-map-label")
    assert label.inner_text().startswith("Front of shoulder, right (107)")
    assert "Select it to add a history item here." in label.inner_text()


def test_click_a_segment_on_the_chart_and_save_a_history_item_there(chart_page, patient):
    page = chart_page
    page.locator('.bodymap.linked path[data-choir="116"]').click()
    page.wait_for_url(f"**/patients/{patient.pk}/history/new/?segment=116")
    assert page.locator('.bodymap.selectable path[data-choir="116"]').get_attribute("aria-checked") == "true"
    assert page.locator(".bodymap-label").inner_text() == "Selected: Abdomen, right (116)"
    page.get_by_label("Kind").select_option("scar")
    page.get_by_label("Description").fill("Appendectomy")
    page.get_by_label("Date", exact=True).fill("1994")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    item = m.HistoryItem.objects.get(patient=patient)
    assert (item.kind, item.description, item.date) == ("scar", "Appendectomy", "1994")
    assert item.regions == [{"choir": 116, "side": "right"}]
    assert "has-history" in page.locator('.bodymap path[data-choir="116"]').get_attribute("class")


def test_the_keyboard_moves_through_the_map_and_enter_adds_an_item_at_the_focused_segment(chart_page, patient):
    page = chart_page
    # The map is one Tab stop: the first segment takes focus, the arrow keys move on.
    page.locator("#chart-map-label").evaluate("element => element.setAttribute('tabindex', '-1')")
    page.locator("#chart-map-label").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("?segment=101")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    label = page.locator("#chart-map-label").inner_text()
    assert label.startswith("Face, right (103)")
    # Tab leaves the map for the page's next control rather than walking all 74 segments.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.bodymap') === null")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/patients/{patient.pk}/history/new/?segment=103")
    page.get_by_label("Kind").select_option("sinus")
    page.get_by_label("Description").fill("Chronic sinusitis")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    assert m.HistoryItem.objects.get(patient=patient).regions == [{"choir": 103, "side": "right"}]
