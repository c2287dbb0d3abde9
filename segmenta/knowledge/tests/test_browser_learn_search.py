"""The Learn search box, used in the browser as a clinician would: typed in Spanish, sent with
the keyboard, a result opened; the search index it used is kept in the database."""

import pytest

from segmenta.conftest import browser_login
from segmenta.knowledge.base import load
from segmenta.knowledge.models import SearchEntry, SearchIndexBuild

pytestmark = pytest.mark.browser


def test_a_spanish_name_typed_in_the_search_box_opens_the_stellate_ganglion(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.get_by_role("link", name="Learn").click()
    box = page.get_by_label("Search the knowledge base")
    box.click()
    box.type("ganglio estrellado")
    box.press("Enter")
    page.wait_for_url("**/learn/?q=ganglio+estrellado")
    results = page.locator("ol.results > li")
    assert "results" in page.locator("#results-title").inner_text()
    assert "Stellate ganglion" in results.first.inner_text()
    assert page.locator("ol.results mark", has_text="estrellado").count() >= 1

    page.get_by_role("link", name="Stellate ganglion").first.click()
    page.wait_for_url("**/learn/*/stellate/")
    assert page.get_by_role("heading", level=1).inner_text() == "Stellate ganglion"
    assert "ganglio estrellado" in page.locator(".also-called").inner_text()

    # The search ran on the index the database keeps for this version of the knowledge base.
    version = load().version
    assert SearchIndexBuild.objects.filter(version=version).exists()
    assert SearchEntry.objects.filter(version=version, kind="ganglion", entry_id="stellate",
                                      synonyms__contains="ganglio estrellado").exists()


def test_the_search_button_sends_several_words_and_the_drug_comes_first(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    page.goto("/learn/")
    page.get_by_label("Search the knowledge base").fill("procaine maximum dose")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/learn/?q=procaine+maximum+dose")
    first = page.locator("ol.results > li").first
    assert "Procaine" in first.inner_text() and "500 mg" in first.inner_text()
    assert page.get_by_label("Search the knowledge base").input_value() == "procaine maximum dose"
