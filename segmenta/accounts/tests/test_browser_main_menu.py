"""The main menu on a phone: one row that scrolls sideways, with the current section in view."""

import pytest

from segmenta.conftest import browser_login

pytestmark = pytest.mark.browser


def test_on_a_phone_the_menu_is_one_row_and_shows_where_you_are(page, settings, admin_user):
    settings.SEGMENTA_REQUIRE_MFA = False
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, "boss")
    nav = page.locator(".topbar nav")
    links = nav.locator("a")
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
    assert len(tops) == 1  # every item on one line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    page.goto("/clinic/audit/")
    current = page.locator('.topbar nav a[aria-current="page"]').bounding_box()
    assert current["x"] >= 0 and current["x"] + current["width"] <= 390
