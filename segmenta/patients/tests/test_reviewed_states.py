"""Unknown is not none: the chart says whether the allergy and medication lists were
reviewed, by whom and when, and whether the pregnancy status is current."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.knowledge.base import load
from segmenta.patients import models as m
from segmenta.patients.chart import age_on, list_review, pregnancy_review

TODAY = datetime.date(2026, 11, 28)
RULE = {"valid_days": 30, "ages": {"min": 12, "max": 55}}


def item(active=True):
    return SimpleNamespace(active=active)


def review(kind, date, pk=1):
    return SimpleNamespace(kind=kind, date=date, pk=pk)


def status(date, value="not_pregnant", pk=1):
    return SimpleNamespace(date=date, status=value, pk=pk)


# --- The pure functions -------------------------------------------------------------

def test_a_list_never_reviewed_is_unknown_even_when_empty():
    assert list_review([], [], "allergies")["state"] == "not_reviewed"
    assert list_review([item()], [review("medications", TODAY)], "allergies")["state"] == "not_reviewed"


def test_a_reviewed_empty_list_means_none_known():
    state = list_review([item(active=False)], [review("allergies", TODAY)], "allergies")
    assert state["state"] == "none_known"


def test_a_reviewed_list_with_entries_is_complete_as_of_the_latest_review():
    latest = review("medications", TODAY, pk=2)
    reviews = [review("medications", TODAY - datetime.timedelta(days=9), pk=3), latest,
               review("medications", TODAY, pk=1)]
    state = list_review([item()], reviews, "medications")
    assert state == {"state": "complete", "review": latest}


def test_age_counts_completed_years():
    assert age_on(datetime.date(1970, 11, 29), TODAY) == 55
    assert age_on(datetime.date(1970, 11, 28), TODAY) == 56


@pytest.mark.parametrize("sex,birth,applicable,reason", [
    ("male", datetime.date(1990, 1, 1), False, "male"),
    ("female", datetime.date(1960, 1, 1), False, "age"),
    ("female", datetime.date(2016, 1, 1), False, "age"),
    ("female", datetime.date(1990, 1, 1), True, None),
    ("other", datetime.date(1990, 1, 1), True, None),
    ("unknown", datetime.date(1990, 1, 1), True, None),
])
def test_a_pregnancy_status_matters_from_12_to_55_unless_male(sex, birth, applicable, reason):
    state = pregnancy_review(sex, birth, [], TODAY, RULE)
    assert (state["applicable"], state["reason"]) == (applicable, reason)
    assert state["unknown"] is applicable


def test_a_pregnancy_status_older_than_the_clinic_setting_is_out_of_date():
    birth = datetime.date(1990, 1, 1)
    fresh = pregnancy_review("female", birth, [status(TODAY - datetime.timedelta(days=30))], TODAY, RULE)
    stale = pregnancy_review("female", birth, [status(TODAY - datetime.timedelta(days=31))], TODAY, RULE)
    assert not fresh["out_of_date"] and stale["out_of_date"]
    stricter = pregnancy_review("female", birth, [status(TODAY - datetime.timedelta(days=8))], TODAY,
                                {**RULE, "valid_days": 7})
    assert stricter["out_of_date"]


def test_the_newest_pregnancy_status_counts():
    older, newer = status(TODAY - datetime.timedelta(days=40), pk=9), status(TODAY, "unknown", pk=2)
    state = pregnancy_review("female", datetime.date(1990, 1, 1), [older, newer], TODAY, RULE)
    assert state["current"] is newer and state["unknown"] and not state["out_of_date"]


def test_without_the_rule_no_status_is_called_current_or_old_and_every_age_counts():
    state = pregnancy_review("female", datetime.date(1940, 1, 1), [status(TODAY - datetime.timedelta(days=400))],
                             TODAY, None)
    assert state["applicable"] and not state["validity_known"] and not state["out_of_date"]


def test_the_knowledge_base_rule_is_the_one_the_chart_reads():
    rule = load().get("safety-rule", "pregnancy_status")
    assert rule["valid_days"] > 0 and rule["ages"]["min"] < rule["ages"]["max"]


# --- The chart page -----------------------------------------------------------------

def background(client, patient):
    """The chart page's clinical background section."""
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    start = html.index('id="background"')
    return html[start:html.index("</section>", start)]


def test_the_chart_warns_when_lists_were_never_reviewed(doctor_client, patient):
    html = background(doctor_client, patient)
    assert "allergies are unknown, not none." in html and "medication is unknown, not none." in html
    assert "No known drug allergies" not in html and "No regular medication" not in html


def test_the_chart_says_no_known_drug_allergies_with_date_and_reviewer(doctor_client, patient, doctor):
    m.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02", recorded_by=doctor)
    m.ChartReview.objects.create(patient=patient, kind="medications", date="2026-11-03", recorded_by=doctor)
    m.Medication.objects.create(patient=patient, name="Ibuprofen", medication_class="nsaid")
    html = background(doctor_client, patient)
    assert "No known drug allergies" in html and "reviewed 2026-11-02 (doctor)" in html
    assert "Complete as of 2026-11-03 (doctor)" in html
    assert "allergies are unknown" not in html and "medication is unknown" not in html


def test_entries_whose_author_is_unknown_still_show(doctor_client, clinic):
    patient = make_patient(clinic, birth_date="1992-05-05")
    m.ChartReview.objects.create(patient=patient, kind="allergies", date="2026-11-02")  # e.g. an account deleted
    m.PregnancyStatus.objects.create(patient=patient, date=timezone.localdate(), status="not_pregnant")
    html = background(doctor_client, patient)
    assert "reviewed 2026-11-02 (reviewer not recorded)" in html and "recorded by unknown" in html


def test_the_chart_marks_an_old_pregnancy_status_out_of_date(doctor_client, clinic, doctor):
    patient = make_patient(clinic, birth_date="1992-05-05")
    day = timezone.localdate() - datetime.timedelta(days=45)
    m.PregnancyStatus.objects.create(patient=patient, date=day, status="not_pregnant", recorded_by=doctor)
    html = background(doctor_client, patient)
    assert f"as of {day.isoformat()}, recorded by doctor" in html
    assert "Out of date" in html and "older than 30 days" in html


def test_the_chart_says_not_applicable_for_a_man(doctor_client, clinic):
    patient = make_patient(clinic, family="Mann", sex="male", birth_date="1990-01-01")
    html = background(doctor_client, patient)
    assert "Not applicable (male)." in html and "Not recorded" not in html


def test_the_chart_says_not_applicable_outside_the_ages(doctor_client, clinic):
    patient = make_patient(clinic, family="Alt", birth_date="1940-01-01")
    html = background(doctor_client, patient)
    assert "Not applicable at age" in html and "from 12 to 55" in html


def test_the_chart_says_when_no_pregnancy_status_was_recorded(doctor_client, clinic):
    patient = make_patient(clinic, family="Jung", birth_date="1995-01-01")
    assert "Not recorded" in background(doctor_client, patient)


def test_a_refused_consent_shows_as_refused(doctor_client, patient):
    m.Consent.objects.create(patient=patient, date="2026-11-01", scope="x", decision="refused")
    assert "refused 2026-11-01" in background(doctor_client, patient)


# --- Mark as reviewed today ---------------------------------------------------------

def mark(client, patient, kind):
    return client.post(reverse("patients:review_today", args=[patient.pk]), {"kind": kind})


def test_marking_a_list_reviewed_today_records_the_reviewer_and_is_audited(doctor_client, patient, doctor):
    response = mark(doctor_client, patient, "medications")
    assert response.status_code == 302 and response["Location"].endswith("#medications")
    review = m.ChartReview.objects.get(patient=patient)
    assert (review.kind, review.date, review.recorded_by) == ("medications", timezone.localdate(), doctor)
    event = AuditEvent.objects.get(action="create", patient=patient)
    assert event.object_type == "chartreview" and event.object_id == str(review.pk)


def test_a_second_tap_on_the_same_day_adds_nothing(doctor_client, patient):
    mark(doctor_client, patient, "allergies")
    mark(doctor_client, patient, "allergies")
    assert m.ChartReview.objects.filter(patient=patient).count() == 1
    assert AuditEvent.objects.filter(action="create", patient=patient).count() == 1


def test_marking_needs_a_post_and_a_known_list(doctor_client, patient):
    assert doctor_client.get(reverse("patients:review_today", args=[patient.pk])).status_code == 405
    response = mark(doctor_client, patient, "hobbies")
    assert response.status_code == 400 and b"kind" in response.content
    assert not m.ChartReview.objects.exists()


def test_another_clinics_patient_cannot_be_marked(doctor_client, foreign_patient):
    assert mark(doctor_client, foreign_patient, "allergies").status_code == 404
    assert not m.ChartReview.objects.exists()


def test_a_review_cannot_be_dated_in_the_future(doctor_client, patient):
    future = timezone.localdate() + datetime.timedelta(days=1)
    response = doctor_client.post(reverse("patients:item_new", args=[patient.pk, "reviews"]),
                                  {"kind": "allergies", "date": future.isoformat(), "note": ""})
    assert response.status_code == 400 and "date" in response.context["form"].errors
    assert not m.ChartReview.objects.exists()


def test_the_chart_shows_the_latest_height_beside_a_newer_weight_without_one(doctor_client, patient):
    m.WeightMeasurement.objects.create(patient=patient, date="2026-09-02", weight_kg=64, height_cm=168)
    m.WeightMeasurement.objects.create(patient=patient, date="2026-11-03", weight_kg="62.5")
    html = background(doctor_client, patient)
    assert "62.5 kg</a>" in html and "168.0 cm</a> <span class=\"meta\">(2026-09-02)</span>" in html


def test_a_clinic_that_keeps_pregnancy_statuses_for_a_week_sees_older_ones_out_of_date(doctor_client, clinic):
    from segmenta.knowledge.models import ClinicOverride

    ClinicOverride.objects.create(clinic=clinic, kind="safety-rule", entry_id="pregnancy_status",
                                  data={"valid_days": 7}, reason="Stricter local policy")
    patient = make_patient(clinic, birth_date="1992-05-05")
    m.PregnancyStatus.objects.create(patient=patient, date=timezone.localdate() - datetime.timedelta(days=10),
                                     status="not_pregnant")
    html = background(doctor_client, patient)
    assert "Out of date" in html and "older than 7 days" in html
