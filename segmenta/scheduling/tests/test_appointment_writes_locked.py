"""Two people changing one appointment: every write (pages and API) goes through booking.py,
which locks the clinic's calendar and then the appointment and works on the row as stored,
so nobody's change is lost and the two locks are never taken in opposite orders."""

import datetime
import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from segmenta.accounts.models import ApiToken
from segmenta.conftest import login_verified
from segmenta.scheduling import booking
from segmenta.scheduling.models import Appointment
from segmenta.treatment.models import Session

from .calendar_setup import NOW, fix_now, german_practice, local

DAY = NOW + datetime.timedelta(days=1)  # Wednesday


@pytest.fixture(autouse=True)
def now(monkeypatch):
    return fix_now(monkeypatch)


@pytest.fixture
def booked(clinic, doctor):
    setup = german_practice(clinic, doctor)
    return booking.book(patient=setup["patient"], practitioner=doctor, kind=setup["type"], room=setup["room"],
                        starts_at=local(DAY, 9), user=doctor)


def stale(appointment):
    """The appointment as a page read it before someone else's change."""
    return Appointment.objects.select_related("patient", "patient__clinic", "type", "room", "practitioner").get(
        pk=appointment.pk)


def test_a_move_on_a_stale_page_does_not_undo_a_cancellation(booked, doctor):
    read_before = stale(booked)
    booking.set_status(stale(booked), Appointment.Status.CANCELLED, reason="ill", user=doctor)
    with pytest.raises(booking.BookingRefused) as refused:
        booking.move(read_before, starts_at=local(DAY, 11), user=doctor)
    assert refused.value.status == 409
    stored = Appointment.objects.get(pk=booked.pk)
    assert stored.status == "cancelled" and stored.starts_at == local(DAY, 9)


def test_a_cancellation_on_a_stale_page_keeps_the_others_move(booked, doctor):
    read_before = stale(booked)
    booking.move(stale(booked), starts_at=local(DAY, 11), user=doctor)
    booking.set_status(read_before, Appointment.Status.CANCELLED, reason="ill", user=doctor)
    stored = Appointment.objects.get(pk=booked.pk)
    assert stored.status == "cancelled" and stored.starts_at == local(DAY, 11) and stored.cancel_reason == "ill"
    assert read_before.starts_at == local(DAY, 11)  # the page shows what is stored


def test_a_note_from_the_api_keeps_a_move_made_meanwhile(booked, doctor, api_client):
    booking.move(stale(booked), starts_at=local(DAY, 11), user=doctor)
    response = api_client.patch(f"/api/v1/appointments/{booked.pk}", json.dumps({"note": "bring the MRI"}),
                                content_type="application/json")
    assert response.status_code == 200
    stored = Appointment.objects.get(pk=booked.pk)
    assert stored.note == "bring the MRI" and stored.starts_at == local(DAY, 11)


def test_a_session_is_not_opened_from_an_appointment_cancelled_meanwhile(booked, doctor):
    # The page read the appointment as booked; it was cancelled before the click arrived.
    read_before = stale(booked)
    booking.set_status(stale(booked), Appointment.Status.CANCELLED, reason="ill", user=doctor)
    with pytest.raises(booking.BookingRefused) as refused:
        booking.open_session(read_before, doctor)
    assert refused.value.status == 409
    stored = Appointment.objects.get(pk=booked.pk)
    assert stored.status == "cancelled" and stored.session is None
    assert not Session.objects.filter(patient=booked.patient).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks between real connections")
@pytest.mark.django_db(transaction=True)
def test_a_page_and_the_api_changing_one_appointment_at_once(booked, doctor, monkeypatch):
    # Both have read the appointment before either takes its locks.
    both_read = threading.Barrier(2, timeout=20)
    lock = booking._lock

    def read_then_lock(appointment):
        both_read.wait()
        return lock(appointment)

    monkeypatch.setattr(booking, "_lock", read_then_lock)
    _token, raw = ApiToken.issue(doctor, "tests")
    page = login_verified(Client(raise_request_exception=False), doctor)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)
    answers = {}

    def cancel_on_the_page():
        try:
            answers["page"] = page.post(f"/calendar/appointments/{booked.pk}/cancel/", {"cancel-reason": "ill"}).status_code
        finally:
            connections.close_all()

    def move_by_the_api():
        try:
            answers["api"] = api.patch(f"/api/v1/appointments/{booked.pk}",
                                       json.dumps({"starts_at": f"{DAY}T11:00:00+01:00"}),
                                       content_type="application/json").status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel_on_the_page), threading.Thread(target=move_by_the_api)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stored = Appointment.objects.get(pk=booked.pk)
    # The cancellation always stands; the move either came first (and is kept) or was refused.
    assert answers["page"] == 302, answers
    assert answers["api"] in (200, 409), answers
    assert stored.status == "cancelled"
    assert stored.starts_at == (local(DAY, 11) if answers["api"] == 200 else local(DAY, 9))
