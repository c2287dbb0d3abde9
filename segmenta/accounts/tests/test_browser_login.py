"""Login security in a real browser (Playwright driving Debian's Chromium)."""

from datetime import timedelta

import pytest

from segmenta.conftest import PASSWORD, add_totp, current_code, make_patient

pytestmark = pytest.mark.browser


def fill_login(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def test_log_in_with_password_and_totp_code(page, doctor, clinic):
    make_patient(clinic, family="Berger", given="Claudia")
    device = add_totp(doctor)
    fill_login(page, "doctor", PASSWORD)
    page.wait_for_url("**/accounts/mfa/**")
    page.get_by_label("Six-digit code").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/patients/")
    assert page.get_by_role("link", name="Berger, Claudia").is_visible()


def test_first_login_shows_a_qr_code_to_enrol(page, doctor):
    fill_login(page, "doctor", PASSWORD)
    page.wait_for_url("**/accounts/mfa/**")
    assert page.get_by_role("heading", name="Set up your authenticator app").is_visible()
    assert page.locator("figure.qr svg").is_visible()


def test_repeated_wrong_passwords_lock_the_account(page, settings, doctor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fill_login(page, "doctor", "wrong-password")
    assert page.get_by_role("heading", name="Too many failed attempts").is_visible()
    fill_login(page, "doctor", PASSWORD)
    assert page.get_by_role("heading", name="Too many failed attempts").is_visible()


def test_idle_browser_is_logged_off(page, settings, doctor, clinic):
    settings.SEGMENTA_IDLE_TIMEOUT = timedelta(seconds=2)
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = make_patient(clinic, family="Berger", given="Claudia")
    fill_login(page, "doctor", PASSWORD)
    page.wait_for_url("**/patients/")
    page.goto(f"/patients/{patient.pk}/")
    # No click, no key: the page itself reloads after the timeout and the server logs off.
    page.wait_for_url(lambda url: "/accounts/login/" in url and "reason=idle" in url, timeout=15_000)
    assert page.get_by_text("You were logged off after a period without activity").is_visible()
    assert "Berger" not in page.content()


def test_typing_keeps_the_session_alive(page, settings, doctor):
    settings.SEGMENTA_IDLE_TIMEOUT = timedelta(seconds=4)
    settings.SEGMENTA_REQUIRE_MFA = False
    fill_login(page, "doctor", PASSWORD)
    page.wait_for_url("**/patients/")
    search = page.get_by_label("Search by name or record number")
    for letter in "abcdefghi":  # one key a second, longer than the idle timeout
        search.press(letter)
        page.wait_for_timeout(1000)
    assert page.url.endswith("/patients/")
    assert search.input_value() == "abcdefghi"
    page.wait_for_url(lambda url: "reason=idle" in url, timeout=15_000)
