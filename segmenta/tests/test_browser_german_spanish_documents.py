"""In a German and a Spanish browser: the safety strip, the course charts, the Learn search and
monographs and the reassessment report speak the page's language and fit a laptop, a tablet and
a phone (1366 x 900, 1024 x 768, 390 x 844) without sideways scrolling; forms whose labels were
English (the plan's complaint, the follow-up's injection) are filled by their German labels.
Screenshots land in SEGMENTA_SCREENSHOTS when set (else the test's temporary folder)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from segmenta.conftest import browser_login
from segmenta.outcomes.models import Response
from segmenta.patients import models as pm
from segmenta.tests.test_browser_german_spanish_layout import LANGUAGES, OVERFLOW, a_course, shots_folder
from segmenta.treatment.models import FollowUp, TreatmentPlan

pytestmark = pytest.mark.browser

SIZES = [(1366, 900), (1024, 768), (390, 844)]
SHOWN = {
    "de": {"chart": ["Procain", "Antikoagulans (Gerinnungshemmer)", "seit Juni 2019"],
           "questionnaires": ["2,5"], "search": ["Meldung einer vermuteten Nebenwirkung", "Krankenhausaufenthalt"],
           "procaine": ["0,5 %"], "reassessment": ["getestet am"]},
    "es": {"chart": ["Procaína", "Anticoagulante", "desde junio de 2019"],
           "questionnaires": ["2,5"], "search": ["Notificación de una sospecha", "hospitalización"],
           "procaine": ["0,5 %"], "reassessment": ["probado el"]},
}
QUERY = {"de": "Krankenhausaufenthalt", "es": "hospitalización"}


def documented_course(clinic, doctor):
    """The layout test's course, with a blood thinner known only by its class, an onset, a
    questionnaire answered twice and a plan."""
    patient, session = a_course(clinic, doctor)
    pm.Medication.objects.create(patient=patient, name="", medication_class="anticoagulant")
    pm.Complaint.objects.filter(patient=patient).update(onset="2019-06")
    complaint = pm.Complaint.objects.get(patient=patient)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="NRS unter 3")
    for weeks, total in ((4, Decimal("2.5")), (1, Decimal("6"))):
        Response.objects.create(patient=patient, instrument="psfs", resource={}, total=total,
                                answered_at=timezone.now() - datetime.timedelta(weeks=weeks))
    return patient, session, plan


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_pages_speak_german_and_spanish_and_fit(browser_pages, settings, clinic, doctor, tmp_path, language,
                                                    size):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient, session, plan = documented_course(clinic, doctor)
    page = browser_pages(locale=LANGUAGES[language], size=size)
    browser_login(page)
    folder = shots_folder(tmp_path)
    problems, missing = {}, {}
    for name, url in (("chart", f"/patients/{patient.pk}/"), ("session", f"/sessions/{session.pk}/"),
                      ("questionnaires", f"/patients/{patient.pk}/questionnaires/"),
                      ("search", f"/learn/?q={QUERY[language]}"), ("procaine", "/learn/drug/procaine/"),
                      ("reassessment", f"/plans/{plan.pk}/reassessment/")):
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language, url
        page.screenshot(path=folder / f"docs-{name}-{language}-{size[0]}x{size[1]}.png", full_page=True)
        text = page.locator("main").inner_text()
        absent = [words for words in SHOWN[language].get(name, []) if words not in text]
        if absent:
            missing[name] = absent
        found = page.evaluate(OVERFLOW)
        if found["wide"] or found["spilled"]:
            problems[name] = found
    assert missing == {}
    assert problems == {}


def test_a_german_user_fills_the_plan_and_a_follow_up_by_their_german_labels(browser_pages, settings, clinic,
                                                                               doctor):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient, session, _plan = documented_course(clinic, doctor)
    page = browser_pages(locale="de-DE", size=(1024, 768))
    browser_login(page)
    page.goto(f"/patients/{patient.pk}/plans/new/")
    complaint = pm.Complaint.objects.get(patient=patient)
    page.get_by_label("Beschwerde").select_option(str(complaint.pk))
    page.get_by_label("Ziele").fill("Schmerzfrei sitzen")
    page.get_by_role("button", name="Plan speichern").click()
    page.wait_for_load_state()
    assert TreatmentPlan.objects.filter(patient=patient, complaint=complaint, goals="Schmerzfrei sitzen").exists()

    page.goto(f"/sessions/{session.pk}/#follow-ups")
    injection = session.injections.get()
    follow_ups = page.locator("#follow-ups")
    follow_ups.get_by_label("Injektion").select_option(str(injection.pk))
    follow_ups.get_by_label("Stunden Linderung").fill("2,5")
    follow_ups.get_by_role("button", name="Nachbeobachtung hinzufügen").click()
    page.wait_for_load_state()
    stored = FollowUp.objects.get(session=session)
    assert stored.injection == injection and stored.relief_hours == Decimal("2.5")
