"""The scope check's 'not among the techniques of the practitioner's recorded training'
warning says why in the live verdict: no record covers the technique, or the one that did
expired on a day; with a link to record a training for the practitioner who injects."""
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.accounts.models import TrainingRecord
from segmenta.patients import models as pm
from segmenta.treatment.models import Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active")
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def check(client, session):
    return client.post(reverse("treatment:injection_check", args=[session.pk]), form_data("injection", {
        "time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "map_regions": "[]"})).content.decode()


def why(html):
    start = html.index('id="training-why"')
    return html[start:html.index("</p>", start)]


def test_no_training_says_none_covers_it_and_links_to_the_form(doctor_client, session):
    found = why(check(doctor_client, session))
    assert "no recorded training covers this technique" in found
    assert reverse("learning:training_new") + "?technique=wheal" in found


def test_an_expired_training_says_the_day_it_expired(doctor, doctor_client, session):
    day = date(2026, 11, 20)  # before the injection's day (25 November)
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="IGNH", date="2020-01-01",
                                  hours=8, techniques=["wheal"], expiry=day)
    found = why(check(doctor_client, session))
    assert f"expired on {day.isoformat()}" in found


def test_a_current_training_gives_no_warning_and_no_why(doctor, doctor_client, session):
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="IGNH", date="2020-01-01",
                                  hours=8, techniques=["wheal"], expiry=timezone.localdate())
    html = check(doctor_client, session)
    assert 'id="training-why"' not in html and "recorded training" not in html


def test_training_is_judged_on_the_injections_day_not_today(doctor, doctor_client, session):
    # Valid on 25 November, when the injection is charted, though expired since: no warning.
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="IGNH", date="2020-01-01",
                                  hours=8, techniques=["wheal"], expiry=date(2026, 11, 25))
    html = check(doctor_client, session)
    assert 'id="training-why"' not in html and "recorded training" not in html


def test_a_training_taken_after_the_injection_does_not_vouch_for_it(doctor, doctor_client, session):
    TrainingRecord.objects.create(profile=doctor.profile, course="Basic", provider="IGNH", date="2026-11-26",
                                  hours=8, techniques=["wheal"])
    assert "no recorded training covers this technique" in why(check(doctor_client, session))
