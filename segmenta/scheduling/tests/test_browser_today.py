"""The day in the browser: a practitioner opens today's page on a tablet, reads the patient's
safety strip, and follows the appointment to its draft session; the page never scrolls
sideways, on a phone neither."""

import datetime

import pytest
from django.utils import timezone

from segmenta.conftest import browser_login, complete_chart, make_patient
from segmenta.patients import models as pm
from segmenta.scheduling import booking
from segmenta.scheduling.models import Appointment, Room

pytestmark = pytest.mark.browser

WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def booked(clinic, doctor, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = complete_chart(make_patient(clinic, family="Blutverdünnt", given="Berta"), doctor)
    pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant")
    starts = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(10, 0)))
    return Appointment.objects.create(
        patient=patient, practitioner=doctor, type=booking.types_of(clinic).get(kind="treatment"),
        room=Room.objects.create(clinic=clinic, name="Room 2"), starts_at=starts,
        ends_at=starts + datetime.timedelta(minutes=30))


@pytest.mark.parametrize("size", [(1024, 768), (768, 1024)])
def test_opening_the_day_and_following_an_appointment_to_its_session(browser_pages, booked, doctor, size):
    page = browser_pages(size=size)
    browser_login(page)
    page.get_by_role("link", name="Today", exact=True).click()
    page.wait_for_url("**/calendar/today/")
    item = page.locator(f"#appointment-{booked.pk}")
    assert "Blutverdünnt, Berta" in item.inner_text()
    assert "Room 2" in item.inner_text() and "10:00" in item.inner_text()
    assert "Apixaban" in item.locator(".safety-strip .caution").inner_text()
    assert not page.evaluate(WIDER_THAN_THE_SCREEN)

    item.get_by_role("button", name="Open the session").click()
    page.wait_for_url("**/sessions/*/")
    booked.refresh_from_db()
    assert booked.session is not None and page.url.endswith(f"/sessions/{booked.session_id}/")
    assert booked.session.practitioner == doctor and not booked.session.signed
    assert booked.status == Appointment.Status.ATTENDED

    # Back on the day the same appointment now leads to that session, not to a new one.
    page.goto("/calendar/today/")
    item.get_by_role("link", name="Open the session").click()
    page.wait_for_url(f"**/sessions/{booked.session_id}/")
    assert Appointment.objects.get(pk=booked.pk).session_id == booked.session_id


def test_the_day_fits_a_phone(browser_pages, booked):
    page = browser_pages(size=(390, 844))
    browser_login(page)
    page.goto("/calendar/today/")
    assert page.locator(f"#appointment-{booked.pk} .safety-strip").is_visible()
    assert not page.evaluate(WIDER_THAN_THE_SCREEN)
