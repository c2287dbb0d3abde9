"""An erasure request in a real browser: a clinic admin records it on the patient's page,
types the password again and the reason; the chart is then marked on every page and offers
no forms."""

import pytest

from segmenta.audit.models import AuditEvent
from segmenta.conftest import PASSWORD, browser_login, make_patient
from segmenta.patients import models as pm

from .charts import build_chart

pytestmark = pytest.mark.browser


def test_admin_records_an_erasure_request_and_the_chart_becomes_read_only(page, settings, admin_user, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.jurisdiction = "DE"
    clinic.save()
    chart = build_chart(make_patient(clinic, family="Weg", given="Wilma"), doctor)
    browser_login(page, "boss")
    page.goto(f"/patients/{chart.patient.pk}/")
    page.get_by_role("link", name="Erasure request").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/patients/{chart.patient.pk}/erasure/")
    assert page.get_by_text("10 years after the last treatment, as the law of Germany requires.").is_visible()
    page.get_by_label("Request and reason").click()
    page.keyboard.type("Letter of 2026-11-02: asks to be forgotten")
    page.get_by_role("button", name="Record the request and restrict processing").click()
    page.wait_for_url(f"**/patients/{chart.patient.pk}/")

    patient = pm.Patient.objects.get(pk=chart.patient.pk)
    assert patient.restricted and patient.restricted_by == admin_user
    assert patient.restriction_reason == "Letter of 2026-11-02: asks to be forgotten"
    assert AuditEvent.objects.filter(patient=patient, detail__erasure_request=True).exists()

    banner = page.get_by_role("note").filter(has_text="Processing restricted: this chart is read only")
    assert banner.is_visible() and banner.get_by_text("asks to be forgotten").is_visible()
    # The chart still shows everything, and offers nothing that would change it.
    complaint = page.locator("#complaints").get_by_role("link", name="Shoulder pain")
    assert complaint.is_visible()
    assert page.locator("main form").filter(visible=True).count() == 0
    for button in ("Add complaint", "Add history item", "New session", "New plan", "Edit details"):
        assert not page.get_by_role("link", name=button).is_visible(), button
    assert page.get_by_role("link", name="Patient's copy").first.is_visible()
    # Every page of the chart carries the banner: an entry's page, and the session.
    complaint.click()
    assert page.get_by_role("note").filter(has_text="Processing restricted").is_visible()
    assert page.locator("main form").filter(visible=True).count() == 0
    assert not page.get_by_role("link", name="Mark as entered in error").is_visible()
    page.goto(f"/sessions/{chart.session.pk}/")
    assert page.get_by_role("note").filter(has_text="Processing restricted").is_visible()
    assert page.locator("main form").filter(visible=True).count() == 0
    # No panel that would open a form (the emergency card stays, of course).
    assert page.locator("main details").filter(has=page.locator("form")).filter(visible=True).count() == 0
    assert page.get_by_text("Emergency card").is_visible()
    assert not page.get_by_role("heading", name="Add an injection").is_visible()
    assert page.locator("#injections").get_by_text("Wheal (intracutaneous)").first.is_visible()  # still shown
