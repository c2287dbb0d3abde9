"""Patient leaflets in a real browser: printed from a Spanish-speaking patient's chart (the
documents page, the password again, the leaflet previewed in Spanish, "Download PDF") and
kept in the chart's documents; on Learn, another language picked in the preview's form and
downloaded; the preview read at a desktop, a tablet and a phone width without sideways
scrolling (screenshots kept with the test's files)."""

import os
from pathlib import Path

import pytest

from segmenta.conftest import PASSWORD, browser_login, make_patient
from segmenta.documents.models import IssuedDocument

from .test_browser_documents import documents_page
from .test_leaflets_for_a_patient import text_of

pytestmark = pytest.mark.browser

WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def practice(clinic, doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.phone, clinic.jurisdiction, clinic.address = "+34 91 555 0101", "ES", "Calle Mayor 1\n28013 Madrid"
    clinic.save()
    return clinic


def test_a_leaflet_is_printed_from_the_chart_in_the_patients_language_and_kept(page, practice, doctor):
    patient = make_patient(practice, "García", "Lucía", language="es")
    documents_page(page, patient, "doctor", PASSWORD)
    page.get_by_role("link", name="After your injection").click()
    preview = page.get_by_role("article", name="Preview")
    assert preview.get_by_role("heading", name="Después de su inyección").is_visible()
    assert preview.get_by_text("+34 91 555 0101").first.is_visible()
    assert IssuedDocument.objects.count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PDF").click()
    text = text_of(Path(download.value.path()).read_bytes())
    assert "Después de su inyección" in text and "+34 91 555 0101" in text
    issued = IssuedDocument.objects.get()
    assert (issued.patient, issued.kind, issued.language, issued.made_by) == (patient, "leaflet", "es", doctor)
    assert issued.texts["leaflet"] == "after-your-injection"
    page.goto(f"/documents/patients/{patient.pk}/")
    assert page.get_by_role("cell", name="Patient leaflet").is_visible()


def test_learn_previews_a_leaflet_in_the_language_picked_and_downloads_it(page, practice):
    browser_login(page, "doctor", PASSWORD)
    page.goto("/learn/")
    page.get_by_role("link", name="Patient leaflets: preview and print").click()
    page.get_by_role("link", name="What happens at a session").click()
    page.get_by_label("Language").select_option(label="Deutsch")
    page.get_by_role("button", name="Show").click()
    preview = page.get_by_role("article", name="Preview")
    assert preview.get_by_role("heading", name="Was bei einer Sitzung geschieht").is_visible()
    assert "language=de" in page.url
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = text_of(Path(download.value.path()).read_bytes())
    assert "Was bei einer Sitzung geschieht" in text and "+34 91 555 0101" in text
    assert IssuedDocument.objects.count() == 0  # no patient, nothing kept


@pytest.mark.parametrize("size", [(1366, 900), (1024, 768), (390, 844)])
def test_the_preview_fits_every_screen(browser_pages, practice, size, tmp_path):
    page = browser_pages(size=size)
    browser_login(page, "doctor", PASSWORD)
    page.goto("/learn/leaflets/after-your-injection/?language=de")
    assert page.get_by_role("article", name="Preview").get_by_role("heading", name="Nach Ihrer Injektion").is_visible()
    assert not page.evaluate(WIDER_THAN_THE_SCREEN)
    folder = Path(os.environ.get("SEGMENTA_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"leaflet-preview-{size[0]}x{size[1]}.png"), full_page=True)
