"""Charting in a real browser: the body map and the dental chart as a practitioner uses them."""

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


def test_add_a_scar_by_clicking_the_body_map(chart_page, patient):
    page = chart_page
    with page.expect_navigation():  # loaded, so the map's deferred script has run
        page.get_by_role("link", name="Add history item").click()
    page.get_by_label("Kind").select_option("scar")
    page.get_by_label("Description").fill("Appendectomy")
    page.get_by_label("Date", exact=True).fill("1994")
    segment = page.locator('.bodymap.selectable path[data-choir="116"]')
    segment.click()
    assert segment.get_attribute("aria-checked") == "true"
    # The keyboard works too: focus a segment and press Space.
    page.locator('.bodymap.selectable path[data-choir="121"]').focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    item = m.HistoryItem.objects.get(patient=patient)
    assert item.regions == [{"choir": 116, "side": "right"}, {"choir": 121, "side": "right"}]
    assert "has-history" in page.locator('.bodymap path[data-choir="116"]').get_attribute("class")


def test_add_a_tooth_from_the_dental_chart_and_see_both_on_the_chart(chart_page, patient):
    page = chart_page
    m.HistoryItem.objects.create(patient=patient, kind="scar", description="Caesarean",
                                 regions=[{"choir": 121, "side": "right"}])
    page.reload()
    page.locator('.dental-chart a[data-tooth="38"]').click()
    page.get_by_label("Description").fill("Wisdom tooth extraction")
    page.get_by_label("Date", exact=True).fill("1998")
    page.get_by_role("checkbox", name="Impacted").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    assert page.locator('.dental-chart a[data-tooth="38"]').get_attribute("class") == "tooth has-items"
    assert "has-history" in page.locator('.bodymap path[data-choir="121"]').get_attribute("class")
    assert page.get_by_role("link", name="Tooth 38: Wisdom tooth extraction").is_visible()
    assert page.get_by_role("link", name="Scar: Caesarean").is_visible()


def test_pick_a_tooth_inside_the_form(chart_page, patient):
    page = chart_page
    page.goto(f"/patients/{patient.pk}/history/new/")
    page.get_by_label("Description").fill("Root canal")
    page.locator('.dental-chart button[data-tooth="26"]').click()
    assert page.get_by_label("Kind").input_value() == "tooth"
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    assert m.HistoryItem.objects.get(patient=patient).tooth == "26"


def test_patient_signs_consent_on_screen(chart_page, patient):
    page = chart_page
    page.goto(f"/patients/{patient.pk}/consents/new/")
    page.get_by_label("Date").fill("2026-11-25")
    page.get_by_role("checkbox", name="Injection therapy (neural therapy)").check()
    page.get_by_label("Scope").fill("Segmental therapy with procaine")
    page.get_by_label("How it was signed").select_option("signature")
    box = page.locator(".signature-svg").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 60, steps=5)
    page.mouse.up()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#consents")
    assert m.Consent.objects.get(patient=patient).signature_svg.startswith("M")
