"""In a real browser: a patient's PHQ-9 with item 9 above 0 reaches the doctor's chart as
an urgent banner; the patient sees crisis contacts; a clinician acknowledges it."""

import pytest

from segmenta.audit.models import AuditEvent
from segmenta.conftest import browser_login
from segmenta.outcomes.models import Alert, AnswerLink

pytestmark = pytest.mark.browser



def answer_phq9_with_item_9(page, patient, doctor, item_9="several_days"):
    _link, raw = AnswerLink.issue(patient, "phq-9", doctor, hours=1)
    page.goto(f"/q/{raw}/")
    for i in range(1, 9):
        page.locator(f'input[name="phq9-{i}"][value="not_at_all"]').check()
    page.locator(f'input[name="phq9-9"][value="{item_9}"]').check()
    page.get_by_role("button", name="Send answers").click()
    page.get_by_role("heading", name="Thank you").wait_for()


def test_item_9_reaches_the_chart_and_a_doctor_acknowledges_it(page, settings, clinic, patient, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.jurisdiction = "DE"
    clinic.save()
    answer_phq9_with_item_9(page, patient, doctor)
    # The patient sees where to get help, calmly, as every patient does.
    assert page.get_by_role("heading", name="If things feel too much").is_visible()
    assert page.get_by_role("link", name="0800 111 0 111").get_attribute("href") == "tel:08001110111"
    assert page.get_by_role("link", name="112").is_visible()
    assert "self-harm" not in page.content()

    browser_login(page, "doctor")
    row = page.get_by_role("row", name="Muster, Erika")
    assert row.get_by_text("Urgent alert").is_visible()
    row.get_by_role("link", name="Muster, Erika").click()
    banner = page.get_by_role("alert")
    assert banner.is_visible() and "self-harm" in banner.inner_text()
    banner.get_by_label("What was done").click()
    page.keyboard.type("Called her at 14:10: passive thoughts, no plan; safety plan agreed, review Friday")
    banner.get_by_role("button", name="Risk assessed: acknowledge").click()
    page.get_by_text("Alert acknowledged.").wait_for()

    assert page.locator(".alert-banner").count() == 0
    alert = Alert.objects.get()
    assert alert.acknowledged_by == doctor and alert.acknowledged_at is not None
    assert alert.note == "Called her at 14:10: passive thoughts, no plan; safety plan agreed, review Friday"
    event = AuditEvent.objects.get(object_type="alert", action="update")
    assert (event.user, event.patient_id, event.object_id) == (doctor, patient.pk, str(alert.pk))
    page.goto("/patients/")
    assert page.get_by_role("row", name="Muster, Erika").get_by_text("Urgent alert").count() == 0


def test_an_assistant_sees_the_banner_but_cannot_acknowledge(page, settings, patient, doctor, assistant):
    settings.SEGMENTA_REQUIRE_MFA = False
    answer_phq9_with_item_9(page, patient, doctor, item_9="nearly_every_day")
    browser_login(page, "assist")
    page.goto(f"/patients/{patient.pk}/")
    banner = page.get_by_role("alert")
    assert banner.is_visible() and "only a practitioner or clinic admin whose profession is verified can acknowledge" in banner.inner_text()
    assert banner.get_by_role("button").count() == 0
    assert Alert.objects.get().acknowledged_at is None
