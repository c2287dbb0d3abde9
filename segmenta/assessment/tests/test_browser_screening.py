"""A practitioner screens a complaint for red flags in a real browser, from the chart and
from the Assess page; the stored answers and the complaint's findings are checked."""

from datetime import date

import pytest

from segmenta.assessment.models import RedFlagScreening
from segmenta.conftest import browser_login
from segmenta.patients import models as m

pytestmark = pytest.mark.browser


@pytest.fixture
def logged_in(page, settings, doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    browser_login(page, "doctor")
    return page


@pytest.fixture
def headache(patient):
    return m.Complaint.objects.create(patient=patient, description="Left-sided headache", onset="2026-09",
                                      regions=[{"region": "temple", "side": "left"}])


def answer_everything(page, no_except=(), not_asked=()):
    """Click an answer in every question, as a person works down the form."""
    for group in page.locator("fieldset.question").all():
        name = group.locator("legend").inner_text()
        if name in no_except:
            group.get_by_label("Yes", exact=True).click()
        elif name in not_asked:
            group.get_by_label("Not asked", exact=True).click()
        else:
            group.get_by_label("No", exact=True).click()


def test_screening_a_headache_from_the_chart_stores_the_answers_and_adds_the_yes_findings(
        logged_in, patient, headache, doctor):
    page = logged_in
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Red-flag screening — Left-sided headache").click()
    assert page.get_by_role("heading", name="Head and face").is_visible()
    assert page.get_by_role("group", name="Saddle anaesthesia").count() == 0
    # Saving with questions left open names them and stores nothing.
    page.get_by_role("group", name="Papilloedema").get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save screening").click()
    assert page.get_by_role("alert").filter(has_text="Some questions are not answered yet").is_visible()
    assert not RedFlagScreening.objects.exists()
    answer_everything(page, no_except=["Papilloedema", "Syncope (transient loss of consciousness)"],
                      not_asked=["Unexplained anaemia"])
    page.get_by_role("button", name="Save screening").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#complaints")
    assert page.get_by_text("2 red flag(s) added to the complaint").is_visible()
    screening = RedFlagScreening.objects.get()
    assert screening.complaint == headache and screening.screened_by == doctor and screening.date == date.today()
    assert screening.answers["papilloedema"] == "yes" and screening.answers["syncope"] == "yes"
    assert screening.answers["anaemia"] == "not_asked" and screening.answers["thunderclap_onset"] == "no"
    assert set(screening.answers.values()) == {"yes", "no", "not_asked"}
    headache.refresh_from_db()
    assert headache.findings == ["papilloedema", "syncope"]
    assert page.locator("#complaints .flag").inner_text() == "Red flags: Papilloedema, Syncope"


def test_screening_from_the_assess_page_returns_there_with_the_date(logged_in, patient, headache):
    page = logged_in
    page.goto(f"/patients/{patient.pk}/assess/")
    assert page.locator("#screening").get_by_text("never screened").is_visible()
    page.get_by_role("link", name="Screen for red flags — Left-sided headache").click()
    page.get_by_label("Date of the screening").fill("2026-11-02")
    answer_everything(page)
    page.keyboard.press("Enter")  # submits the form from the focused answer
    page.wait_for_url(f"**/patients/{patient.pk}/assess/")
    assert page.locator("#screening").get_by_text("last screened 2026-11-02").is_visible()
    assert RedFlagScreening.objects.get().date == date(2026, 11, 2)
    headache.refresh_from_db()
    assert headache.findings == []
