"""German and Spanish words are long ("Behandlungsserie", "Aktennummer", "reevaluación"):
the main pages in both languages, on a laptop (1366 x 900) and a tablet (1024 x 768), scroll
nowhere sideways, cut no card's content off and keep every button's words inside it.
Screenshots land in SEGMENTA_SCREENSHOTS when set (else the test's temporary folder)."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from segmenta.accounts.models import TrainingRecord
from segmenta.conftest import browser_login, complete_chart, make_patient
from segmenta.patients import models as pm
from segmenta.treatment.models import ComplaintScore, Injection, Product, Session

pytestmark = pytest.mark.browser

SIZES = [(1366, 900), (1024, 768)]
LANGUAGES = {"de": "de-DE", "es": "es-ES"}

# Wider than the window, a card wider than itself, a button whose words spill out.
OVERFLOW = """() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  const visible = el => el.offsetParent !== null && getComputedStyle(el).visibility !== 'hidden';
  const words = el => (el.innerText || el.value || '').trim().slice(0, 60);
  const cards = [...document.querySelectorAll('main .card')].filter(visible)
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => 'card: ' + words(el.querySelector('h1, h2') || el));
  const buttons = [...document.querySelectorAll('main button, main a.button, main input[type=submit], .topbar a, .topbar button')]
    .filter(visible).filter(el => el.scrollWidth > el.clientWidth + 1).map(el => 'button: ' + words(el));
  return {wide: wide ? document.documentElement.scrollWidth - window.innerWidth : 0, spilled: cards.concat(buttons)};
}"""


def a_course(clinic, doctor):
    """A chart with something in every section the main pages show."""
    patient = make_patient(clinic, family="Schwarzenberger-Hohenlohe", given="Maximiliane",
                           birth_date=datetime.date(1961, 3, 1))
    complete_chart(patient, doctor)
    complaint = pm.Complaint.objects.create(patient=patient, description="Chronische Lumbalgie links, belastungsabhängig",
                                            regions=[{"choir": 218, "side": "left"}])
    scar = pm.HistoryItem.objects.create(patient=patient, kind="scar", description="Appendektomienarbe", date="1994",
                                         regions=[{"choir": 116, "side": "right"}], signs=["itching"])
    pm.WeightMeasurement.objects.create(patient=patient, date=timezone.localdate(), weight_kg=Decimal("72.5"),
                                        height_cm=Decimal("168.5"))
    product = Product.objects.create(clinic=clinic, name="Procain 1 % Ampulle 2 mL", drug="procaine",
                                     concentration_percent=1)
    session = None
    for day in (3, 10):
        session = Session.objects.create(patient=patient, practitioner=doctor,
                                         started_at=timezone.now() - datetime.timedelta(days=day))
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=7, post_nrs=3)
        Injection.objects.create(session=session, order=1, time=session.started_at, target="scar", product=product,
                                 drug="procaine", regions=[{"choir": 116, "side": "right"}],
                                 concentration_percent=Decimal("1"), volume_ml=Decimal("0.5"), verdict="ok",
                                 mg=Decimal("5"), cumulative_mg=Decimal("5"), history_item=scar,
                                 complaint=complaint, relief_percent=80, onset_seconds=20,
                                 duration_hours=Decimal("2.5"), performed_by=doctor)
    TrainingRecord.objects.create(profile=doctor.profile, course="Grundkurs Neuraltherapie nach Huneke",
                                  provider="Internationale Gesellschaft für Neuraltherapie nach Huneke",
                                  date=datetime.date(2019, 5, 18), hours=Decimal("40.5"), techniques=["wheal", "scar"])
    return patient, session


def shots_folder(tmp_path):
    folder = Path(os.environ.get("SEGMENTA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_main_pages_fit_in_german_and_spanish(browser_pages, settings, clinic, doctor, tmp_path, language, size):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient, session = a_course(clinic, doctor)
    page = browser_pages(locale=LANGUAGES[language], size=size)
    browser_login(page)
    folder = shots_folder(tmp_path)
    problems = {}
    for name, url in (("patients", "/patients/"), ("chart", f"/patients/{patient.pk}/"),
                      ("session", f"/sessions/{session.pk}/"), ("profile", "/accounts/profile/"),
                      ("outcomes", "/outcomes/"), ("learn", "/learn/")):
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language, url
        page.screenshot(path=folder / f"{name}-{language}-{size[0]}x{size[1]}.png", full_page=True)
        found = page.evaluate(OVERFLOW)
        if found["wide"] or found["spilled"]:
            problems[name] = found
    assert problems == {}


def every_page(patient, session):
    """Every page a clinic admin can open for ``patient``'s chart (the API's and the admin's
    addresses aside), the Learn index, each kind of entry and one entry of each kind."""
    from django.urls import reverse

    from segmenta.knowledge.base import load
    from segmenta.tests.pages import chart_items, readable_urls

    skipped = ("/api/", "/admin/", "/fhir/", "/accounts/logout/", "/i18n/")
    yield from (url for url in readable_urls(patient, session, patient.plans.first(), chart_items(patient))
                if not url.startswith(skipped))
    yield reverse("knowledge:index")
    for kind, entries in load().entries.items():
        yield reverse("knowledge:kind", args=[kind])
        yield reverse("knowledge:entry", args=[kind, next(iter(entries))])


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_page_fits_in_german_and_spanish(browser_pages, settings, clinic, doctor, admin_user, tmp_path,
                                                language, size):
    """Every page, not just the main ones: what a clinic admin opens of a full chart."""
    from django.test import Client

    from segmenta.patients.tests.test_query_counts import fill_chart

    settings.SEGMENTA_REQUIRE_MFA = False
    patient, session = a_course(clinic, doctor)
    fill_chart(patient, 2)
    # Which addresses are pages (not downloads, refusals, redirects or the parts of a page that
    # htmx swaps in), asked of Django first, so that the browser below opens each of them and any
    # failure to load one fails the test.
    client = Client()
    client.force_login(admin_user)
    pages = [url for url in dict.fromkeys(every_page(patient, session))
             if (found := client.get(url)).status_code == 200 and "html" in found.get("Content-Type", "")
             and b"<html" in found.content]
    assert len(pages) > 60, len(pages)
    page = browser_pages(locale=LANGUAGES[language], size=size)
    page.set_default_timeout(30_000)  # the walk is long; a busy machine may take a while on one page
    browser_login(page, "boss")
    shots = os.environ.get("SEGMENTA_SCREENSHOTS")
    problems = {}
    for url in pages:
        try:
            response = page.goto(url)
        except PlaywrightError:  # once more, should a navigation of the page before interrupt it
            response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert page.locator("html").get_attribute("lang") == language, url
        if shots:
            name = url.strip("/").replace("/", "_") or "home"
            page.screenshot(path=shots_folder(tmp_path) / f"every-{name}-{language}-{size[0]}x{size[1]}.png",
                            full_page=True)
        found = page.evaluate(OVERFLOW)
        if found["wide"] or found["spilled"]:
            problems[url] = found
    assert problems == {}, "\n".join(f"{url}: {found}" for url, found in problems.items())
