"""The dental chart on a phone: no tooth is cut off. The teeth keep their finger size and
scroll sideways inside the card, and the page says so; on the tablet all fit at once."""

import pytest

from segmenta.conftest import browser_login
from segmenta.patients import models as m

pytestmark = pytest.mark.browser


@pytest.fixture
def chart_page(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="28", description="Wisdom tooth removed")
    browser_login(page, "doctor")
    return page


def box(locator):
    return locator.bounding_box()


def test_on_a_phone_the_far_teeth_are_reached_by_swiping_inside_the_card(chart_page, patient):
    page = chart_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/patients/{patient.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.get_by_text("Swipe sideways for the patient's left side").is_visible()
    scroller = page.locator(".dental-teeth")
    for number in ("18", "28", "38", "48"):
        tooth = page.locator(f'.dental-chart a[data-tooth="{number}"]')
        tooth.scroll_into_view_if_needed()
        inside, found = box(scroller), box(tooth)
        assert inside["x"] <= found["x"] and found["x"] + found["width"] <= inside["x"] + inside["width"] + 1, number
        assert found["width"] >= 44 and found["height"] >= 44, number  # a finger's width
    # Tooth 28 carries its item and opens a new one for itself.
    page.locator('.dental-chart a[data-tooth="28"]').click()
    page.get_by_label("Description").fill("Residual osteitis")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    assert sorted(m.HistoryItem.objects.filter(patient=patient).values_list("tooth", "description")) == [
        ("28", "Residual osteitis"), ("28", "Wisdom tooth removed")]


def test_on_the_tablet_every_tooth_is_in_view_without_swiping(chart_page, patient):
    page = chart_page
    page.goto(f"/patients/{patient.pk}/")
    scroller = page.locator(".dental-teeth")
    assert scroller.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert not page.get_by_text("Swipe sideways for the patient's left side").is_visible()
    card = page.locator(".dental-chart").locator("xpath=ancestor::section[1]")
    assert card.evaluate("e => e.scrollWidth <= e.clientWidth")
