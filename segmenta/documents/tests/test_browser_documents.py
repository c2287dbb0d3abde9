"""The documents in a real browser: the referral letter's form filled as a practitioner fills
it (prefilled from the chart, edited, previewed, downloaded and kept as sent), and a consent
sheet opened from the documents page in the patient's language."""

import re

import pytest

from segmenta.conftest import browser_login
from segmenta.documents.models import IssuedDocument

from .conftest import pdf_text, signed_session, spanish_consent

pytestmark = pytest.mark.browser

PASSWORD = "segmenta-demo"


def documents_page(page, patient, username="demo-doctor", password=PASSWORD):
    """Logged in, from the patient's chart to their documents, the password typed again."""
    browser_login(page, username, password)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Documents").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"**/documents/patients/{patient.pk}/")


def test_a_practitioner_edits_previews_and_downloads_a_referral(page, settings, demo):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = signed_session().patient
    complaint = patient.complaints.first().description
    documents_page(page, patient)
    page.get_by_role("link", name="Referral letter").click()
    findings = page.get_by_label("Findings")
    assert complaint in findings.input_value()  # prefilled from the chart
    page.get_by_label(re.compile(r"^To\b")).select_option(label="Dentist")
    page.get_by_label("Name and address").fill("Dr. Zahn\nMusterweg 1, 10115 Berlin")
    page.get_by_label(re.compile(r"^Question\b")).fill("Tooth 38 as an interference field: please assess.")
    findings.click()
    page.keyboard.press("End")
    page.keyboard.press("Control+End")
    page.keyboard.type("\nX-ray of 2026: no finding.")
    page.get_by_role("button", name="Show the preview").click()
    preview = page.get_by_role("article", name="Preview")
    assert preview.get_by_text("Referral to: Dentist").is_visible()
    assert preview.get_by_text("X-ray of 2026: no finding.").is_visible()
    assert IssuedDocument.objects.count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    pdf = open(download.value.path(), "rb").read()
    text, _reader = pdf_text(pdf)
    assert "Tooth 38 as an interference field: please assess." in " ".join(text.split())
    issued = IssuedDocument.objects.get()
    assert (issued.kind, issued.recipient, issued.made_by.username) == ("referral", "dentist", "demo-doctor")
    assert issued.texts["question"] == "Tooth 38 as an interference field: please assess."
    assert issued.texts["findings"].endswith("X-ray of 2026: no finding.")
    assert issued.texts["recipient_name"] == "Dr. Zahn\nMusterweg 1, 10115 Berlin"


def test_a_missing_question_is_named_in_the_form(page, settings, demo):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = signed_session().patient
    documents_page(page, patient)
    page.get_by_role("link", name="Referral letter").click()
    page.get_by_role("button", name="Download PDF").click()
    field = page.locator(".field.invalid").filter(has=page.get_by_label(re.compile(r"^Question\b")))
    field.locator(".error").wait_for()
    assert field.count() == 1
    assert IssuedDocument.objects.count() == 0


def test_a_consent_sheet_from_the_documents_page_in_the_patients_language(page, settings, demo):
    settings.SEGMENTA_REQUIRE_MFA = False
    consent = spanish_consent()
    documents_page(page, consent.patient)
    form = page.locator("form").filter(has=page.get_by_label(consent.clinical_label()))
    form.get_by_label(consent.clinical_label()).select_option(value="stellate")
    form.get_by_label("Drug").select_option(label="Lidocaine")
    form.get_by_role("button", name="Show the sheet").click()
    preview = page.get_by_role("article", name="Preview")
    assert preview.get_attribute("lang") == "es"
    assert preview.get_by_text("neumotórax").is_visible()
    assert preview.get_by_text("Lidocaína", exact=False).first.is_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("consent-sheet-")
    issued = IssuedDocument.objects.get()
    assert (issued.consent, issued.technique, issued.texts) == (consent, "stellate", {"drug": "lidocaine"})


SIZES = [(1366, 900), (1024, 768), (390, 844)]


@pytest.mark.parametrize("language", ["en-US", "de-DE", "es-ES"])
def test_the_documents_pages_fit_a_laptop_a_tablet_and_a_phone(browser_pages, settings, demo, tmp_path, language):
    """No sideways scrolling, no card or button spilling, in each language and size; the
    screenshots land in SEGMENTA_SCREENSHOTS when set."""
    from segmenta.tests.test_browser_german_spanish_layout import OVERFLOW, shots_folder

    settings.SEGMENTA_REQUIRE_MFA = False
    session, consent = signed_session(), spanish_consent()
    folder = shots_folder(tmp_path)
    for size in SIZES:
        page = browser_pages(locale=language, size=size)
        browser_login(page, "demo-doctor", PASSWORD)
        page.goto(f"/documents/patients/{session.patient_id}/")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form:has(#id_password) button[type=submit]").click()
        page.wait_for_url(f"**/documents/patients/{session.patient_id}/")
        for name, url in [("index", f"/documents/patients/{session.patient_id}/"),
                          ("referral", f"/documents/patients/{session.patient_id}/referral/"),
                          ("note", f"/documents/sessions/{session.pk}/note/"),
                          ("sheet", f"/documents/consents/{consent.pk}/sheet/?technique=stellate"),
                          ("copy", f"/documents/patients/{session.patient_id}/record-copy/")]:
            page.goto(url)
            page.screenshot(path=str(folder / f"documents-{name}-{language}-{size[0]}x{size[1]}.png"), full_page=True)
            assert page.evaluate(OVERFLOW) == {"wide": 0, "spilled": []}, (name, language, size)
