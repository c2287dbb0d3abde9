"""The patient's preferred language, chosen in the patient form in a real browser, as a
receptionist would, and what reached the database."""

import pytest

from segmenta.conftest import browser_login
from segmenta.patients.models import Patient

pytestmark = pytest.mark.browser


def test_the_patients_language_is_chosen_in_the_form_and_changed_later(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page)
    page.get_by_role("link", name="New patient").click()
    # An English-speaking clinician: the form proposes English until someone picks another.
    assert page.get_by_label("Preferred language").input_value() == "en"
    page.get_by_label("Family name").fill("Navarro Ruiz")
    page.get_by_label("Given name").fill("Inés")
    page.get_by_label("Birth date").fill("1975-09-14")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Preferred language").select_option(label="Español")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/patients/*/")
    patient = Patient.objects.get(family_name="Navarro Ruiz")
    assert patient.language == "es"
    assert page.locator(".patient-language").inner_text() == "Patient's language: Español"

    page.get_by_role("link", name="Edit details").click()
    assert page.get_by_label("Preferred language").input_value() == "es"
    page.get_by_label("Preferred language").select_option(label="Deutsch")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    patient.refresh_from_db()
    assert (patient.language, patient.given_name) == ("de", "Inés")
