"""A practitioner's iCalendar feed: made, renewed and revoked on their page, read without a
login at its secret address, parsed back with icalendar: their appointments from 30 days back
to a year ahead, no names or complaints, stable UIDs, cancelled ones marked; a revoked or
unknown address answers 404; every fetch audited."""

import datetime
import re

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient, make_user
from segmenta.patients import models as pm
from segmenta.scheduling.models import Appointment, AppointmentType, Room
from segmenta.scheduling.models_reminders import CalendarFeed

NOW = timezone.make_aware(datetime.datetime(2026, 12, 1, 10, 0))


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def at(days, hour=9):
    return NOW.replace(hour=hour) + datetime.timedelta(days=days)


@pytest.fixture
def calendar(clinic, doctor):
    patient = make_patient(clinic, family="Muster", given="Erika", record_number="P-0042")
    other = make_patient(clinic, family="Beispiel", given="Hans")
    pm.Complaint.objects.create(patient=patient, description="Migraine with aura", status="active",
                                recorded_by=doctor)
    kind = AppointmentType.objects.create(clinic=clinic, name="Treatment", kind="treatment")
    room = Room.objects.create(clinic=clinic, name="Room 2")
    colleague = make_user("colleague", clinic)

    def book(who, days, practitioner=doctor, status="booked"):
        return Appointment.objects.create(patient=who, practitioner=practitioner, type=kind, room=room,
                                          starts_at=at(days), ends_at=at(days) + datetime.timedelta(minutes=30),
                                          status=status)

    return {"ahead": book(patient, 2), "cancelled": book(other, 3, status="cancelled"), "recent": book(patient, -29),
            "too_old": book(patient, -31), "too_far": book(patient, 367), "colleague": book(patient, 2, colleague)}


def make_feed(client):
    response = client.post(reverse("reminders:feed_page"), {"action": "create"})
    assert response.status_code == 200
    return re.search(r'value="(http://testserver/calendar/feed/[^"]+\.ics)"', response.content.decode()).group(1)


def events(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}


def test_the_feed_holds_the_practitioners_appointments_in_the_window_privately(doctor_client, calendar, client):
    url = make_feed(doctor_client)
    found = events(client, url)  # a client without a login, as a calendar app
    expected = {calendar[name].pk for name in ("ahead", "cancelled", "recent")}
    assert {int(re.match(r"appointment-(\d+)@", uid).group(1)) for uid in found} == expected
    ahead = found[f"appointment-{calendar['ahead'].pk}@testserver"]
    assert ahead["dtstart"].dt == calendar["ahead"].starts_at and ahead["dtend"].dt == calendar["ahead"].ends_at
    assert str(ahead["summary"]) == "Treatment · P-0042" and str(ahead["location"]) == "Room 2"
    assert str(ahead["status"]) == "CONFIRMED"
    cancelled = found[f"appointment-{calendar['cancelled'].pk}@testserver"]
    assert str(cancelled["status"]) == "CANCELLED" and str(cancelled["summary"]) == "Treatment · HB"
    body = client.get(url).content.decode()
    for private in ("Muster", "Erika", "Beispiel", "Migraine"):
        assert private not in body
    # The UIDs stay the same from one fetch to the next; a moved appointment keeps its event.
    Appointment.objects.filter(pk=calendar["ahead"].pk).update(starts_at=at(4), ends_at=at(4, 10))
    again = events(client, url)
    assert set(again) == set(found)
    assert again[f"appointment-{calendar['ahead'].pk}@testserver"]["dtstart"].dt == at(4)


def test_each_fetch_is_audited(doctor_client, calendar, client, doctor):
    url = make_feed(doctor_client)
    client.get(url)
    client.get(url)
    fetches = AuditEvent.objects.filter(object_type="calendarfeed", action="view")
    assert fetches.count() == 2 and {e.user_id for e in fetches} == {doctor.pk}
    assert fetches.first().detail["appointments"] == 3
    assert CalendarFeed.objects.get().last_fetched_at == NOW


def test_a_revoked_renewed_or_unknown_address_answers_404(doctor_client, calendar, client):
    first = make_feed(doctor_client)
    second = make_feed(doctor_client)  # renewing: the first address stops
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    doctor_client.post(reverse("reminders:feed_page"), {"action": "revoke"})
    assert client.get(second).status_code == 404
    assert client.get("/calendar/feed/not-a-token.ics").status_code == 404
    assert client.get("/calendar/feed/" + "x" * 200 + ".ics").status_code == 404
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 0


def test_the_address_stops_working_with_the_practitioners_access(doctor_client, calendar, client, doctor, clinic):
    """Nobody revoked it, but whoever left the clinic or was locked out takes no appointments along."""
    from segmenta.accounts.models import Membership

    url = make_feed(doctor_client)
    assert client.get(url).status_code == 200
    doctor.is_active = False
    doctor.save()
    assert client.get(url).status_code == 404
    doctor.is_active = True
    doctor.save()
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=doctor, clinic=clinic).delete()
    assert client.get(url).status_code == 404


def test_only_the_digest_of_the_address_is_stored(doctor_client, calendar):
    url = make_feed(doctor_client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 40
    feed = CalendarFeed.objects.get()
    assert token not in feed.token_hash and CalendarFeed.find(token) == feed
    page = doctor_client.get(reverse("reminders:feed_page")).content.decode()
    assert token not in page  # shown once, when it was made


def test_the_page_refuses_an_unknown_action(doctor_client):
    response = doctor_client.post(reverse("reminders:feed_page"), {"action": "steal"})
    assert response.status_code == 302 and not CalendarFeed.objects.exists()
