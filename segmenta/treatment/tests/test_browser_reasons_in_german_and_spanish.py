"""The engines' reasons on German and Spanish pages, in a real browser: a safety check on a
German session page answers in German with decimal commas; the assessment and the Huneke
findings of the reassessment speak the page's language too. Screenshots of each, on a laptop
(1366 x 900), a tablet (1024 x 768) and a phone (390 x 844), land in SEGMENTA_SCREENSHOTS when set (else the test's
temporary folder), and no page scrolls sideways."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.assessment import engine
from segmenta.conftest import browser_login, complete_chart
from segmenta.knowledge import vocabulary
from segmenta.knowledge.tests.phrase_checks import merged
from segmenta.patients import models as pm
from segmenta.tests.test_browser_german_spanish_layout import OVERFLOW, shots_folder
from segmenta.treatment import huneke, safety
from segmenta.treatment.models import Injection, Session, TreatmentPlan

pytestmark = pytest.mark.browser

LOCALES = {"de": "de-DE", "es": "es-ES"}
SIZES = {"laptop": (1366, 900), "tablet": (1024, 768), "phone": (390, 844)}


@pytest.fixture
def chart(settings, doctor, patient):
    """A trained physician; a patient with a complete chart but no weight, a shoulder complaint
    after gallbladder surgery, the scar tested once with partial relief, and a plan."""
    settings.SEGMENTA_REQUIRE_MFA = False
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="Society", date="2020-01-01",
                                  hours=40, techniques=vocabulary.codes("injection_target"))
    complete_chart(patient, doctor)
    complaint = pm.Complaint.objects.create(patient=patient, description="Schulterschmerz rechts", onset="2019-06-15",
                                            regions=[{"region": "shoulder", "side": "right"}])
    scar = pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Cholezystektomie", date="2019-01-10",
                                         organs=["gallbladder"], signs=["itching"],
                                         regions=[{"region": "abdomen_upper", "side": "right"}])
    earlier = Session.objects.create(patient=patient, practitioner=doctor,
                                     started_at=timezone.now() - datetime.timedelta(days=7))
    Injection.objects.create(session=earlier, order=1, time=earlier.started_at, target="scar", drug="procaine",
                             concentration_percent=Decimal("1"), volume_ml=Decimal("0.5"), verdict="ok",
                             mg=Decimal("5"), cumulative_mg=Decimal("5"), history_item=scar, complaint=complaint,
                             relief_percent=60, onset_seconds=20, duration_hours=Decimal("2.5"), performed_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="NRS unter 3", created_by=doctor)
    session = Session.objects.create(patient=patient, practitioner=doctor,
                                     started_at=timezone.now() - datetime.timedelta(minutes=5))
    return session, plan


def look(page, folder, name):
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    fit = page.evaluate(OVERFLOW)
    assert fit["wide"] == 0, (name, fit)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_a_safety_check_on_a_german_page_answers_in_german(browser_pages, doctor, chart, tmp_path, size):
    session, _plan = chart
    page = browser_pages(locale="de-DE", size=SIZES[size])
    browser_login(page)
    page.goto(f"/sessions/{session.pk}/")
    page.locator("#id_injection-target").select_option("wheal")
    page.locator("#id_injection-drug").select_option("procaine")
    page.locator("#id_injection-concentration_percent").fill("2,5")
    page.locator("#id_injection-volume_ml").fill("0,3")
    page.locator('.bodymap.selectable path[data-choir="105"]').click()
    with page.expect_response(lambda response: "/injections/check/" in response.url):
        page.locator("#verdict button[name=action][value=check]").click()
    page.locator("#verdict-detail .verdict-reasons").wait_for()
    page.wait_for_load_state("networkidle")
    reasons = page.locator("#verdict-detail .verdict-reasons").inner_text()
    # Numbers as German writes them, whatever the catalogs hold yet.
    assert "2,5 %" in reasons and "2.5 %" not in reasons
    look(page, shots_folder(tmp_path), f"safety-verdict-de-{size}")
    assert not Injection.objects.filter(session=session).exists()
    merged(safety)
    assert "2,5 % liegt über dem Grenzwert von 2 %" in reasons
    assert "Gewicht unbekannt: Die Höchstdosis der Sitzung beträgt" in reasons
    assert "is above the" not in reasons and "weight unknown" not in reasons


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("language", sorted(LOCALES))
def test_the_assessment_and_the_huneke_findings_speak_the_pages_language(browser_pages, chart, tmp_path, language,
                                                                         size):
    _session, plan = chart
    folder = shots_folder(tmp_path)
    page = browser_pages(locale=LOCALES[language], size=SIZES[size])
    browser_login(page)
    page.goto(f"/patients/{plan.patient_id}/assess/")
    assessment = page.locator("main").inner_text()
    assert {"de": "15.06.2019", "es": "15/06/2019"}[language] in assessment and "2019-06-15" not in assessment
    look(page, folder, f"assessment-{language}-{size}")
    page.goto(f"/plans/{plan.pk}/reassessment/")
    findings = page.locator("main").inner_text()
    look(page, folder, f"reassessment-{language}-{size}")
    merged(engine)
    merged(huneke)
    words = {"de": ("Bauch- oder Beckennarbe: ein häufiges Störfeld", "datiert 10.01.2019, 5 Monate vor dem Beginn",
                    "Besserung hielt 2,5 h an"),
             "es": ("cicatriz abdominal o pélvica: un campo interferente frecuente",
                    "fechado en 10/01/2019, 5 meses antes del inicio", "el alivio duró 2,5 h")}[language]
    assert words[0] in assessment and words[1] in assessment
    assert "a frequent interference field" not in assessment and "before onset" not in assessment
    assert words[2] in findings and "relief lasted" not in findings
