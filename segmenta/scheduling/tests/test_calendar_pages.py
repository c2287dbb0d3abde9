"""The calendar's pages through the test client: day and week per practitioner and room,
booking, a course from a plan (proposal, then confirmation), moving, cancelling, no-show,
opening the draft session, the clinic admin's settings, the audit trail and query counts that
stay flat however full the calendar is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.scheduling import booking
from segmenta.scheduling.models import Appointment, AppointmentType, ClinicCalendar, Closure, Room
from segmenta.treatment.models import Session

from .calendar_setup import fix_now, german_practice, local

DAY = datetime.date(2026, 12, 2)  # a Wednesday
PAST = datetime.date(2026, 11, 30)  # the Monday before "now"


@pytest.fixture(autouse=True)
def now(monkeypatch):
    return fix_now(monkeypatch)


@pytest.fixture
def setup(clinic, doctor):
    return german_practice(clinic, doctor)


def test_day_and_week_show_the_appointments_of_the_practitioner_and_the_room(doctor_client, doctor, setup):
    booked = booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"], room=setup["room"],
                          starts_at=local(DAY, 9), user=doctor)
    for url in [reverse("scheduling:day") + f"?date={DAY}", reverse("scheduling:week") + f"?date={DAY}",
                reverse("scheduling:day") + f"?date={DAY}&room={setup['room'].pk}"]:
        response = doctor_client.get(url)
        assert response.status_code == 200
        assert "Muster, Erika" in response.content.decode()
        assert reverse("scheduling:appointment", args=[booked.pk]) in response.content.decode()
    empty = doctor_client.get(reverse("scheduling:day") + f"?date={DAY + datetime.timedelta(days=1)}")
    assert "Muster, Erika" not in empty.content.decode()
    event = AuditEvent.objects.get(object_type="patient_list", detail__date=str(DAY + datetime.timedelta(days=1)))
    assert event.detail["page"] == "calendar-day" and event.detail["patients"] == []
    shown = AuditEvent.objects.filter(object_type="patient_list", detail__page="calendar-week").last()
    assert shown.detail["patients"] == [setup["patient"].pk] and shown.detail["appointments"] == [booked.pk]


def test_the_week_names_a_holiday_and_navigates(doctor_client, setup):
    response = doctor_client.get(reverse("scheduling:week") + "?date=2026-12-23")
    text = response.content.decode()
    assert "Closed: Christmas Day" in text and "Closed: Second Day of Christmas" in text
    assert "date=2026-12-16" in text and "date=2026-12-30" in text
    assert doctor_client.get(reverse("scheduling:day") + "?date=nonsense").status_code == 200


def test_booking_through_the_form_and_a_conflict_beside_its_field(doctor_client, doctor, setup):
    data = {"patient": setup["patient"].pk, "type": setup["type"].pk, "practitioner": doctor.pk,
            "room": setup["room"].pk, "starts_at": f"{DAY}T10:00", "note": "bring X-ray"}
    response = doctor_client.post(reverse("scheduling:book"), data)
    assert response.status_code == 302
    stored = Appointment.objects.get()
    assert (stored.note, stored.room, timezone.localtime(stored.ends_at).time()) == (
        "bring X-ray", setup["room"], datetime.time(10, 30))
    other = make_patient(setup["patient"].clinic, family="Zweite")
    response = doctor_client.post(reverse("scheduling:book"), {**data, "patient": other.pk,
                                                                "starts_at": f"{DAY}T10:15"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "already booked then" in form.errors["practitioner"][0]
    assert "Room 1 is taken then" in form.errors["room"][0]
    assert Appointment.objects.count() == 1


def test_the_booking_finds_its_patient_by_a_search_never_by_listing_the_clinic(doctor_client, doctor, setup,
                                                                                other_clinic):
    clinic = setup["patient"].clinic
    for i in range(12):
        make_patient(clinic, family=f"Musterfrau{i:02d}")
    numbered = make_patient(clinic, family="Zweite", given="Zora", record_number="Z-204")
    make_patient(other_clinic, family="Zweite", given="Zelda")
    url = reverse("scheduling:book")
    page = doctor_client.get(url).content.decode()
    assert 'type="radio"' not in page and "Musterfrau" not in page and "<option>Muster" not in page
    data = {"type": setup["type"].pk, "practitioner": doctor.pk, "room": "", "starts_at": f"{DAY}T10:00"}

    # Nothing searched, nothing matching, several matching: each said beside the search field.
    for find, said in [("", "Search for the patient"), ("Nobody", "No patient of this clinic matches"),
                       ("muster", "Several patients match")]:
        response = doctor_client.post(url, {**data, "find": find})
        assert response.status_code == 400 and said in response.context["form"].errors["find"][0]
    shown = response.context["matches"]
    assert len(shown) == 8 and response.context["more"] and 'name="patient"' in response.content.decode()
    # The patient picked among the matches is booked.
    response = doctor_client.post(url, {**data, "find": "muster", "patient": setup["patient"].pk})
    assert response.status_code == 302 and Appointment.objects.get().patient == setup["patient"]
    # One match (the whole record number) needs no pick; another clinic's patient is never offered.
    response = doctor_client.post(url, {**data, "find": "z-204", "starts_at": f"{DAY}T11:00"})
    assert response.status_code == 302 and Appointment.objects.latest("pk").patient == numbered
    response = doctor_client.post(url, {**data, "find": "zweite", "starts_at": f"{DAY}T12:00",
                                        "patient": make_patient(other_clinic, family="Fremd").pk})
    assert response.status_code == 400 and "Pick a patient of this clinic" in response.context["form"].errors["patient"][0]

    # "Find" without JavaScript shows the matches and judges nothing yet; as you type, the same part alone.
    found = doctor_client.post(url, {**data, "find": "zweite", "action": "find"})
    assert found.status_code == 200 and [p.family_name for p in found.context["matches"]] == ["Zweite"]
    assert not found.context["form"].is_bound
    typed = doctor_client.get(reverse("scheduling:book_patients") + "?find=zwei")
    assert typed.status_code == 200 and "Zweite, Zora" in typed.content.decode() and "Zelda" not in typed.content.decode()
    assert doctor_client.get(reverse("scheduling:book_patients") + "?find=").content.decode().count("radio") == 0
    # Matches shown are a list of patients: audited once per search, naming who was shown.
    event = AuditEvent.objects.filter(object_type="patient_list", detail__page="booking-patient-search").order_by("pk").last()
    assert event.detail["patients"] == [numbered.pk]


def test_booking_from_a_chart_keeps_its_patient(doctor_client, doctor, setup, other_clinic):
    url = reverse("scheduling:book") + f"?patient={setup['patient'].pk}"
    page = doctor_client.get(url).content.decode()
    assert "Muster, Erika" in page and 'name="find"' not in page
    other = make_patient(setup["patient"].clinic, family="Zweite")
    response = doctor_client.post(url, {"type": setup["type"].pk, "practitioner": doctor.pk, "room": "",
                                        "starts_at": f"{DAY}T10:00", "patient": other.pk})
    assert response.status_code == 302 and Appointment.objects.get().patient == setup["patient"]


def test_a_course_is_proposed_then_booked(doctor_client, doctor, setup):
    url = reverse("scheduling:course", args=[setup["plan"].pk])
    page = doctor_client.get(url)
    assert page.status_code == 200 and page.context["form"]["count"].value() == 6
    data = {"type": setup["type"].pk, "practitioner": doctor.pk, "room": "", "starts_at": "2026-12-11T09:00",
            "count": 4, "interval_days": 7}
    proposal = doctor_client.post(url, {**data, "action": "propose"})
    assert proposal.status_code == 200
    assert "Christmas Day" in proposal.content.decode()
    assert not Appointment.objects.exists()
    done = doctor_client.post(url, {**data, "action": "confirm"})
    assert done.status_code == 302
    assert [timezone.localtime(a.starts_at).date() for a in Appointment.objects.order_by("starts_at")] == [
        datetime.date(2026, 12, 11), datetime.date(2026, 12, 18), datetime.date(2026, 12, 28),
        datetime.date(2027, 1, 1) + datetime.timedelta(days=3)]


def test_moving_cancelling_and_no_show_on_the_appointment_page(doctor_client, doctor, setup):
    appointment = booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"],
                               starts_at=local(PAST, 9), user=doctor)
    url = reverse("scheduling:appointment", args=[appointment.pk])
    assert doctor_client.get(url).status_code == 200
    response = doctor_client.post(reverse("scheduling:move", args=[appointment.pk]),
                                  {"move-starts_at": f"{PAST}T11:00", "move-practitioner": doctor.pk,
                                   "move-room": setup["room"].pk, "move-type": setup["type"].pk})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (timezone.localtime(appointment.starts_at).time(), appointment.room) == (datetime.time(11), setup["room"])
    refused = doctor_client.post(reverse("scheduling:move", args=[appointment.pk]),
                                 {"move-starts_at": "2026-12-25T11:00", "move-practitioner": doctor.pk,
                                  "move-type": setup["type"].pk})
    assert "Christmas Day" in refused.context["move_form"].errors["starts_at"][0]
    # Recorded afterwards: the patient did not come yesterday.
    doctor_client.post(reverse("scheduling:status", args=[appointment.pk]), {"status": "no_show"})
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    blank = doctor_client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"cancel-reason": ""})
    assert blank.status_code == 400
    doctor_client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"cancel-reason": "Booked twice"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "Booked twice")
    assert set(AuditEvent.objects.filter(object_type="appointment").values_list("action", flat=True)) == {
        "create", "view", "update"}


def test_opening_the_appointment_goes_to_its_draft_session(doctor_client, doctor, setup, monkeypatch):
    appointment = booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"],
                               plan=setup["plan"], starts_at=local(DAY, 9), user=doctor)
    response = doctor_client.post(reverse("scheduling:open_session", args=[appointment.pk]))
    session = Session.objects.get()
    assert response.url == reverse("treatment:session", args=[session.pk])
    assert (session.plan, session.status) == (setup["plan"], "draft")
    again = doctor_client.post(reverse("scheduling:open_session", args=[appointment.pk]))
    assert again.url == response.url and Session.objects.count() == 1


def test_another_clinics_appointment_is_not_found(client, outsider, doctor, setup):
    from segmenta.conftest import login_verified

    appointment = booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"],
                               starts_at=local(DAY, 9), user=doctor)
    login_verified(client, outsider)
    for name in ["scheduling:appointment"]:
        assert client.get(reverse(name, args=[appointment.pk])).status_code == 404
    for name in ["scheduling:move", "scheduling:cancel", "scheduling:status", "scheduling:open_session"]:
        assert client.post(reverse(name, args=[appointment.pk]), {"status": "no_show"}).status_code == 404
    assert client.get(reverse("scheduling:course", args=[setup["plan"].pk])).status_code == 404


def test_the_admin_manages_rooms_types_holidays_and_closures(admin_client, doctor_client, clinic, setup):
    url = reverse("scheduling:settings")
    assert doctor_client.get(url).status_code == 404
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"form": "room", "room-name": "Room 2", "room-active": "on"})
    assert Room.objects.filter(clinic=clinic, name="Room 2", active=True).exists()
    room = setup["room"]
    admin_client.post(url, {"form": "room", "id": room.pk, f"room-{room.pk}-name": "Room One"})
    room.refresh_from_db()
    assert (room.name, room.active) == ("Room One", False)
    admin_client.post(url, {"form": "type", "type-name": "Stellate block", "type-kind": "treatment",
                            "type-duration_minutes": 45, "type-active": "on"})
    assert AppointmentType.objects.get(clinic=clinic, name="Stellate block").duration_minutes == 45
    response = admin_client.post(url, {"form": "calendar", "calendar-holiday_country": "DE",
                                       "calendar-holiday_subdivision": "XX", "calendar-opens_at": "08:00",
                                       "calendar-closes_at": "18:00"})
    assert response.status_code == 400
    assert "state or region" in response.context["calendar_form"].errors["holiday_subdivision"][0]
    admin_client.post(url, {"form": "calendar", "calendar-holiday_country": "de", "calendar-holiday_subdivision": "by",
                            "calendar-closed_weekdays": ["2", "6"], "calendar-opens_at": "07:30",
                            "calendar-closes_at": "19:00"})
    calendar = ClinicCalendar.objects.get(clinic=clinic)
    assert (calendar.holiday_country, calendar.holiday_subdivision, calendar.closed_weekdays,
            calendar.opens_at) == ("DE", "BY", [2, 6], datetime.time(7, 30))
    bad = admin_client.post(url, {"form": "closure", "closure-starts_on": "2026-12-20",
                                  "closure-ends_on": "2026-12-10", "closure-reason": "Holiday"})
    assert "ends before it starts" in bad.context["closure_form"].errors["ends_on"][0]
    admin_client.post(url, {"form": "closure", "closure-starts_on": "2026-12-21", "closure-ends_on": "2026-12-23",
                            "closure-reason": "Company holiday"})
    closure = Closure.objects.get(clinic=clinic)
    assert closure.reason == "Company holiday"
    admin_client.post(reverse("scheduling:closure_delete", args=[closure.pk]))
    assert not Closure.objects.exists()


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_the_calendar_costs_the_same_queries_for_a_full_week(doctor_client, doctor, clinic, setup):
    urls = [reverse("scheduling:day") + f"?date={DAY}", reverse("scheduling:week") + f"?date={DAY}",
            reverse("scheduling:day") + f"?date={DAY}&room={setup['room'].pk}"]
    booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"], room=setup["room"],
                 starts_at=local(DAY, 8), user=doctor)
    few = [_queries(doctor_client, url) for url in urls]
    for hour in range(9, 17):
        for day in (DAY, DAY + datetime.timedelta(days=1)):
            booking.book(patient=make_patient(clinic, family=f"P{hour}{day.day}"), practitioner=doctor,
                         kind=setup["type"], room=setup["room"], starts_at=local(day, hour), user=doctor)
    many = [_queries(doctor_client, url) for url in urls]
    assert many == few
