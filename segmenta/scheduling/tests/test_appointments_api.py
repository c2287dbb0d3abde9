"""/api/v1/appointments: list with filters and paging, create (409 on a conflict, 422 naming
the field), read, move, cancel, no-show, attended, a course from a plan, rooms and types;
scoped to the caller's clinics and audited."""

import datetime
import json

import pytest
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.scheduling.models import Appointment

from .calendar_setup import fix_now, german_practice, local

DAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def now(monkeypatch):
    return fix_now(monkeypatch)


@pytest.fixture
def setup(clinic, doctor):
    return german_practice(clinic, doctor)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def body(setup, **extra):
    return {"patient": setup["patient"].pk, "practitioner": "doctor", "type": setup["type"].pk,
            "room": setup["room"].pk, "starts_at": f"{DAY}T10:00:00+01:00", **extra}


def test_create_read_and_list(api_client, setup):
    created = post(api_client, "/api/v1/appointments", body(setup, note="first visit"))
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["practitioner"], data["room_name"], data["status"], data["note"], data["kind"]) == (
        "doctor", "Room 1", "booked", "first visit", "treatment")
    assert data["ends_at"].startswith(f"{DAY}T09:30:00") or data["ends_at"].endswith("10:30:00+01:00")
    read = api_client.get(f"/api/v1/appointments/{data['id']}")
    assert read.json()["id"] == data["id"]
    listed = api_client.get(f"/api/v1/appointments?from={DAY}T00:00:00%2B01:00&to={DAY}T23:59:00%2B01:00"
                            f"&practitioner=doctor&room={setup['room'].pk}&status=booked")
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [data["id"]] and listed.json()["count"] == 1
    assert api_client.get("/api/v1/appointments?status=cancelled").json()["items"] == []
    assert api_client.get(f"/api/v1/appointments?patient={setup['patient'].pk}&limit=1&offset=1").json()[
        "items"] == []
    event = AuditEvent.objects.get(object_type="appointment_list", detail__status="booked")
    assert event.detail["appointments"] == [data["id"]] and event.detail["patients"] == [setup["patient"].pk]
    assert event.clinic_id == setup["patient"].clinic_id
    assert AuditEvent.objects.filter(object_type="appointment", action="view", object_id=str(data["id"])).exists()


def test_a_conflict_answers_409_naming_the_field_and_the_appointment(api_client, setup, clinic):
    first = post(api_client, "/api/v1/appointments", body(setup)).json()
    other = make_patient(clinic, family="Zweite")
    response = post(api_client, "/api/v1/appointments", body(setup, patient=other.pk,
                                                             starts_at=f"{DAY}T10:15:00+01:00"))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("practitioner: doctor is already booked then") and "room: Room 1 is taken" in detail
    assert "Treatment session" in detail
    assert Appointment.objects.count() == 1 and first["id"] == Appointment.objects.get().pk


@pytest.mark.parametrize(("change", "field"), [
    ({"type": 999999}, "type"), ({"room": 999999}, "room"), ({"practitioner": "nobody"}, "practitioner"),
    ({"patient": 999999}, "patient"), ({"starts_at": "2026-12-25T10:00:00+01:00"}, "starts_at"),
    ({"starts_at": "2030-01-01T10:00:00+01:00"}, "starts_at"), ({"colour": "red"}, "colour"),
    ({"plan": 999999}, "plan")])
def test_bad_input_answers_422_naming_the_field(api_client, setup, change, field):
    response = post(api_client, "/api/v1/appointments", body(setup, **change))
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Appointment.objects.exists()


def test_move_cancel_no_show_and_attended(api_client, setup, monkeypatch):
    created = post(api_client, "/api/v1/appointments", body(setup)).json()
    url = f"/api/v1/appointments/{created['id']}"
    moved = api_client.patch(url, json.dumps({"starts_at": f"{DAY}T11:00:00+01:00", "room": None}),
                             content_type="application/json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["starts_at"].startswith(f"{DAY}T") and moved.json()["room"] is None
    assert timezone.localtime(Appointment.objects.get().starts_at).time() == datetime.time(11)
    assert api_client.patch(url, json.dumps({"type": None}), content_type="application/json").status_code == 422
    early = api_client.post(f"{url}/no-show")
    assert early.status_code == 409 and "not started" in early.json()["detail"]
    monkeypatch.setattr(timezone, "now", lambda: local(DAY, 12))
    assert api_client.post(f"{url}/attended").json()["status"] == "attended"
    assert api_client.post(f"{url}/no-show").json()["status"] == "no_show"
    assert post(api_client, f"{url}/cancel", {"reason": ""}).status_code == 422
    cancelled = post(api_client, f"{url}/cancel", {"reason": "entered twice"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "entered twice"
    assert post(api_client, f"{url}/cancel", {"reason": "again"}).status_code == 409
    assert api_client.patch(url, json.dumps({"starts_at": f"{DAY}T12:00:00+01:00"}),
                            content_type="application/json").status_code == 409


def test_a_course_from_a_plan_all_or_nothing(api_client, setup):
    request = {"plan": setup["plan"].pk, "practitioner": "doctor", "type": setup["type"].pk,
               "starts_at": "2026-12-18T09:00:00+01:00", "count": 3}
    booked = post(api_client, "/api/v1/appointments/series", request)
    assert booked.status_code == 201, booked.content
    rows = booked.json()
    assert [r["series_number"] for r in rows] == [1, 2, 3] and len({r["series"] for r in rows}) == 1
    assert [r["moved_reason"] for r in rows] == ["", "Christmas Day", "New Year's Day"]
    again = post(api_client, "/api/v1/appointments/series", {**request, "count": None})
    assert again.status_code == 409 and "2026" in again.json()["detail"]
    assert Appointment.objects.count() == 3
    assert post(api_client, "/api/v1/appointments/series", {**request, "count": 0}).status_code == 422


def test_another_clinics_appointments_stay_hidden(api_client, setup, other_clinic, outsider):
    from segmenta.accounts.models import ApiToken
    from django.test import Client

    created = post(api_client, "/api/v1/appointments", body(setup)).json()
    _token, raw = ApiToken.issue(outsider, "t")
    stranger = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert stranger.get(f"/api/v1/appointments/{created['id']}").status_code == 404
    assert stranger.get("/api/v1/appointments").json()["items"] == []
    assert post(stranger, "/api/v1/appointments", body(setup, practitioner="outsider")).status_code == 422
    assert stranger.post(f"/api/v1/appointments/{created['id']}/no-show").status_code == 404
    rooms = stranger.get("/api/v1/appointments/rooms").json()
    assert rooms == []
    assert {t["clinic"] for t in stranger.get("/api/v1/appointments/types").json()} == {other_clinic.pk}


@pytest.mark.parametrize("field", ["from", "to"])
def test_a_list_filter_beyond_a_sane_moment_answers_422_naming_it(api_client, setup, field):
    # An offset beyond ±14:00 (PostgreSQL refuses it: a server error before) or a year before 1900.
    for value in ("0610-12-06T12:52:52-16:34", "1850-01-01T00:00:00%2B01:00"):
        response = api_client.get(f"/api/v1/appointments?{field}={value}")
        assert response.status_code == 422, (value, response.content)
        assert field in response.content.decode()


@pytest.mark.parametrize("field", ["from", "to"])
def test_a_list_filter_in_the_last_year_python_holds_answers_422_naming_it(api_client, setup, field):
    # 9999 at -10:00 lies in year 10000 in UTC, past what Python and the databases hold: a
    # server error before. The end of 9998 at any offset still filters.
    for value in ("9999-12-31T23:00:00-10:00", "9999-06-01T00:00:00"):
        response = api_client.get(f"/api/v1/appointments?{field}={value}")
        assert response.status_code == 422, (value, response.content)
        assert field in response.content.decode() and "9999" in response.content.decode()
    assert api_client.get(f"/api/v1/appointments?{field}=9998-12-31T23:59:59-14:00").status_code == 200
