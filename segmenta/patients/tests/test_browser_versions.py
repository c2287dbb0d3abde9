"""The versioned chart in a real browser at tablet size: change an entry, open its earlier
versions, mark another entry entered in error."""

import pytest

from segmenta.conftest import browser_login
from segmenta.patients import models as m

pytestmark = pytest.mark.browser


def test_edit_an_allergy_see_its_old_value_then_mark_a_medication_entered_in_error(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    allergy = m.Allergy.objects.create(patient=patient, substance="Procaine", allergy_class="ester_local_anaesthetic",
                                       reaction="urticaria", recorded_by=doctor)
    medication = m.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant",
                                             recorded_by=doctor)
    browser_login(page, "doctor")
    page.goto(f"/patients/{patient.pk}/")
    assert page.viewport_size == {"width": 1024, "height": 768}

    page.get_by_role("link", name="Procaine (Ester local anaesthetic)").click()
    page.get_by_label("Reaction").fill("anaphylaxis")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#allergies")
    allergy.refresh_from_db()
    assert allergy.reaction == "anaphylaxis"

    versions = page.locator("#allergies details.versions")
    summary = versions.locator("summary")
    assert "changed" in summary.inner_text() and "doctor" in summary.inner_text()
    assert not versions.locator("del", has_text="urticaria").is_visible()
    summary.click()
    old = versions.locator("del", has_text="urticaria")
    assert old.is_visible() and versions.locator("ins", has_text="anaphylaxis").is_visible()
    box = summary.bounding_box()
    assert box["height"] >= 44  # a finger's target

    page.get_by_role("link", name="Apixaban (Anticoagulant)").click()
    page.get_by_role("link", name="Mark as entered in error").click()
    page.get_by_label("Why was it entered in error?").fill("another patient's medication plan")
    page.get_by_role("button", name="Mark as entered in error").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#medications")

    medication.refresh_from_db()
    assert medication.in_error and medication.name == "Apixaban"
    assert (medication.entered_in_error_by, medication.error_reason) == (doctor, "another patient's medication plan")
    assert not page.get_by_role("link", name="Apixaban (Anticoagulant)").is_visible()
    page.get_by_role("link", name="Show them").click()
    struck = page.locator("#medications li.in-error")
    assert struck.locator("s", has_text="Apixaban").is_visible()
    assert "another patient's medication plan" in struck.inner_text()
