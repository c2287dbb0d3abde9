"""Follow-up reports come after their session and after the injection they are about; a
time before is refused naming the field. They may still be added after signing."""

import pytest
from django.urls import reverse

from segmenta.treatment.models import FollowUp, Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def report(client, session, **values):
    return client.post(reverse("treatment:follow_up_add", args=[session.pk]),
                       form_data("follow-up", {"reaction": "none", **values}))


def test_a_follow_up_timed_before_its_session_is_refused_naming_the_field(doctor_client, session):
    response = report(doctor_client, session, reported_at="2026-11-24T18:00")
    assert response.status_code == 400
    errors = response.context["follow_up_form"].errors
    assert list(errors) == ["reported_at"] and "2026-11-25 10:00" in errors["reported_at"][0]
    assert not FollowUp.objects.exists()


def test_a_follow_up_timed_before_its_injection_is_refused(doctor_client, session):
    injection = Injection.objects.create(session=session, order=1, time="2026-11-25T10:30:00+01:00", target="wheal",
                                         concentration_percent=1, volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5)
    response = report(doctor_client, session, reported_at="2026-11-25T10:15", injection=injection.pk)
    assert response.status_code == 400 and "reported_at" in response.context["follow_up_form"].errors


def test_a_follow_up_after_the_session_is_kept_even_once_signed(doctor_client, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    response = report(doctor_client, session, reported_at="2026-11-26T09:00", relief_hours="6")
    assert response.status_code == 302 and FollowUp.objects.get().relief_hours == 6
