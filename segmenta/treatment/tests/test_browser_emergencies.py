"""Emergencies in a real browser: the product list, the day's equipment check, an adverse
event recorded as it happened, and the emergency card opened with one tap."""

import pytest
from django.utils import timezone

from segmenta.conftest import PASSWORD, browser_login
from segmenta.knowledge.base import load
from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, EquipmentCheck, Injection, Product, Session

pytestmark = pytest.mark.browser


def log_in(page, settings, username="doctor"):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, username)


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60, height_cm=165)
    return Session.objects.create(patient=patient, started_at=timezone.now(), practitioner=doctor)


def test_a_practitioner_adds_and_retires_a_product_from_the_navigation(page, settings, doctor, clinic):
    log_in(page, settings)
    page.get_by_role("link", name="Products", exact=True).click()
    page.get_by_label("Name").fill("Procain Steigerwald 1 % 5 mL")
    page.get_by_label("Drug").select_option("procaine")
    page.get_by_label("Concentration (%)").fill("1")
    page.get_by_label("Multi-dose vial").check()
    page.get_by_role("button", name="Add product").click()
    page.get_by_text("Product added.").wait_for()
    product = Product.objects.get()
    assert (product.clinic, product.name, product.drug, float(product.concentration_percent)) == \
        (clinic, "Procain Steigerwald 1 % 5 mL", "procaine", 1.0)
    assert product.multi_dose and not product.preservative and product.active

    page.get_by_role("link", name="Edit Procain Steigerwald 1 % 5 mL").click()
    page.get_by_label("In use").uncheck()
    page.get_by_role("button", name="Save product").click()
    page.get_by_text("Product saved.").wait_for()
    product.refresh_from_db()
    assert not product.active
    assert page.locator("table.products tr.retired").count() == 1


def test_the_days_equipment_check_is_ticked_from_the_session_page_warning(page, settings, doctor, session, clinic):
    items = load().get("protocol", "emergency-equipment")["items"]
    log_in(page, settings)
    page.goto(f"/sessions/{session.pk}/")
    assert page.get_by_text("The emergency equipment has not been checked today.").is_visible()
    page.get_by_role("link", name="Check the equipment now").click()
    for item in items:
        if item["id"] != "defibrillator":
            page.get_by_label(item["name"]).check()
    page.get_by_role("button", name="Save the check").click()
    # Not everything ticked: the note must say what is missing.
    assert page.get_by_text("say what is missing").is_visible()
    assert not EquipmentCheck.objects.exists()
    page.get_by_label("Note").fill("AED pads expired; new pads ordered, AED borrowed from the practice next door")
    page.get_by_label(next(i["name"] for i in items if i["id"] == "defibrillator")).check()
    page.get_by_role("button", name="Save the check").click()
    page.wait_for_url(f"**/sessions/{session.pk}/")
    check = EquipmentCheck.objects.get()
    assert (check.clinic, check.date, check.complete, check.checked_by) == (clinic, timezone.localdate(), True, doctor)
    assert sorted(check.items) == sorted(i["id"] for i in items)
    assert "AED pads expired" in check.note
    assert page.get_by_text("Emergency equipment checked today by doctor").is_visible()


def test_an_adverse_event_is_recorded_with_its_injection_and_reported(page, settings, doctor, session):
    injection = Injection.objects.create(session=session, order=1, time=session.started_at, target="stellate",
                                         side="left", concentration_percent=1, volume_ml=5, verdict="ok", mg=50,
                                         cumulative_mg=50, lot="LOT-1")
    log_in(page, settings)
    page.goto(f"/sessions/{session.pk}/")
    form = page.locator("form.event-form")
    form.get_by_label("Kind").select_option(label="Recurrent laryngeal nerve block (hoarseness)")
    form.get_by_label("After injection").select_option(str(injection.pk))
    form.get_by_label("Severity").select_option("moderate")
    form.get_by_label("Causality (WHO-UMC)").select_option("probable")
    form.get_by_label("Outcome").select_option("recovering")
    form.get_by_label("Description").fill("Hoarse voice ten minutes after the stellate block")
    form.get_by_label("Treatment given").fill("Observed; nothing by mouth until swallowing tested")
    form.get_by_role("button", name="Record adverse event").click()
    page.get_by_text("Adverse event recorded.").wait_for()
    event = AdverseEvent.objects.get()
    assert (event.kind, event.injection, event.severity, event.causality, event.outcome) == \
        ("recurrent_laryngeal", injection, "moderate", "probable", "recovering")
    assert event.treatment_given.startswith("Observed") and event.occurred_at is not None

    # A report leaves the clinic: the password is asked for again first.
    page.get_by_role("link", name="Report (CSV)").click()
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_download() as download:
        page.get_by_role("button", name="Confirm").click()
    assert download.value.suggested_filename == f"adverse-event-{event.pk}.csv"
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_role("button", name="Mark as reported to the authority").click()
    page.get_by_text("Recorded as reported to the authority.").wait_for()
    event.refresh_from_db()
    assert event.reported_at is not None


def test_the_emergency_card_opens_with_one_tap_and_shows_this_patients_doses(page, settings, doctor, session):
    log_in(page, settings)
    page.goto(f"/sessions/{session.pk}/")
    card = page.locator("details#emergency-card")
    assert card.get_attribute("open") is None
    assert not page.get_by_text("On lean body weight 39.3 kg").is_visible()
    page.get_by_text("Emergency card: LAST · anaphylaxis · vasovagal reaction").click()
    assert card.get_attribute("open") is not None
    # 60 kg, 165 cm, female: lean body weight 39.3 kg; 1.5 mL/kg → 58.9 mL; adrenaline capped at 0.5 mg.
    assert page.get_by_text("On lean body weight 39.3 kg").is_visible()
    assert page.locator(".lipid-bolus").inner_text().startswith("58.9 mL")
    assert page.locator(".adrenaline-dose").inner_text() == "0.5 mg = 0.5 mL"
    summary = page.locator("details#emergency-card > summary").bounding_box()
    assert summary["height"] >= 44
    # The keyboard closes it again.
    page.locator("details#emergency-card > summary").focus()
    page.keyboard.press("Enter")
    assert card.get_attribute("open") is None


def test_a_recall_search_finds_the_patients_who_got_a_lot(page, settings, doctor, session, patient, clinic):
    from segmenta.audit.models import AuditEvent

    product = Product.objects.create(clinic=clinic, name="Procaine 1 % 2 mL", drug="procaine", concentration_percent=1)
    Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                             concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5,
                             product=product, lot="RC-2611")
    log_in(page, settings)
    page.goto("/lots/")
    page.get_by_label("Lot").fill(" rc-2611 ")
    page.get_by_role("button", name="Search").click()
    results = page.locator("section[aria-live]")
    results.wait_for()
    assert "1 injection from lot" in results.inner_text() and patient.family_name in results.inner_text()
    assert AuditEvent.objects.filter(action="view", patient=patient).exists()
