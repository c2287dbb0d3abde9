"""Recording a session in the browser: the live verdict, a blocked injection and a physician's
override, which is never the primary button."""

import pytest

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import browser_login, complete_chart
from segmenta.knowledge import vocabulary
from segmenta.patients import models as pm
from segmenta.treatment.models import Injection, Session

pytestmark = pytest.mark.browser



def start_session(page, patient):
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New session").click()
    page.get_by_role("button", name="Start session").click()
    page.wait_for_url("**/sessions/*/")


def test_blocked_injection_is_saved_only_with_a_physicians_written_override(page, settings, doctor, patient):
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant")
    complete_chart(patient, doctor)
    browser_login(page)
    start_session(page, patient)

    page.get_by_label("Target").select_option("stellate")
    page.get_by_label("Drug").select_option("procaine")
    page.get_by_label("Concentration (%)").fill("1")
    page.get_by_label("Volume (mL)").fill("5")
    page.locator('.bodymap.selectable path[data-choir="105"]').click()
    # The verdict updates as the form changes, without a reload: anticoagulation, stellate.
    verdict = page.locator("#verdict.verdict-block")
    verdict.wait_for()
    page.wait_for_load_state("networkidle")
    # The reasons follow the verdict bar in the page.
    assert "anticoagulant" in page.locator("#verdict-detail").inner_text()
    assert page.locator("#verdict button.primary").count() == 0
    assert not Injection.objects.exists()

    page.get_by_label("Physician's reason to override the block").fill(
        "Apixaban paused for 72 h per haematology; benefit outweighs risk")
    page.get_by_role("button", name="Override and save").click()
    page.wait_for_url("**/sessions/*/")
    injection = Injection.objects.get()
    assert injection.verdict == "block" and injection.overridden_by == doctor and injection.performed_by == doctor
    assert injection.regions == [{"choir": 105, "side": "right"}]
    assert "Overridden by doctor" in page.locator("#injections").inner_text()

    page.get_by_role("button", name="Sign session").click()
    page.wait_for_url("**/sessions/*/")
    session = Session.objects.get()
    assert session.signed and session.content_hash == session.compute_hash()
    assert page.get_by_text("Signed by doctor").is_visible()
    assert page.locator("#add-injection").count() == 0


def test_the_live_verdict_follows_the_form_and_a_product_sets_drug_and_strength(page, settings, doctor, patient):
    from segmenta.treatment.models import Product

    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=70)
    complete_chart(patient, doctor)
    Product.objects.create(clinic=patient.clinic, name="Procaine 1 % 2 mL ampoule", drug="procaine",
                           concentration_percent=1)
    Product.objects.create(clinic=patient.clinic, name="Lidocaine 1 % 50 mL vial", drug="lidocaine",
                           concentration_percent=1, preservative=True, multi_dose=True)
    browser_login(page)
    start_session(page, patient)

    page.get_by_label("Target").select_option("wheal")
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    page.get_by_label("Volume (mL)").fill("0.5")
    # Lot and expiry are folded away with the rarer fields.
    page.locator("#add-injection summary").click()
    page.get_by_label("Lot").fill("P2417")
    page.locator('.bodymap.selectable path[data-choir="107"]').click()
    page.locator("#verdict.verdict-warn").wait_for()
    assert "expiry date not recorded" in page.locator("#verdict-detail").inner_text()
    page.get_by_label("Expiry").fill("2028-06-30")
    page.locator("#verdict.verdict-ok").wait_for()
    assert "5 mg" in page.locator("#verdict").inner_text()
    # Scrolled down to the last field, the verdict is still in view.
    page.get_by_label("Relief lasted (h)").scroll_into_view_if_needed()
    box = page.locator("#verdict").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"]

    # A preserved multi-dose vial at the stellate ganglion: blocked before anything is saved.
    page.get_by_label("Target").select_option("stellate")
    page.get_by_label("Product").select_option(label="Lidocaine 1 % 50 mL vial")
    page.get_by_label("Volume (mL)").fill("4")
    page.locator("#verdict.verdict-block").wait_for()
    assert "preservative" in page.locator("#verdict-detail").inner_text()

    page.get_by_label("Target").select_option("wheal")
    page.get_by_label("Product").select_option(label="Procaine 1 % 2 mL ampoule")
    page.get_by_label("Volume (mL)").fill("0.5")
    page.locator("#verdict.verdict-ok").wait_for()
    page.get_by_role("button", name="Save injection").click()
    page.wait_for_url("**/sessions/*/")
    injection = Injection.objects.get()
    assert (injection.product.name, injection.drug, float(injection.concentration_percent), injection.lot,
            str(injection.expiry)) == ("Procaine 1 % 2 mL ampoule", "procaine", 1.0, "P2417", "2028-06-30")
    assert injection.performed_by == doctor and injection.verdict == "ok"


def test_the_injector_is_checked_not_the_typist(page, settings, doctor, assistant, patient):
    """An assistant charts a stellate block performed by nobody verified: blocked; picking the
    physician who injects makes scope and training the physician's."""
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=70)
    complete_chart(patient, doctor)
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    browser_login(page, "assist")
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_label("Target").select_option("stellate")
    page.get_by_label("Drug").select_option("procaine")
    page.get_by_label("Concentration (%)").fill("1")
    page.get_by_label("Volume (mL)").fill("4")
    page.locator('.bodymap.selectable path[data-choir="105"]').click()
    page.locator("#verdict.verdict-block").wait_for()
    assert "profession is unknown" in page.locator("#verdict-detail").inner_text()

    page.get_by_label("Injected by").select_option(str(doctor.pk))
    page.get_by_label("Aspirated before injecting").check()
    page.locator("#verdict:not(.verdict-block)").wait_for()
    assert "profession" not in page.locator("#verdict-detail").inner_text()


def test_a_normal_inr_recorded_for_the_session_lets_warfarin_past_its_hold_time_through(page, settings, doctor,
                                                                                        patient):
    """Warfarin: 5 days and a normal INR before intermediate-risk procedures (Narouze et al. 2018)."""
    from datetime import timedelta

    from django.utils import timezone

    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=70)
    pm.Medication.objects.create(patient=patient, name="Warfarin", medication_class="anticoagulant",
                                 last_dose=timezone.now() - timedelta(days=6))
    complete_chart(patient, doctor)
    browser_login(page)
    start_session(page, patient)

    def stellate_verdict():
        page.get_by_label("Target").select_option("stellate")
        page.get_by_label("Drug").select_option("procaine")
        page.get_by_label("Concentration (%)").fill("1")
        page.get_by_label("Volume (mL)").fill("4")
        page.locator('.bodymap.selectable path[data-choir="105"]').click()
        page.locator("#verdict.verdict-ok, #verdict.verdict-warn, #verdict.verdict-block").wait_for()
        return page.locator("#verdict-detail").inner_text()

    assert "normal INR is not recorded" in stellate_verdict()
    page.get_by_label("INR checked today and normal").check()
    page.get_by_role("button", name="Save notes").click()
    page.wait_for_url("**/sessions/*/")
    assert Session.objects.get().inr_normal
    assert "INR" not in stellate_verdict()
