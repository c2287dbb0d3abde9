"""Query-count baselines: list and detail pages cost the same for 2 rows or 60.

A failing test here means a page started to query once per row (N+1).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segmenta.audit.trail import record
from segmenta.patients import stamps
from segmenta.treatment.models import ComplaintScore, Injection, Session, TreatmentPlan
from segmenta.conftest import make_patient, make_user

# Measured when the pages were written (PostgreSQL takes one more: the audit chain's
# advisory lock); raise only with a reason. The chart rose from 31 to 41 with the safety
# strip, which reads the patient as the safety engine does (its lists, reviews, consents,
# complaints' findings, the clinic's knowledge-base overrides and the last day's injections).
# It rose from 41 to 52 with the versions of every entry (§630f BGB): one query per kind of
# entry (nine), one for the patient's details and one for the plans, whatever their number.
# It rose to 53 with the plans' reviews: a reassessment stops being due once it is decided.
# It fell to 41 when the safety strip came to read the lists the chart has loaded instead of
# loading them again (nine queries); the bound leaves room for the audit trail's rewrite.
# A chart read again, its own parts kept drawn (patients/views.py), reads only what the
# safety strip, the alerts and Recent access show: 13 queries, whatever the chart holds.
BASELINE = {"patients:list": 15, "patients:detail": 44, "patients:detail kept": 13}


def baseline(page):
    return BASELINE[page] + (connection.vendor == "postgresql")


def queries(client, url):
    # The stamp triggers are checked once per connection (stamps.live), not per page: a test
    # run alone would count that check in its first page only.
    stamps.live(connection)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_patient_list_query_count_does_not_grow_with_patients(doctor_client, clinic):
    url = reverse("patients:list")
    make_patient(clinic, family="A")
    make_patient(clinic, family="B")
    few = queries(doctor_client, url)
    for i in range(60):
        make_patient(clinic, family=f"P{i:02d}")
    assert queries(doctor_client, url) == few
    assert few <= baseline("patients:list")


def fill_chart(patient, n):
    from segmenta.patients import models as m

    # Each entry by another colleague: showing who reviewed must not cost a query per entry.
    for i in range(n):
        reviewer = make_user(f"colleague{m.ChartReview.objects.count()}", patient.clinic)
        m.Complaint.objects.create(patient=patient, description=f"pain {i}", regions=[{"choir": 107, "side": "right"}])
        m.HistoryItem.objects.create(patient=patient, kind="tooth", tooth="38", description=f"extraction {i}",
                                     regions=[{"region": "jaw", "side": "left"}])
        m.WeightMeasurement.objects.create(patient=patient, date=f"2020-01-{i + 1:02d}", weight_kg=60 + i)
        m.Allergy.objects.create(patient=patient, substance=f"s{i}", allergy_class="other")
        m.Medication.objects.create(patient=patient, name=f"m{i}", medication_class="other")
        m.Condition.objects.create(patient=patient, text=f"c{i}")
        m.PregnancyStatus.objects.create(patient=patient, date=f"2020-01-{i + 1:02d}", status="unknown",
                                         recorded_by=reviewer)
        m.ChartReview.objects.create(patient=patient, kind="allergies", date=f"2020-01-{i + 1:02d}",
                                     recorded_by=reviewer)
        m.ChartReview.objects.create(patient=patient, kind="medications", date=f"2020-01-{i + 1:02d}",
                                     recorded_by=reviewer, note="checked")
        m.Consent.objects.create(patient=patient, date="2020-01-01", scope="all", method="signature",
                                 signature_svg="M1 1L2 2", scopes=["injection_therapy"])
        m.Consent.objects.create(patient=patient, date="2020-01-02", scope="all", decision="refused")
        complaint = m.Complaint.objects.filter(patient=patient).first()
        session = Session.objects.create(patient=patient, started_at=f"2026-01-{i + 1:02d}T10:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=6, post_nrs=3)
        Injection.objects.create(session=session, order=1, time=session.started_at, target="wheal",
                                 regions=[{"choir": 107, "side": "right"}], concentration_percent=1, volume_ml=0.5,
                                 verdict="ok", mg=5, cumulative_mg=5, history_item=m.HistoryItem.objects.first(),
                                 complaint=complaint, relief_percent=50, onset_seconds=10)
        TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain")


def test_patient_detail_query_count_does_not_grow_with_its_chart(doctor_client, doctor, patient):
    url = reverse("patients:detail", args=[patient.pk])
    fill_chart(patient, 1)
    few = queries(doctor_client, url)
    fill_chart(patient, 20)
    for _ in range(30):
        record("view", user=doctor, patient=patient, obj=patient)
    assert queries(doctor_client, url) == few
    assert few <= baseline("patients:detail")


@pytest.mark.parametrize("rows", [3, 40])
def test_audit_search_query_count_is_flat(admin_client, admin_user, patient, rows):
    for _ in range(rows):
        record("view", user=admin_user, patient=patient, obj=patient)
    count = queries(admin_client, reverse("audit:search"))
    assert count <= 12


def long_course(patient, sessions, injections, history):
    """A chart after a long course: ``sessions`` sessions of ``injections`` injections each,
    every one scoring the complaint, and ``history`` history items (each with its versions)."""
    from segmenta.patients.models import Complaint, HistoryItem

    complaint = Complaint.objects.create(patient=patient, description="back pain",
                                         regions=[{"choir": 218, "side": "left"}])
    items = [HistoryItem.objects.create(patient=patient, kind="scar", description=f"scar {i}", date=f"{1990 + i % 30}",
                                        regions=[{"choir": 116, "side": "right"}], signs=["itching"])
             for i in range(history)]
    for n in range(sessions):
        session = Session.objects.create(patient=patient, started_at=f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T09:00:00+00:00")
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=6, post_nrs=4)
        for order in range(1, injections + 1):
            Injection.objects.create(session=session, order=order, time=session.started_at, target="scar",
                                     regions=[{"choir": 116, "side": "right"}], concentration_percent=1,
                                     volume_ml=0.5, verdict="ok", mg=5, cumulative_mg=5 * order,
                                     history_item=items[0], complaint=complaint, relief_percent=100)


def test_chart_query_count_is_the_same_for_a_short_and_a_long_course(doctor_client, clinic):
    # Long enough that the chart folds its lists of sessions and history items.
    short, long = make_patient(clinic, family="Short"), make_patient(clinic, family="Long")
    long_course(short, sessions=1, injections=1, history=1)
    long_course(long, sessions=30, injections=6, history=60)
    counts = [queries(doctor_client, reverse("patients:detail", args=[p.pk])) for p in (short, long)]
    assert counts[0] == counts[1]
    assert counts[0] <= baseline("patients:detail")
    # Read again: the chart's parts are kept; the safety strip's case is worked out once
    # more (the case export's, kept under the same stamp). Then both are kept: fewer queries,
    # and again the same for both.
    second = [queries(doctor_client, reverse("patients:detail", args=[p.pk])) for p in (short, long)]
    kept = [queries(doctor_client, reverse("patients:detail", args=[p.pk])) for p in (short, long)]
    assert second[0] == second[1] < counts[0]
    assert kept[0] == kept[1] <= baseline("patients:detail kept") < second[0]
    # Listing everything reads the same rows (its parts drawn anew, not kept from the reads above).
    from segmenta.patients.views import _charts_drawn, _courses_drawn, _maps_drawn
    _charts_drawn.clear()
    _courses_drawn.clear()
    _maps_drawn.clear()
    assert queries(doctor_client, reverse("patients:detail", args=[long.pk]) + "?sessions=all&history=all") == counts[0]
