"""The knowledge base's words in a German and a Spanish browser: a practitioner answers the
red-flag screening in German and records a history item in Spanish, choosing from the
knowledge base's translated labels; what is stored are the codes. Screenshots of the Learn
pages in the three languages at three sizes go to SEGMENTA_SCREENSHOTS when it is set."""

import os
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from segmenta.assessment.models import RedFlagScreening
from segmenta.conftest import PASSWORD
from segmenta.patients import models as m

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(browser_pages, settings, doctor):
    """A logged-in page in a browser whose language is ``locale``."""
    settings.SEGMENTA_REQUIRE_MFA = False

    def open_in(locale, width=1024, height=768):
        page = browser_pages(locale=locale, size=(width, height))
        page.goto(reverse("accounts:login"))
        page.locator("input[name=username]").fill("doctor")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/patients/")
        return page

    return open_in


def test_a_german_practitioner_answers_the_red_flag_screening_in_german(browser, patient):
    complaint = m.Complaint.objects.create(patient=patient, description="Kreuzschmerz", onset="2026-09",
                                           regions=[{"region": "lower_back"}])
    page = browser("de-DE")
    page.goto(reverse("assessment:screening", args=[patient.pk, complaint.pk]))
    page.locator("input[name=date]").fill(date.today().isoformat())
    assert page.get_by_role("heading", name="Wirbelsäule und Rücken").is_visible()
    page.get_by_role("group", name="Reithosenanästhesie").get_by_label("Ja", exact=True).check()
    for group in page.locator("fieldset.question").all():
        if group.locator("legend").inner_text() != "Reithosenanästhesie":
            group.get_by_label("Nein", exact=True).check()
    assert page.get_by_role("group", name="Saddle anaesthesia").count() == 0
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/patients/{patient.pk}/#complaints")
    screening = RedFlagScreening.objects.get()
    assert screening.date == date.today()
    assert screening.answers["saddle_anaesthesia"] == "yes" and screening.answers["night_pain"] == "no"
    complaint.refresh_from_db()
    assert complaint.findings == ["saddle_anaesthesia"]
    assert "Reithosenanästhesie" in page.locator("#complaints").inner_text()


def test_a_spanish_practitioner_records_a_scar_with_the_spanish_labels(browser, patient):
    page = browser("es-ES")
    page.goto(reverse("patients:item_new", args=[patient.pk, "history"]))
    kind = page.locator("select[name=kind]")
    assert "Cicatriz" in kind.inner_text() and "Scar" not in kind.inner_text()
    kind.select_option(label="Cicatriz")
    page.locator("[name=description]").fill("Apendicectomía")
    page.locator("[name=date]").fill("1994")
    page.get_by_role("checkbox", name="Picor", exact=True).check()
    page.get_by_role("checkbox", name="Queloide", exact=True).check()
    page.locator('.bodymap.selectable path[data-choir="116"]').click()
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#history")
    item = m.HistoryItem.objects.get(patient=patient)
    assert (item.kind, item.signs, item.regions) == ("scar", ["itching", "keloid"], [{"choir": 116, "side": "right"}])
    assert "Cicatriz: Apendicectomía" in page.locator("#history").inner_text()


@pytest.mark.skipif(not os.environ.get("SEGMENTA_SCREENSHOTS"), reason="set SEGMENTA_SCREENSHOTS to a folder")
def test_screenshots_of_the_learn_pages_in_three_languages(browser, patient):
    folder = Path(os.environ["SEGMENTA_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    complaint = m.Complaint.objects.create(patient=patient, description="Low back", onset="2026-09",
                                           regions=[{"region": "lower_back"}], findings=["saddle_anaesthesia"])
    entry = "knowledge:entry"
    pages = {"ganglion": reverse(entry, args=["ganglion", "stellate"]),
             "protocol": reverse(entry, args=["protocol", "last"]) + "?weight=62",
             "redflags": reverse("knowledge:kind", args=["red-flag"]), "segment": reverse(entry, args=["segment", "T8"]),
             "drug": reverse(entry, args=["drug", "procaine"]), "organ": reverse(entry, args=["organ", "gallbladder"]),
             "screening": reverse("assessment:screening", args=[patient.pk, complaint.pk]),
             "assess": reverse("assessment:assess", args=[patient.pk])}
    for locale in ("en-GB", "de-DE", "es-ES"):
        for width, height in ((1366, 900), (1024, 768), (390, 844)):
            page = browser(locale, width, height)
            for name, url in pages.items():
                page.goto(url)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, (locale, width, name, overflow)
                page.screenshot(path=str(folder / f"{name}-{locale[:2]}-{width}.png"), full_page=True)
