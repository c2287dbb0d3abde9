"""Every chart form, added and then edited in a real browser as a practitioner would,
checking what reached the database. (The medication form once had no Name field and no
test noticed, because the tests posted directly.)"""

import datetime

import pytest
from django.utils import timezone

from segmenta.conftest import browser_login, make_patient
from segmenta.patients import models as m

pytestmark = pytest.mark.browser



@pytest.fixture
def browser_page(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page)
    return page


@pytest.fixture
def chart_page(browser_page, patient):
    browser_page.goto(f"/patients/{patient.pk}/")
    return browser_page


def save_and_return(page, patient, anchor):
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#{anchor}")


def section(page, anchor):
    return page.locator(f"#{anchor}")


def test_a_patient_is_added_and_then_edited_through_the_forms(browser_page, clinic):
    page = browser_page
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("Family name").fill("Sommer")
    page.get_by_label("Given name").fill("Lena")
    page.get_by_label("Birth date").fill("1988-04-03")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Record number").fill("R-77")
    page.get_by_label("Phone").fill("+49 30 1234567")
    page.get_by_label("Email").fill("lena@example.org")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/patients/*/")
    patient = m.Patient.objects.get(family_name="Sommer")
    assert (patient.given_name, patient.birth_date, patient.sex, patient.record_number, patient.clinic) == (
        "Lena", datetime.date(1988, 4, 3), "female", "R-77", clinic)

    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Family name").fill("Sommer-Weiß")
    page.get_by_label("Email").fill("")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/patients/{patient.pk}/")
    patient.refresh_from_db()
    assert (patient.family_name, patient.email) == ("Sommer-Weiß", "")


def test_a_complaint_is_added_with_map_named_region_organs_and_findings_then_edited(chart_page, patient):
    page = chart_page
    with page.expect_navigation():  # loaded, so the map's deferred script has run
        page.get_by_role("link", name="Add complaint").click()
    page.get_by_label("Description").fill("Right shoulder pain")
    page.get_by_label("Onset", exact=True).fill("2019-06")
    page.get_by_label("Pain now (NRS 0–10)").fill("6")
    page.locator('.bodymap.selectable path[data-choir="107"]').click()
    page.get_by_text("Regions the map does not show").click()
    page.get_by_label("Named regions", exact=True).select_option(["neck"])
    page.get_by_label("Side of the named regions").select_option("right")
    page.get_by_role("checkbox", name="Gallbladder", exact=True).check()
    page.get_by_role("checkbox", name="Fever", exact=True).check()
    page.get_by_label("Notes").fill("Worse at night")
    save_and_return(page, patient, "complaints")
    complaint = m.Complaint.objects.get(patient=patient)
    assert complaint.description == "Right shoulder pain" and complaint.onset == "2019-06" and complaint.nrs == 6
    assert complaint.regions == [{"choir": 107, "side": "right"}, {"region": "neck", "side": "right"}]
    assert complaint.organs == ["gallbladder"] and complaint.findings == ["fever"]
    assert complaint.notes == "Worse at night" and complaint.status == "active"

    with page.expect_navigation():
        page.get_by_role("link", name="Right shoulder pain", exact=True).click()
    assert page.get_by_label("Named regions", exact=True).evaluate("s => [...s.selectedOptions].map(o => o.value)") == ["neck"]
    page.get_by_label("Pain now (NRS 0–10)").fill("3")
    page.get_by_label("Status").select_option("resolved")
    page.locator('.bodymap.selectable path[data-choir="107"]').click()  # tap again: removed
    save_and_return(page, patient, "complaints")
    complaint.refresh_from_db()
    assert (complaint.nrs, complaint.status) == (3, "resolved")
    assert complaint.regions == [{"region": "neck", "side": "right"}]


def test_a_history_item_is_added_and_edited(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add history item").click()
    page.get_by_label("Kind").select_option("scar")
    page.get_by_label("Description").fill("Appendectomy")
    page.get_by_label("Date", exact=True).fill("1994")
    page.get_by_role("checkbox", name="Itching", exact=True).check()
    page.locator('.bodymap.selectable path[data-choir="116"]').click()
    page.get_by_label("Notes").fill("Keloid")
    save_and_return(page, patient, "history")
    item = m.HistoryItem.objects.get(patient=patient)
    assert (item.kind, item.description, item.date, item.signs, item.notes) == (
        "scar", "Appendectomy", "1994", ["itching"], "Keloid")
    assert item.regions == [{"choir": 116, "side": "right"}]

    page.get_by_role("link", name="Scar: Appendectomy").click()
    page.get_by_label("Date", exact=True).fill("1994-07")
    page.get_by_role("checkbox", name="Itching", exact=True).uncheck()
    save_and_return(page, patient, "history")
    item.refresh_from_db()
    assert (item.date, item.signs) == ("1994-07", [])


def test_a_weight_with_height_is_added_and_edited(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add weight").click()
    assert page.get_by_label("Date").input_value() == timezone.localdate().isoformat()
    page.get_by_label("Date").fill("2026-11-01")
    page.get_by_label("Weight (kg)").fill("62.5")
    page.get_by_label("Height (cm)").fill("168")
    save_and_return(page, patient, "weights")
    weight = m.WeightMeasurement.objects.get(patient=patient)
    assert (weight.date, float(weight.weight_kg), float(weight.height_cm)) == (datetime.date(2026, 11, 1), 62.5, 168)
    assert "62.5 kg · 168.0 cm" in section(page, "weights").inner_text()

    section(page, "weights").get_by_role("link", name="62.5 kg").click()
    page.get_by_label("Height (cm)").fill("168.5")
    save_and_return(page, patient, "weights")
    weight.refresh_from_db()
    assert float(weight.height_cm) == 168.5


def test_an_allergy_is_added_and_edited(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add allergy").click()
    page.get_by_label("Substance").fill("Procaine")
    page.get_by_label("Class").select_option("ester_local_anaesthetic")
    page.get_by_label("Reaction").fill("Urticaria")
    save_and_return(page, patient, "allergies")
    allergy = m.Allergy.objects.get(patient=patient)
    assert (allergy.substance, allergy.allergy_class, allergy.reaction, allergy.active) == (
        "Procaine", "ester_local_anaesthetic", "Urticaria", True)

    section(page, "allergies").get_by_role("link", name="Procaine (Ester local anaesthetic)").click()
    page.get_by_label("Active").uncheck()
    save_and_return(page, patient, "allergies")
    allergy.refresh_from_db()
    assert not allergy.active


def test_a_medication_is_added_with_its_last_dose_and_edited(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add medication").click()
    page.get_by_label("Name").fill("Apixaban")
    page.get_by_label("Class").select_option("anticoagulant")
    page.get_by_label("Dose", exact=True).fill("5 mg twice daily")
    page.get_by_label("Last dose taken").fill("2026-11-24T20:00")
    save_and_return(page, patient, "medications")
    medication = m.Medication.objects.get(patient=patient)
    assert (medication.name, medication.medication_class, medication.dose, medication.active) == (
        "Apixaban", "anticoagulant", "5 mg twice daily", True)
    assert timezone.localtime(medication.last_dose).strftime("%Y-%m-%d %H:%M") == "2026-11-24 20:00"
    assert "last dose 2026-11-24 20:00" in section(page, "medications").inner_text()

    section(page, "medications").get_by_role("link", name="Apixaban (Anticoagulant)").click()
    assert page.get_by_label("Last dose taken").input_value() == "2026-11-24T20:00"
    page.get_by_label("Last dose taken").fill("")  # the patient is no longer sure: unknown
    page.get_by_label("Dose", exact=True).fill("2.5 mg twice daily")
    save_and_return(page, patient, "medications")
    medication.refresh_from_db()
    assert medication.last_dose is None and medication.dose == "2.5 mg twice daily"


def test_a_medication_without_a_name_says_so_on_the_page(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add medication").click()
    page.get_by_label("Class").select_option("anticoagulant")
    page.get_by_label("Last dose taken").fill("2999-01-01T08:00")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    assert "Name: This field is required." in summary.inner_text()
    assert "Last dose taken: The last dose lies in the future." in summary.inner_text()
    assert not m.Medication.objects.exists()


def test_a_condition_is_added_and_edited(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add condition").click()
    page.get_by_label("Description").fill("Glaucoma")
    save_and_return(page, patient, "conditions")
    condition = m.Condition.objects.get(patient=patient)
    assert (condition.code, condition.text, condition.active) == ("", "Glaucoma", True)

    section(page, "conditions").get_by_role("link", name="Glaucoma").click()
    page.get_by_label("Description").fill("Narrow-angle glaucoma")
    page.get_by_label("Active").uncheck()
    save_and_return(page, patient, "conditions")
    condition.refresh_from_db()
    assert (condition.text, condition.active) == ("Narrow-angle glaucoma", False)


def test_a_pregnancy_status_is_recorded_and_corrected(browser_page, clinic):
    page = browser_page
    patient = make_patient(clinic, family="Jung", birth_date="1994-02-01")
    page.goto(f"/patients/{patient.pk}/")
    assert "Not recorded" in section(page, "pregnancy").inner_text()
    page.get_by_role("link", name="Record status").click()
    page.get_by_label("Status").select_option("not_pregnant")
    page.get_by_label("Note").fill("Asked at intake")
    save_and_return(page, patient, "pregnancy")
    status = m.PregnancyStatus.objects.get(patient=patient)
    assert (status.date, status.status, status.note) == (timezone.localdate(), "not_pregnant", "Asked at intake")
    text = section(page, "pregnancy").inner_text()
    assert "Not pregnant" in text and "recorded by doctor" in text and "Out of date" not in text

    section(page, "pregnancy").get_by_role("link", name="Not pregnant").click()
    page.get_by_label("Status").select_option("unknown")
    save_and_return(page, patient, "pregnancy")
    status.refresh_from_db()
    assert status.status == "unknown"
    assert "ask, or test, before injecting" in section(page, "pregnancy").inner_text()


def sign(page):
    box = page.locator(".signature-svg").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 70, steps=6)
    page.mouse.up()


def test_a_consent_signed_on_screen_is_added_and_later_withdrawn(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add consent").click()
    page.get_by_label("Date").fill("2026-11-25")
    assert page.get_by_label("Decision").input_value() == "given"
    page.get_by_role("checkbox", name="Injection therapy (neural therapy)").check()
    page.get_by_role("checkbox", name="Research use of pseudonymised data").check()
    page.get_by_label("Scope").fill("Segmental therapy with procaine 1 %")
    page.get_by_label("How it was signed").select_option("signature")
    sign(page)
    save_and_return(page, patient, "consents")
    consent = m.Consent.objects.get(patient=patient)
    assert (consent.date, consent.decision, consent.scopes, consent.method) == (
        datetime.date(2026, 11, 25), "given", ["injection_therapy", "research_use"], "signature")
    assert consent.signature_svg.startswith("M")

    section(page, "consents").get_by_role("link", name="given 2026-11-25").click()
    page.get_by_label("Withdrawn on").fill("2026-12-01")
    page.get_by_label("Withdrawal note").fill("No further injections")
    save_and_return(page, patient, "consents")
    consent.refresh_from_db()
    assert (consent.withdrawn_on, consent.withdrawal_note) == (datetime.date(2026, 12, 1), "No further injections")
    assert "withdrawn 2026-12-01" in section(page, "consents").inner_text()


def test_a_consent_signed_on_paper_is_uploaded_as_a_scan(chart_page, patient, tmp_path):
    scan = tmp_path / "consent.pdf"
    scan.write_bytes(b"%PDF-1.4 signed on paper")
    page = chart_page
    page.get_by_role("link", name="Add consent").click()
    page.get_by_role("checkbox", name="Injection therapy (neural therapy)").check()
    page.get_by_label("Scope").fill("Interference-field therapy of the appendix scar")
    page.get_by_label("How it was signed").select_option("scan")
    page.get_by_label("Scan").set_input_files(str(scan))
    save_and_return(page, patient, "consents")
    consent = m.Consent.objects.get(patient=patient)
    assert consent.method == "scan" and consent.scan.read() == b"%PDF-1.4 signed on paper"
    assert consent.date == timezone.localdate() and consent.scopes == ["injection_therapy"]


def test_a_refusal_is_recorded_without_signature_or_scope(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add consent").click()
    page.get_by_label("Decision").select_option("refused")
    page.get_by_label("Scope").fill("Declined injections after the explanation")
    save_and_return(page, patient, "consents")
    consent = m.Consent.objects.get(patient=patient)
    assert (consent.decision, consent.method, consent.scopes, consent.signature_svg) == ("refused", "", [], "")
    assert "refused" in section(page, "consents").inner_text()


def test_a_consent_given_without_what_it_covers_or_a_signature_is_not_saved(chart_page, patient):
    page = chart_page
    page.get_by_role("link", name="Add consent").click()
    page.get_by_label("Scope").fill("Neural therapy")
    page.get_by_label("How it was signed").select_option("signature")
    page.get_by_role("button", name="Save").click()
    text = page.locator(".error-summary").inner_text()
    assert "Covers: A consent given covers at least one use" in text
    page.get_by_role("checkbox", name="Injection therapy (neural therapy)").check()
    page.get_by_role("button", name="Save").click()
    # The signature pad lies outside the main card; its error still shows at the top.
    assert "Signature: The patient has not signed yet." in page.locator(".error-summary").inner_text()
    assert not m.Consent.objects.exists()
    sign(page)
    save_and_return(page, patient, "consents")
    assert m.Consent.objects.get(patient=patient).scopes == ["injection_therapy"]


def test_lists_are_marked_as_reviewed_today_with_one_tap(chart_page, patient, doctor):
    page = chart_page
    assert "Not reviewed" in section(page, "allergies").inner_text()
    assert "Not reviewed" in section(page, "medications").inner_text()
    page.get_by_role("button", name="Mark as reviewed today (allergies)").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#allergies")
    review = m.ChartReview.objects.get(patient=patient)
    assert (review.kind, review.date, review.recorded_by, review.note) == (
        "allergies", timezone.localdate(), doctor, "")
    assert "No known drug allergies" in section(page, "allergies").inner_text()
    assert "Not reviewed" in section(page, "medications").inner_text()

    m.Medication.objects.create(patient=patient, name="Ibuprofen", medication_class="nsaid")
    page.reload()
    page.get_by_role("button", name="Mark as reviewed today (medications)").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#medications")
    assert m.ChartReview.objects.filter(patient=patient, kind="medications", recorded_by=doctor).count() == 1
    today = timezone.localdate().isoformat()
    assert f"Complete as of {today} (doctor)" in section(page, "medications").inner_text()


def test_a_chart_read_again_is_kept_and_its_forms_still_post(chart_page, patient, doctor, monkeypatch):
    """Reloaded, the chart shows its parts as kept (patients/views.py): the forms in them
    carry this read's own token, and what they store shows at once."""
    from segmenta.patients import views
    from segmenta.patients.tests.drawn import count_draws

    draws = count_draws(monkeypatch, "_chart_parts", views._charts_drawn)
    page = chart_page
    page.reload()
    page.reload()
    assert len(draws) == 1  # drawn once, read twice
    page.get_by_role("button", name="Mark as reviewed today (allergies)").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#allergies")
    assert m.ChartReview.objects.filter(patient=patient, kind="allergies", recorded_by=doctor).count() == 1
    assert "No known drug allergies" in section(page, "allergies").inner_text()
    assert len(draws) == 2  # the review renewed the patient's stamp


def test_a_review_with_another_date_and_a_note_is_added_and_edited(chart_page, patient, doctor):
    page = chart_page
    page.get_by_role("link", name="Other date or note (medications)").click()
    assert page.get_by_label("List").input_value() == "medications"
    page.get_by_label("Reviewed on").fill("2026-11-01")
    page.get_by_label("Note").fill("Checked the medication plan")
    save_and_return(page, patient, "reviews")
    review = m.ChartReview.objects.get(patient=patient)
    assert (review.kind, review.date, review.note, review.recorded_by) == (
        "medications", datetime.date(2026, 11, 1), "Checked the medication plan", doctor)
    assert "No regular medication" in section(page, "medications").inner_text()

    section(page, "medications").get_by_role("link", name="reviewed 2026-11-01 (doctor)").click()
    page.get_by_label("List").select_option("allergies")
    page.get_by_label("Note").fill("Asked the patient")
    save_and_return(page, patient, "reviews")
    review.refresh_from_db()
    assert (review.kind, review.note) == ("allergies", "Asked the patient")
    assert "Not reviewed" in section(page, "medications").inner_text()
    assert "No known drug allergies" in section(page, "allergies").inner_text()
