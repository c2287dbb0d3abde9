"""The clinic's retention period, set on the settings page in a real browser."""

import pytest

from segmenta.conftest import PASSWORD, browser_login

pytestmark = pytest.mark.browser


def open_settings(page):
    browser_login(page, "boss")
    page.get_by_role("navigation").get_by_role("link", name="Clinic").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/clinic/")


def test_admin_sets_a_longer_retention_period_and_a_too_short_one_is_refused(page, settings, admin_user, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.jurisdiction = "DE"
    clinic.save()
    open_settings(page)
    default = "Charts are kept 10 years after the last treatment, as the law of Germany requires."
    assert page.get_by_text(default).is_visible()
    field = page.get_by_label("Retention period (years)")
    field.click()
    page.keyboard.type("5")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("At least 10 years where the clinic practises (DE)").is_visible()
    clinic.refresh_from_db()
    assert clinic.retention_years is None
    field = page.get_by_label("Retention period (years)")
    field.fill("")
    field.type("30")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/accounts/clinic/")
    assert page.get_by_role("status").get_by_text("Settings of Praxis Nord saved").is_visible()
    clinic.refresh_from_db()
    assert clinic.retention_years == 30
    assert page.get_by_text("Charts are kept 30 years after the last treatment: the clinic's own period.").is_visible()
