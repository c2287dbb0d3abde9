"""The calendar in the browser, filled in as a person would and checked in the database:
booking a course from a plan on a tablet by touch (the dates proposed, the one on Christmas
Day moved, then confirmed), booking one appointment with a conflict shown beside its field,
moving and cancelling it, and the clinic admin's calendar settings."""

import datetime
import re

import pytest
from django.utils import timezone

from segmenta.conftest import browser_login, make_patient
from segmenta.patients import models as pm
from segmenta.scheduling import booking
from segmenta.scheduling.models import Appointment, ClinicCalendar, Closure, Room
from segmenta.treatment.models import TreatmentPlan

pytestmark = pytest.mark.browser


def christmas_course_start():
    """Two weeks before the coming Christmas Day (far enough ahead to book), so that the
    third weekly date falls on it."""
    today = timezone.localdate()
    christmas = datetime.date(today.year, 12, 25)
    if christmas - datetime.timedelta(days=14) <= today:
        christmas = datetime.date(today.year + 1, 12, 25)
    return christmas - datetime.timedelta(days=14), christmas


def next_open_day(days_ahead=3):
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    while booking.public_holidays(ClinicCalendar.objects.first(), day, day):
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def german_clinic(clinic, settings):
    settings.SEGMENTA_REQUIRE_MFA = False
    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicCalendar.objects.create(clinic=clinic, closed_weekdays=[])
    Room.objects.create(clinic=clinic, name="Room 1")
    return clinic


@pytest.fixture
def plan(german_clinic, doctor):
    patient = make_patient(german_clinic, family="Kurs", given="Karla")
    complaint = pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active",
                                            recorded_by=doctor)
    return TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", sessions_min=6,
                                        created_by=doctor)


@pytest.fixture
def tablet(browser_pages, _chromium, live_server):
    """A 1024×768 touch screen, as on a treatment-room tablet."""
    context = _chromium.new_context(viewport={"width": 1024, "height": 768}, base_url=live_server.url,
                                    locale="en-US", has_touch=True, is_mobile=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_booking_a_course_from_the_plan_on_a_tablet(tablet, plan, doctor):
    page = tablet
    first, christmas = christmas_course_start()
    browser_login(page)
    page.goto(f"/patients/{plan.patient.pk}/")
    page.get_by_role("link", name="Book the course").tap()
    assert page.get_by_label("Number of appointments").input_value() == "6"
    page.get_by_label("Practitioner").select_option(label="doctor")
    page.get_by_label("Room").select_option(label="Room 1")
    page.get_by_label("First appointment").fill(f"{first.isoformat()}T10:00")
    page.get_by_label("Number of appointments").fill("3")
    page.get_by_role("button", name="Propose dates").tap()
    proposal = page.locator(".proposal-list")
    assert "Christmas Day" in proposal.inner_text()
    assert proposal.locator(".proposal-row.moved").count() >= 1
    assert not Appointment.objects.exists()  # a proposal writes nothing
    page.get_by_role("button", name="Book 3 appointments").tap()
    page.wait_for_url("**/calendar/week/**")
    stored = list(Appointment.objects.filter(plan=plan).order_by("starts_at"))
    days = [timezone.localtime(a.starts_at).date() for a in stored]
    assert days[:2] == [first, first + datetime.timedelta(days=7)]
    assert days[2] == christmas + datetime.timedelta(days=2)  # past Christmas Day and the day after
    assert [a.moved_reason for a in stored] == ["", "", "Christmas Day"]
    assert [a.series_number for a in stored] == [1, 2, 3] and len({a.series for a in stored}) == 1
    assert {(a.practitioner, a.room.name, a.status, timezone.localtime(a.starts_at).time()) for a in stored} == {
        (doctor, "Room 1", "booked", datetime.time(10))}
    assert "Kurs, Karla" in page.locator(".calendar").inner_text()


def test_booking_an_appointment_and_a_conflict_beside_its_field(page, plan, doctor, german_clinic):
    day = next_open_day()
    other = make_patient(german_clinic, family="Zweite", given="Zora", record_number="Z-204")
    browser_login(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="Book an appointment").click()
    # The patient is searched for, not picked from the whole clinic: typing offers the matches.
    assert page.get_by_role("radio").count() == 0
    page.get_by_role("searchbox", name="Patient").press_sequentially("kurs")
    page.get_by_role("radio", name=re.compile(r"^Kurs, Karla")).check()
    assert page.get_by_role("radio").count() == 1
    page.get_by_label("Appointment type").select_option(label="First visit (60 min)")
    page.get_by_label("Practitioner").select_option(label="doctor")
    page.get_by_label("Starts").fill(f"{day.isoformat()}T09:00")
    page.get_by_label("Note").fill("Bring the X-ray")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url("**/calendar/appointments/**")
    stored = Appointment.objects.get()
    assert (stored.patient, stored.type.name, stored.note, stored.room) == (plan.patient, "First visit",
                                                                           "Bring the X-ray", None)
    assert stored.ends_at - stored.starts_at == datetime.timedelta(minutes=60)

    page.goto("/calendar/new/")
    page.get_by_role("searchbox", name="Patient").fill(other.record_number)
    page.get_by_role("button", name="Find").click()  # the search without waiting for suggestions
    assert page.get_by_role("radio", name=re.compile(r"^Zweite, Zora")).is_checked()  # the only match
    page.get_by_label("Appointment type").select_option(label="Treatment session (30 min)")
    page.get_by_label("Practitioner").select_option(label="doctor")
    page.get_by_label("Starts").fill(f"{day.isoformat()}T09:30")
    page.get_by_role("button", name="Book", exact=True).click()
    field = page.locator(".field.invalid", has=page.get_by_label("Practitioner"))
    assert "doctor is already booked then" in field.inner_text()
    assert Appointment.objects.filter(patient=other).count() == 0


def test_moving_and_cancelling_an_appointment(page, plan, doctor):
    day = next_open_day()
    appointment = booking.book(patient=plan.patient, practitioner=doctor, kind=booking.types_of(plan.clinic).get(
        kind="treatment"), starts_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
        user=doctor)
    browser_login(page)
    page.goto(f"/calendar/appointments/{appointment.pk}/")
    page.locator("#move summary").click()
    page.get_by_label("New start").fill(f"{day.isoformat()}T11:30")
    page.locator("#move").get_by_label("Room").select_option(label="Room 1")
    page.get_by_role("button", name="Move the appointment").click()
    page.wait_for_url(f"**/calendar/appointments/{appointment.pk}/")
    appointment.refresh_from_db()
    assert (timezone.localtime(appointment.starts_at).time(), appointment.room.name) == (datetime.time(11, 30),
                                                                                       "Room 1")
    page.locator("#cancel summary").click()
    page.get_by_label("Reason for cancelling").fill("Cancelled by the patient: ill")
    page.locator("#cancel").get_by_role("button", name="Cancel the appointment").click()
    page.wait_for_url(f"**/calendar/appointments/{appointment.pk}/")
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Cancelled by the patient: ill")


def test_the_admin_sets_up_rooms_types_holidays_and_closures(page, german_clinic, admin_user):
    browser_login(page, "boss")
    page.goto("/accounts/clinic/")
    page.goto("/calendar/settings/")
    rooms = page.locator("#rooms")
    rooms.locator("form").last.get_by_label("Name").fill("Room 2")
    rooms.get_by_role("button", name="Add room").click()
    assert Room.objects.filter(clinic=german_clinic, name="Room 2", active=True).exists()
    types = page.locator("#types")
    types.locator("form").last.get_by_label("Name").fill("Stellate block")
    types.locator("form").last.get_by_label("Duration (minutes)").fill("45")
    types.get_by_role("button", name="Add type").click()
    assert booking.types_of(german_clinic).get(name="Stellate block").duration_minutes == 45
    hours = page.locator("#hours")
    hours.get_by_label("State or region").fill("BY")
    hours.get_by_label("Saturday").check()
    hours.get_by_label("Sunday").check()
    hours.get_by_label("Closes at").fill("17:30")
    hours.get_by_role("button", name="Save").click()
    calendar = ClinicCalendar.objects.get(clinic=german_clinic)
    assert (calendar.holiday_subdivision, calendar.closed_weekdays, calendar.closes_at) == (
        "BY", [5, 6], datetime.time(17, 30))
    assert "Epiphany" in page.locator("#hours details").text_content()
    closures = page.locator("#closures")
    first = timezone.localdate() + datetime.timedelta(days=30)
    closures.get_by_label("From").fill(first.isoformat())
    closures.get_by_label("To").fill((first + datetime.timedelta(days=2)).isoformat())
    closures.get_by_label("Reason").fill("Training days")
    closures.get_by_role("button", name="Add closure").click()
    closure = Closure.objects.get(clinic=german_clinic)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (first, first + datetime.timedelta(days=2),
                                                                    "Training days")
