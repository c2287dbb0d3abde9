import time

from django.urls import reverse

from segmenta.audit.models import AuditEvent


def _age_session(client, seconds):
    session = client.session
    session["last_activity"] = time.time() - seconds
    session.save()


def test_idle_session_is_logged_off(settings, doctor_client, patient):
    url = reverse("patients:detail", args=[patient.pk])
    assert doctor_client.get(url).status_code == 200
    _age_session(doctor_client, settings.SEGMENTA_IDLE_TIMEOUT.total_seconds() + 5)
    response = doctor_client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?reason=idle")
    assert "_auth_user_id" not in doctor_client.session
    event = AuditEvent.objects.filter(action="logout").get()
    assert event.detail == {"reason": "idle"} and event.username == "doctor"


def test_activity_within_the_timeout_keeps_the_session(settings, doctor_client):
    _age_session(doctor_client, settings.SEGMENTA_IDLE_TIMEOUT.total_seconds() - 30)
    assert doctor_client.get(reverse("patients:list")).status_code == 200


def test_idle_timeout_is_configurable(settings, doctor_client):
    from datetime import timedelta

    settings.SEGMENTA_IDLE_TIMEOUT = timedelta(minutes=2)
    _age_session(doctor_client, 180)
    assert doctor_client.get(reverse("patients:list")).status_code == 302


def test_login_page_explains_an_idle_logoff(client, db):
    response = client.get(reverse("accounts:login") + "?reason=idle")
    assert b"without activity" in response.content


def test_keep_alive_refreshes_an_active_session(settings, doctor_client):
    _age_session(doctor_client, settings.SEGMENTA_IDLE_TIMEOUT.total_seconds() - 30)
    assert doctor_client.get(reverse("accounts:alive")).status_code == 204
    assert time.time() - doctor_client.session["last_activity"] < 5


def test_keep_alive_cannot_revive_an_idle_session(settings, doctor_client):
    _age_session(doctor_client, settings.SEGMENTA_IDLE_TIMEOUT.total_seconds() + 5)
    assert doctor_client.get(reverse("accounts:alive")).status_code == 302
    assert doctor_client.get(reverse("accounts:alive")).status_code == 401


def test_activity_is_noted_at_most_every_thirtieth_of_the_timeout(settings, doctor_client):
    """Every page view wrote the session (a database write); now a view within 30 s of the
    last noted one writes nothing, and the next one after that notes the time again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("patients:list")
    noted = settings.SEGMENTA_IDLE_TIMEOUT.total_seconds() / 30
    _age_session(doctor_client, noted - 5)
    before = doctor_client.session["last_activity"]
    with CaptureQueriesContext(connection) as ctx:
        assert doctor_client.get(url).status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
    assert doctor_client.session["last_activity"] == before
    _age_session(doctor_client, noted + 1)
    assert doctor_client.get(url).status_code == 200
    assert time.time() - doctor_client.session["last_activity"] < 5


def test_logging_in_notes_activity(client, doctor):
    """The idle logoff counts from the login, and the first page after it writes no session."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segmenta.conftest import login_verified

    login_verified(client, doctor)
    assert time.time() - client.session["last_activity"] < 5
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("patients:list")).status_code == 200
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
