"""Learn pages on a phone (390 x 844): nothing cut off at a card's edge, nothing wider than
the screen, badges on one line, rows that stack where a table would not fit."""

import pytest

from segmenta.conftest import browser_login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    page.set_viewport_size(PHONE)
    browser_login(page, "doctor")
    return page


def page_overflow(page):
    """How far the page is wider than the screen, in pixels (0: it is not)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def box(locator):
    return locator.bounding_box()


def test_the_crisis_numbers_stack_under_their_service_and_fit_the_card(phone):
    phone.goto("/learn/crisis-contact/DE/")
    card = box(phone.locator("section#contacts"))
    rows = phone.locator("section#contacts tbody tr")
    assert rows.count() == 2
    names = [rows.nth(i).locator("th").inner_text() for i in range(2)]
    assert len(set(names)) == 2 and all("TelefonSeelsorge" in name for name in names)
    for i in range(2):
        label, number = box(rows.nth(i).locator("th")), box(rows.nth(i).locator("a.phone"))
        assert number["y"] >= label["y"] + label["height"] - 1  # the number under its label
        assert number["x"] + number["width"] <= card["x"] + card["width"]  # not cut off
        assert number["height"] < 60  # on one line
    assert phone.evaluate("[...document.querySelectorAll('#contacts .table-scroll')]"
                          ".every(e => e.scrollWidth <= e.clientWidth)")
    assert page_overflow(phone) == 0


def test_the_crisis_numbers_sit_level_with_their_service_on_a_tablet(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/crisis-contact/DE/")
    # The middles of the cells' contents, not of the cells (a row's cells are equally tall).
    label, number = page.evaluate("""() => {
        const row = document.querySelector('#contacts tbody tr'), range = document.createRange();
        range.selectNodeContents(row.querySelector('th'));
        const text = range.getBoundingClientRect(), link = row.querySelector('a.phone').getBoundingClientRect();
        return [text.top + text.height / 2, link.top + link.height / 2];
    }""")
    assert abs(label - number) <= 3


def test_the_list_of_sources_fits_the_screen_with_its_type_column(phone):
    phone.goto("/learn/source/")
    assert page_overflow(phone) == 0
    card = box(phone.locator("main section.card").first)
    badges = phone.locator("table.learn-list td:last-child .badge")
    assert badges.count() > 10
    for i in range(badges.count()):
        badge = box(badges.nth(i))
        assert badge["x"] + badge["width"] <= card["x"] + card["width"], i  # not off screen
    assert phone.evaluate("(() => { const c = document.querySelector('main section.card');"
                          " return c.scrollWidth <= c.clientWidth; })()")


@pytest.mark.parametrize("path", ["/learn/drug/", "/learn/ganglion/", "/learn/safety-rule/", "/learn/technique/",
                                  "/learn/drug/procaine/", "/learn/ganglion/stellate/"])
def test_an_evidence_badge_keeps_to_one_line(phone, path):
    phone.goto(path)
    heights = phone.evaluate("[...document.querySelectorAll('main .badge')].map(b => b.getBoundingClientRect().height)")
    assert heights and max(heights) < 32, heights  # one line of text, not an oval of two or three
    assert page_overflow(phone) == 0


def test_the_evidence_badge_keeps_clear_of_the_lead(phone):
    phone.goto("/learn/technique/scar/")
    badge, lead = box(phone.locator(".titlebar .badge").first), box(phone.locator("p.lead").first)
    assert lead["y"] - (badge["y"] + badge["height"]) >= 12


def test_a_percentage_stays_on_one_line(phone):
    phone.goto("/learn/scope-rule/heilpraktiker-wheals-only/")
    assert "2\u00a0%" in phone.locator("p.lead").first.inner_text()


def test_a_search_results_kind_sits_right_under_its_title(phone):
    phone.goto("/learn/?q=stellate")
    result = phone.locator("ol.results > li").first
    title, kind = box(result.locator(".result-title")), box(result.locator(".result-kind"))
    assert kind["y"] >= title["y"] + title["height"] - 8  # below the title, not beside it
    assert kind["y"] - (title["y"] + title["height"]) <= 4  # and close to it
    assert kind["height"] < 30  # one line
    assert abs(kind["x"] - title["x"]) <= 1
