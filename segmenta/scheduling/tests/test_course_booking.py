"""Booking through segmenta.scheduling.booking: courses across German public holidays and the
clinic's closures, conflicts refused naming the field and the appointment in the way, all or
nothing for a series, moving, cancelling, no-shows and opening the draft session."""

import datetime

import pytest
from django.utils import timezone

from segmenta.conftest import make_patient, make_user
from segmenta.patients import models as pm
from segmenta.scheduling import booking
from segmenta.scheduling.booking import BookingRefused
from segmenta.scheduling.models import Appointment, ClinicCalendar, Closure, Room
from segmenta.treatment.models import Session, TreatmentPlan


def local(day, hour=10, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def german_clinic(clinic):
    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicCalendar.objects.create(clinic=clinic, holiday_subdivision="BY", closed_weekdays=[5, 6])
    return clinic


@pytest.fixture
def plan(german_clinic, doctor):
    patient = make_patient(german_clinic)
    complaint = pm.Complaint.objects.create(patient=patient, description="Shoulder pain", status="active",
                                            recorded_by=doctor)
    return TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", sessions_min=6,
                                        created_by=doctor)


@pytest.fixture
def treatment(german_clinic):
    return booking.types_of(german_clinic).get(kind="treatment")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The tests book in December 2026: "now" is the 1st, so every date lies within a year."""
    now = local(datetime.date(2026, 12, 1), 7)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def test_a_course_before_christmas_moves_the_holiday_dates_and_keeps_the_rhythm(plan, doctor, treatment):
    # Fridays from 2026-12-11: the 25th is Christmas Day, 2027-01-01 New Year's Day; both move
    # to the next open day (Saturday and Sunday are closed: Monday), the rhythm stays on Fridays.
    booked = booking.book_series(plan=plan, practitioner=doctor, kind=treatment,
                                 first_start=local(datetime.date(2026, 12, 11), 9), user=doctor)
    days = [timezone.localtime(a.starts_at).date() for a in booked]
    assert days == [datetime.date(2026, 12, 11), datetime.date(2026, 12, 18), datetime.date(2026, 12, 28),
                    datetime.date(2027, 1, 4), datetime.date(2027, 1, 8), datetime.date(2027, 1, 15)]
    assert [a.series_number for a in booked] == [1, 2, 3, 4, 5, 6]
    assert len({a.series for a in booked}) == 1
    stored = Appointment.objects.filter(plan=plan).order_by("starts_at")
    assert [a.moved_reason for a in stored] == ["", "", "Christmas Day", "New Year's Day", "", ""]
    assert all(a.ends_at - a.starts_at == datetime.timedelta(minutes=treatment.duration_minutes) for a in stored)
    assert all(timezone.localtime(a.starts_at).time() == datetime.time(9) for a in stored)


def test_easter_and_whit_monday_in_bavaria(plan, doctor, treatment, today, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: local(datetime.date(2027, 3, 1), 7))
    # Mondays from 2027-03-22: Easter Monday (29 March) and Whit Monday (17 May) move to Tuesday.
    rows = booking.propose_series(plan=plan, practitioner=doctor, kind=treatment,
                                  first_start=local(datetime.date(2027, 3, 22), 11), count=9)
    moved = [(r["planned"], timezone.localtime(r["starts_at"]).date(), r["reason"]) for r in rows if r["moved"]]
    assert moved == [(datetime.date(2027, 3, 29), datetime.date(2027, 3, 30), "Easter Monday"),
                     (datetime.date(2027, 5, 17), datetime.date(2027, 5, 18), "Pentecost Monday")]
    assert [timezone.localtime(r["starts_at"]).weekday() for r in rows if not r["moved"]] == [0] * 7


def test_a_state_holiday_applies_only_in_its_state(plan, doctor, treatment, german_clinic):
    # Epiphany (6 January) is a holiday in Bavaria, not in Berlin.
    first = local(datetime.date(2026, 12, 30), 10)
    rows = booking.propose_series(plan=plan, practitioner=doctor, kind=treatment, first_start=first, count=2)
    assert rows[1]["reason"] == "Epiphany" and timezone.localtime(rows[1]["starts_at"]).date() == datetime.date(
        2027, 1, 7)
    ClinicCalendar.objects.filter(clinic=german_clinic).update(holiday_subdivision="BE")
    rows = booking.propose_series(plan=plan, practitioner=doctor, kind=treatment, first_start=first, count=2)
    assert not rows[1]["moved"]


def test_a_closure_of_the_clinic_moves_a_date_with_its_reason(plan, doctor, treatment, german_clinic):
    Closure.objects.create(clinic=german_clinic, starts_on=datetime.date(2026, 12, 14),
                           ends_on=datetime.date(2026, 12, 16), reason="Training days")
    booked = booking.book_series(plan=plan, practitioner=doctor, kind=treatment, count=2,
                                 first_start=local(datetime.date(2026, 12, 7), 10), user=doctor)
    assert timezone.localtime(booked[1].starts_at).date() == datetime.date(2026, 12, 17)
    assert booked[1].moved_reason == "Training days"


def test_a_series_with_one_conflict_books_nothing_and_names_the_date(plan, doctor, treatment, german_clinic):
    other = make_patient(german_clinic, family="Andere", given="Anna")
    blocking = booking.book(patient=other, practitioner=doctor, kind=treatment,
                            starts_at=local(datetime.date(2026, 12, 15), 10, 15), user=doctor)
    with pytest.raises(BookingRefused) as refused:
        booking.book_series(plan=plan, practitioner=doctor, kind=treatment, count=4,
                            first_start=local(datetime.date(2026, 12, 8), 10), user=doctor)
    assert refused.value.status == 409
    [message] = refused.value.message_dict["starts_at"]
    assert "15/12/2026" in message or "2026-12-15" in message
    assert "doctor is already booked" in message and blocking.type.name in message
    assert Appointment.objects.filter(plan=plan).count() == 0


@pytest.mark.parametrize("field", ["practitioner", "room", "patient"])
def test_each_kind_of_conflict_is_refused_naming_its_field(field, german_clinic, doctor, treatment, plan):
    room = Room.objects.create(clinic=german_clinic, name="Room 1")
    colleague = make_user("colleague", german_clinic, "practitioner")
    first = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment, room=room,
                         starts_at=local(datetime.date(2026, 12, 2), 10), user=doctor)
    wanted = {"practitioner": doctor, "room": None, "patient": make_patient(german_clinic, family="Zweite")}
    if field == "room":
        wanted.update(practitioner=colleague, room=room)
    elif field == "patient":
        wanted.update(practitioner=colleague, patient=plan.patient)
    with pytest.raises(BookingRefused) as refused:
        booking.book(kind=treatment, starts_at=local(datetime.date(2026, 12, 2), 10, 20), user=doctor, **wanted)
    assert refused.value.status == 409
    assert set(refused.value.message_dict) == {field}
    assert first.type.name in refused.value.message_dict[field][0]
    assert Appointment.objects.count() == 1
    # Right after it ends, the same slot is free.
    booking.book(kind=treatment, starts_at=first.ends_at, user=doctor, **wanted)


def test_a_cancelled_appointment_frees_its_slot(plan, doctor, treatment):
    first = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment,
                         starts_at=local(datetime.date(2026, 12, 2), 10), user=doctor)
    booking.set_status(first, "cancelled", reason="Patient ill", user=doctor)
    again = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment,
                         starts_at=local(datetime.date(2026, 12, 2), 10), user=doctor)
    assert again.pk != first.pk
    first.refresh_from_db()
    assert (first.status, first.cancel_reason) == ("cancelled", "Patient ill")
    with pytest.raises(BookingRefused) as refused:
        booking.set_status(again, "cancelled", reason="  ", user=doctor)
    assert set(refused.value.message_dict) == {"cancel_reason"}


def test_closed_days_and_hours_refuse_a_single_booking(plan, doctor, treatment):
    for when, text in [(local(datetime.date(2026, 12, 25), 10), "Christmas Day"),
                       (local(datetime.date(2026, 12, 5), 10), "Saturday"),
                       (local(datetime.date(2026, 12, 2), 7), "08:00"),
                       (local(datetime.date(2026, 12, 2), 17, 45), "18:00")]:
        with pytest.raises(BookingRefused) as refused:
            booking.book(patient=plan.patient, practitioner=doctor, kind=treatment, starts_at=when, user=doctor)
        assert text in refused.value.message_dict["starts_at"][0]
    assert not Appointment.objects.exists()


def test_moving_checks_conflicts_but_not_against_itself(plan, doctor, treatment, german_clinic):
    first = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment,
                         starts_at=local(datetime.date(2026, 12, 2), 10), user=doctor)
    booking.move(first, starts_at=local(datetime.date(2026, 12, 2), 10, 15), user=doctor)
    first.refresh_from_db()
    assert timezone.localtime(first.starts_at).time() == datetime.time(10, 15)
    other = booking.book(patient=make_patient(german_clinic, family="B"), practitioner=doctor, kind=treatment,
                         starts_at=local(datetime.date(2026, 12, 3), 10), user=doctor)
    with pytest.raises(BookingRefused) as refused:
        booking.move(first, starts_at=local(datetime.date(2026, 12, 3), 10), user=doctor)
    assert set(refused.value.message_dict) == {"practitioner"}
    first.refresh_from_db()
    assert timezone.localtime(first.starts_at).date() == datetime.date(2026, 12, 2)
    assert other.versions.count() == 1 and first.versions.count() == 2


def test_no_show_and_attended_only_once_it_has_started(plan, doctor, treatment, monkeypatch):
    first = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment,
                         starts_at=local(datetime.date(2026, 12, 2), 10), user=doctor)
    with pytest.raises(BookingRefused):
        booking.set_status(first, "no_show", user=doctor)
    monkeypatch.setattr(timezone, "now", lambda: local(datetime.date(2026, 12, 2), 11))
    booking.set_status(first, "no_show", user=doctor)
    first.refresh_from_db()
    assert first.status == "no_show"
    with pytest.raises(BookingRefused):
        booking.move(first, starts_at=local(datetime.date(2026, 12, 3), 10), user=doctor)


def test_opening_an_appointment_creates_its_draft_session_once(plan, doctor, treatment, assistant):
    first = booking.book(patient=plan.patient, practitioner=doctor, kind=treatment, plan=plan,
                         starts_at=local(datetime.date(2026, 12, 1), 8), user=assistant)
    session = booking.open_session(first, assistant)
    assert (session.patient, session.plan, session.practitioner, session.status) == (
        plan.patient, plan, doctor, "draft")
    assert session.started_at == first.starts_at
    assert booking.open_session(Appointment.objects.get(pk=first.pk), assistant) == session
    assert Session.objects.filter(patient=plan.patient).count() == 1
    first.refresh_from_db()
    assert (first.session, first.status) == (session, "attended")


def test_a_clinic_without_types_gets_the_defaults_once(german_clinic):
    kinds = set(booking.types_of(german_clinic).values_list("kind", flat=True))
    assert kinds == {"first_visit", "treatment", "reassessment", "follow_up"}
    booking.types_of(german_clinic)
    assert booking.types_of(german_clinic).count() == 4


def test_only_the_clinics_own_rooms_types_and_practitioners(plan, doctor, treatment, other_clinic, outsider):
    foreign_room = Room.objects.create(clinic=other_clinic, name="Elsewhere")
    foreign_type = booking.types_of(other_clinic).first()
    for extra in [{"room": foreign_room}, {"kind": foreign_type}, {"practitioner": outsider}]:
        arguments = {"patient": plan.patient, "practitioner": doctor, "kind": treatment,
                     "starts_at": local(datetime.date(2026, 12, 2), 10), "user": doctor, **extra}
        with pytest.raises(BookingRefused) as refused:
            booking.book(**arguments)
        assert refused.value.status == 422
        assert set(refused.value.message_dict) == {
            {"room": "room", "kind": "type", "practitioner": "practitioner"}[next(iter(extra))]}
