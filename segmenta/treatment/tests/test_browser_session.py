"""Recording a session in the browser: a blocked injection and a physician's override."""

import pytest

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import PASSWORD
from segmenta.knowledge import vocabulary
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session

pytestmark = pytest.mark.browser


def test_blocked_injection_is_saved_only_with_a_physicians_written_override(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("doctor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/patients/")
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New session").click()
    page.get_by_role("button", name="Start session").click()
    page.wait_for_url("**/sessions/*/")

    page.get_by_label("Target").select_option("stellate")
    page.get_by_label("Volume (mL)").fill("5")
    page.locator('.bodymap.selectable path[data-choir="105"]').click()
    page.get_by_role("button", name="Save injection").click()
    # The safety engine blocks it: anticoagulation and a stellate injection.
    assert page.locator(".safety-preview.verdict-block").is_visible()
    assert "anticoagulant" in page.locator(".safety-preview").inner_text()
    assert not Injection.objects.exists()

    page.get_by_label("Physician's reason to override the block").fill(
        "Apixaban paused for 72 h per haematology; benefit outweighs risk")
    page.get_by_role("button", name="Override and save").click()
    page.wait_for_url("**/sessions/*/")
    injection = Injection.objects.get()
    assert injection.verdict == "block" and injection.overridden_by == doctor
    assert injection.regions == [{"choir": 105, "side": "right"}]
    assert "Overridden by doctor" in page.locator("#injections").inner_text()

    page.get_by_role("button", name="Sign session").click()
    page.wait_for_url("**/sessions/*/")
    session = Session.objects.get()
    assert session.signed and session.content_hash == session.compute_hash()
    assert page.get_by_text("Signed by doctor").is_visible()
    assert page.locator("#add-injection").count() == 0
