"""Clinic isolation as a user meets it in the browser."""

import pytest

from segmenta.conftest import PASSWORD, make_patient

pytestmark = pytest.mark.browser


def test_browser_user_sees_only_their_own_clinics_patients(page, settings, doctor, clinic, foreign_patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    make_patient(clinic, family="Berger", given="Claudia")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("doctor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/patients/")
    rows = page.locator("table.patients tbody tr")
    assert rows.count() == 1 and "Berger" in rows.first.inner_text()
    response = page.goto(f"/patients/{foreign_patient.pk}/")
    assert response.status == 404
    assert "Fremd" not in page.content()
