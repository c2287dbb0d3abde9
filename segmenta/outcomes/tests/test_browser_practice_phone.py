"""The practice outcomes on a phone: the tables scroll sideways inside their cards, say so,
and keep the group's name in view; the page itself never scrolls sideways."""

import pytest

from segmenta.conftest import browser_login
from segmenta.outcomes.tests.test_summary import course

pytestmark = pytest.mark.browser


def test_on_a_phone_the_outcome_tables_scroll_inside_their_cards_with_the_names_in_view(page, settings, doctor,
                                                                                        patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    for region in ("shoulder", "abdomen_upper"):
        course(patient, region, [8, 5])
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "doctor")
    page.goto("/outcomes/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    card = page.locator("section.card", has=page.get_by_role("heading", name="By body region"))
    assert card.get_by_text("Swipe sideways for every column").is_visible()
    scroller = card.locator(".table-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    scroller.evaluate("e => e.scrollLeft = e.scrollWidth")
    name, frame = card.get_by_role("rowheader", name="Upper abdomen").bounding_box(), scroller.bounding_box()
    assert frame["x"] <= name["x"] < frame["x"] + 5  # still at the left edge, in view


def test_on_the_tablet_the_tables_fit_without_the_hint(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    course(patient, "shoulder", [8, 5])
    browser_login(page, "doctor")
    page.goto("/outcomes/")
    card = page.locator("section.card", has=page.get_by_role("heading", name="By body region"))
    assert not card.get_by_text("Swipe sideways for every column").is_visible()
    assert card.locator(".table-scroll").evaluate("e => e.scrollWidth <= e.clientWidth")
