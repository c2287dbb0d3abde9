"""The patient's channel choices in a real browser: from the chart to the form, unticking by
keyboard and pointer as a receptionist would, and what was stored (and audited)."""

import pytest

from segmenta.audit.models import AuditEvent
from segmenta.conftest import browser_login, make_patient
from segmenta.scheduling.models_reminders import ContactPreference

pytestmark = pytest.mark.browser


def test_the_patient_opts_out_of_sms_and_recall_from_the_chart(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = make_patient(clinic, email="erika@example.org", phone="+49 170 5550101")
    browser_login(page)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Contact preferences").click()
    page.wait_for_url(f"**/calendar/patients/{patient.pk}/contact/")
    email = page.get_by_label("appointment reminders by e-mail")
    assert email.is_checked() and page.get_by_text("erika@example.org").is_visible()
    page.get_by_label("appointment reminders by SMS").uncheck()
    page.get_by_label("recall messages").focus()
    page.keyboard.press("Space")  # by keyboard, as well
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/calendar/patients/{patient.pk}/contact/")
    assert page.get_by_text("Contact preferences saved.").is_visible()
    stored = ContactPreference.objects.get(patient=patient)
    assert (stored.email_reminders, stored.sms_reminders, stored.recall_messages) == (True, False, False)
    assert stored.updated_by == doctor
    event = AuditEvent.objects.filter(object_type="contactpreference", action="update").get()
    assert event.detail == {"email_reminders": True, "sms_reminders": False, "recall_messages": False}
    assert not page.get_by_label("appointment reminders by SMS").is_checked()


def test_the_form_fits_a_phone_without_sideways_scrolling(browser_pages, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = make_patient(clinic)
    phone = browser_pages(size=(390, 844))
    browser_login(phone)
    phone.goto(f"/calendar/patients/{patient.pk}/contact/")
    assert phone.get_by_text("none on the chart").first.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
