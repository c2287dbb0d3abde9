"""Query-count baseline of the session page: the same for 1 injection or 30, with their
adverse events, follow-ups, NRS scores and removed injections. A failing test here means the
page started to query once per row (N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segmenta.conftest import complete_chart, make_user
from segmenta.patients import models as pm
from segmenta.treatment.models import AdverseEvent, ComplaintScore, FollowUp, Injection, Product, Session
from segmenta.treatment.sessions import remove_injection

# Measured when the page was rebuilt for the treatment room (PostgreSQL takes one more: the
# audit chain's advisory lock); raise only with a reason. The page reads the chart as the
# safety engine does for the strip, the emergency card's figures, the clinic's products and
# colleagues for the entry, and the removed injections' versions.
BASELINE = {"draft": 44, "signed": 39}


def baseline(kind):
    return BASELINE[kind] + (connection.vendor == "postgresql")


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.fixture
def session(patient, doctor):
    pm.WeightMeasurement.objects.create(patient=patient, date="2026-11-01", weight_kg=70)
    complete_chart(patient, doctor)
    return Session.objects.create(patient=patient, started_at="2026-11-25T10:00:00+01:00", practitioner=doctor)


def fill(session, n, user):
    """``n`` more injections, each with its own injector, product, tested item, complaint,
    adverse event, follow-up and score, and one removed for every five."""
    patient = session.patient
    start = session.injections.count()
    for i in range(start, start + n):
        colleague = make_user(f"colleague{session.pk}-{i}", patient.clinic)
        product = Product.objects.create(clinic=patient.clinic, name=f"Procaine 1 % {session.pk}-{i}",
                                         drug="procaine", concentration_percent=1)
        complaint = pm.Complaint.objects.create(patient=patient, description=f"pain {i}", status="active")
        item = pm.HistoryItem.objects.create(patient=patient, kind="scar", description=f"scar {i}")
        injection = Injection.objects.create(
            session=session, order=i + 1, time=session.started_at, target="scar", concentration_percent=1,
            volume_ml=0.1, verdict="warn", reasons=[{"code": "x", "message": "check", "verdict": "warn"}], mg=1,
            cumulative_mg=i + 1, performed_by=colleague, product=product, history_item=item, complaint=complaint,
            regions=[{"choir": 218, "side": "left"}], relief_percent=50, onset_seconds=5)
        AdverseEvent.objects.create(session=session, injection=injection, kind="vasovagal")
        FollowUp.objects.create(session=session, injection=injection, reported_at=session.started_at,
                                recorded_by=colleague)
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=6, post_nrs=3)
        if i % 5 == 4:
            mistaken = Injection.objects.create(session=session, order=100 + i, time=session.started_at,
                                                target="wheal", concentration_percent=1, volume_ml=0.1,
                                                verdict="ok", mg=1, cumulative_mg=0)
            remove_injection(mistaken, colleague, "entered twice")


def test_a_draft_costs_the_same_for_one_injection_or_thirty(doctor_client, doctor, session):
    url = reverse("treatment:session", args=[session.pk])
    fill(session, 1, doctor)
    few = queries(doctor_client, url)
    fill(session, 29, doctor)
    assert queries(doctor_client, url) == few
    assert few <= baseline("draft")


def test_a_signed_session_costs_the_same_for_one_injection_or_thirty(doctor_client, doctor, patient, session):
    counts = []
    for n, started in ((1, "2026-11-20T10:00:00+01:00"), (30, "2026-11-22T10:00:00+01:00")):
        signed = Session.objects.create(patient=patient, started_at=started, practitioner=doctor)
        fill(signed, n, doctor)
        doctor_client.post(reverse("treatment:sign", args=[signed.pk]))
        counts.append(queries(doctor_client, reverse("treatment:session", args=[signed.pk])))
    assert counts[0] == counts[1]
    assert counts[0] <= baseline("signed")
