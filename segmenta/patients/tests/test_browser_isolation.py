"""Clinic isolation as a user meets it in the browser."""

import pytest

from segmenta.conftest import browser_login, make_patient

pytestmark = pytest.mark.browser


def test_browser_user_sees_only_their_own_clinics_patients(page, settings, doctor, clinic, foreign_patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    make_patient(clinic, family="Berger", given="Claudia")
    browser_login(page, "doctor")
    rows = page.locator("table.patients tbody tr")
    assert rows.count() == 1 and "Berger" in rows.first.inner_text()
    response = page.goto(f"/patients/{foreign_patient.pk}/")
    assert response.status == 404
    assert "Fremd" not in page.content()
