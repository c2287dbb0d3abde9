"""The session page's markup: every element id once (each form has its own prefix), and
one translated label for each safety verdict wherever a badge shows it."""

import re
from collections import Counter

import pytest
from django.urls import reverse

from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, Injection, Session
from segmenta.treatment.tests.posting import form_data


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=60)
    pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active")
    session = Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)
    for order, verdict in enumerate(["ok", "warn", "block"], start=1):
        injection = Injection.objects.create(session=session, order=order, time=session.started_at, target="wheal",
                                             concentration_percent=1, volume_ml=0.5, verdict=verdict, mg=5,
                                             cumulative_mg=5 * order)
    AdverseEvent.objects.create(session=session, injection=injection, kind="vasovagal")
    return session


def ids(html):
    return Counter(re.findall(r'\sid="([^"]+)"', html))


def test_no_element_id_appears_twice_on_a_draft(doctor_client, session):
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    found = ids(html)
    assert [name for name, n in found.items() if n > 1] == []
    # The forms that used to share ids each have their own now.
    assert {"id_notes-notes", "id_follow-up-notes", "id_nrs-complaint", "id_injection-complaint",
            "id_event-injection", "id_follow-up-injection"} <= set(found)


def test_no_element_id_appears_twice_on_a_signed_session(doctor_client, session):
    doctor_client.post(reverse("treatment:sign", args=[session.pk]))
    found = ids(doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode())
    assert [name for name, n in found.items() if n > 1] == []


def test_a_form_that_comes_back_with_errors_keeps_unique_ids(doctor_client, session):
    response = doctor_client.post(reverse("treatment:follow_up_add", args=[session.pk]),
                                  form_data("follow-up", {"reported_at": "2020-01-01T00:00", "reaction": "none"}))
    assert response.status_code == 400
    assert [name for name, n in ids(response.content.decode()).items() if n > 1] == []


def test_each_verdict_has_one_label_in_the_list_and_in_the_live_check(doctor_client, session):
    html = doctor_client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    badges = re.findall(r'<span class="badge verdict (\w+)">([^<]+)</span>', html)
    assert sorted(set(badges)) == [("block", "Blocked"), ("ok", "OK"), ("warn", "Warning")]
    check = doctor_client.post(reverse("treatment:injection_check", args=[session.pk]), form_data("injection", {
        "time": "2026-11-25T10:05", "target": "wheal", "drug": "procaine", "concentration_percent": "1",
        "volume_ml": "0.5", "map_regions": "[]"})).content.decode()
    verdict, label = re.search(r'<span class="badge verdict (\w+)">([^<]+)</span>', check).groups()
    assert (verdict, label) in badges
