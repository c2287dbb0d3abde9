"""The interface language in a real browser: picked in the profile, switched on the login
page (without JavaScript too), and German forms that take a decimal comma."""

import datetime
from decimal import Decimal

import pytest

from segmenta.accounts.models import PractitionerProfile, TrainingRecord
from segmenta.conftest import PASSWORD, browser_login
from segmenta.patients.models import WeightMeasurement

pytestmark = pytest.mark.browser


def choose_language(page, value):
    page.goto("/accounts/profile/")
    form = page.locator("form[action='/accounts/profile/language/']")
    form.locator("select[name=language]").select_option(value)
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/accounts/profile/")


def test_a_user_picks_deutsch_and_reads_german_then_the_browsers_language_again(browser_pages, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    page = browser_pages(locale="en-US")
    browser_login(page)
    assert page.get_by_role("heading", name="Patients").is_visible()

    page.goto("/accounts/profile/")
    page.get_by_label("Interface language").select_option(label="Deutsch")
    page.locator("form[action='/accounts/profile/language/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/profile/")
    assert PractitionerProfile.objects.get(user=doctor).language == "de"
    assert page.get_by_role("heading", name="Ihr Profil").is_visible()
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_role("link", name="Patienten", exact=True).first.click()
    assert page.get_by_role("heading", name="Patienten").is_visible()

    # Another browser of the same user, also set to English: German from the first page.
    other = browser_pages(locale="en-US")
    browser_login(other)
    assert other.get_by_role("heading", name="Patienten").is_visible()

    choose_language(page, "")
    assert PractitionerProfile.objects.get(user=doctor).language == ""
    assert page.get_by_role("heading", name="Your profile").is_visible()
    page.goto("/patients/")
    assert page.get_by_role("heading", name="Patients").is_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_login_page_switches_to_spanish_and_back(browser_pages, settings, doctor, javascript):
    settings.SEGMENTA_REQUIRE_MFA = False
    page = browser_pages(locale="en-US", javascript=javascript)
    page.goto("/accounts/login/?next=/accounts/profile/")
    switch = page.locator("form.language-switch")
    assert switch.get_by_role("button", name="English").get_attribute("aria-pressed") == "true"
    switch.get_by_role("button", name="Español").click()
    page.wait_for_url("**/accounts/login/?next=/accounts/profile/")
    assert page.get_by_role("heading", name="Iniciar sesión").is_visible()
    assert page.get_by_label("Nombre de usuario").is_visible()
    switch = page.locator("form.language-switch")
    assert switch.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    # Each language keeps its own name, whatever the page speaks.
    assert [switch.get_by_role("button").nth(i).inner_text() for i in range(3)] == ["English", "Deutsch", "Español"]
    # Logged in, the browser's choice stays: the user has chosen none.
    page.get_by_label("Nombre de usuario").fill("doctor")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url("**/accounts/profile/")
    assert page.get_by_role("heading", name="Su perfil").is_visible()


def test_a_german_page_shows_german_dates_and_takes_a_decimal_comma(browser_pages, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    page = browser_pages(locale="de-DE")
    browser_login(page)
    page.goto(f"/patients/{patient.pk}/weights/new/")
    assert page.locator("input[name$=date]").first.input_value() == datetime.date.today().isoformat()
    page.locator("input[name$=date]").first.fill("2026-11-01")
    page.get_by_label("Gewicht (kg)").fill("72,5")
    page.get_by_label("Größe (cm)").fill("168,5")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#weights")
    weight = WeightMeasurement.objects.get(patient=patient)
    assert (weight.date, weight.weight_kg, weight.height_cm) == (
        datetime.date(2026, 11, 1), Decimal("72.5"), Decimal("168.5"))

    # Edited again, the form shows what is stored the German way.
    page.goto(f"/patients/{patient.pk}/weights/{weight.pk}/edit/")
    assert page.get_by_label("Gewicht (kg)").input_value() == "72,5"

    # A training record: hours with a comma, its date then shown as 18.05.2019.
    page.goto("/accounts/profile/")
    page.locator("details:has(form[action='/accounts/profile/training/']) > summary").click()
    page.get_by_label("Kurs").fill("Grundkurs Neuraltherapie")
    page.get_by_label("Anbieter").fill("IGNH")
    page.locator("#id_date").fill("2019-05-18")
    page.locator("#id_hours").fill("12,5")
    page.locator("form[action='/accounts/profile/training/'] button[type=submit]").click()
    page.wait_for_url("**/accounts/profile/")
    record = TrainingRecord.objects.get(profile__user=doctor)
    assert (record.date, record.hours) == (datetime.date(2019, 5, 18), Decimal("12.5"))
    row = page.locator("tr", has_text="Grundkurs Neuraltherapie")
    assert "18.05.2019" in row.inner_text() and "12,5" in row.inner_text()
    assert "2019-05-18" not in page.locator("main").inner_text()
