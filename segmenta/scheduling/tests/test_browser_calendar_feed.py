"""The calendar feed's page in a real browser: the practitioner makes an address, reads it
once, a calendar app (here: a plain request) gets the feed, then renews and revokes it."""

import datetime

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from segmenta.conftest import browser_login, make_patient
from segmenta.scheduling.models import Appointment, AppointmentType
from segmenta.scheduling.models_reminders import CalendarFeed

pytestmark = pytest.mark.browser


def test_a_practitioner_makes_renews_and_revokes_the_address(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    patient = make_patient(clinic, record_number="P-7")
    start = timezone.now() + datetime.timedelta(days=1)
    Appointment.objects.create(patient=patient, practitioner=doctor, starts_at=start,
                               ends_at=start + datetime.timedelta(minutes=30),
                               type=AppointmentType.objects.create(clinic=clinic, name="Treatment"))
    browser_login(page)
    page.goto("/calendar/feed/")
    assert page.get_by_text("No active address.").is_visible()
    page.get_by_role("button", name="Make an address").click()
    first = page.get_by_label("Calendar address").input_value()
    assert first.startswith("http://") and first.endswith(".ics")
    path = "/" + first.split("/", 3)[3]
    feed = icalendar.Calendar.from_ical(Client().get(path).content)
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["Treatment · P-7"]
    page.get_by_role("button", name="Renew the address").click()
    second = page.get_by_label("Calendar address").input_value()
    assert second != first
    assert Client().get(path).status_code == 404
    page.get_by_role("button", name="Revoke the address").click()
    assert page.get_by_text("The calendar address is revoked").is_visible()
    assert page.get_by_text("No active address.").is_visible()
    assert Client().get("/" + second.split("/", 3)[3]).status_code == 404
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
