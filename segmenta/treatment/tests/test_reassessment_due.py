"""A reassessment is due from the plan's session until a decision is recorded after it,
then returns the same number of sessions later."""

from datetime import datetime, timedelta, timezone

import pytest
from django.urls import reverse

from segmenta.outcomes.tests.test_reassessment import plan_with_course
from segmenta.treatment.course import reassessment
from segmenta.treatment.models import PlanReview, Session

START = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)


def weekly(n):
    return [START + timedelta(days=7 * i) for i in range(n)]


def test_not_due_before_the_plans_session():
    assert reassessment(3, weekly(2), []) == {"due": False, "at_session": 3, "sessions": 2}


def test_due_once_the_course_reaches_the_plans_session():
    assert reassessment(3, weekly(3), []) == {"due": True, "at_session": 3, "sessions": 3}


def test_a_decision_recorded_after_that_session_clears_it_until_the_next_point():
    sessions = weekly(3)
    reviewed = [sessions[2] + timedelta(hours=1)]
    assert reassessment(3, sessions, reviewed) == {"due": False, "at_session": 6, "sessions": 3}
    assert reassessment(3, weekly(5), reviewed)["due"] is False
    assert reassessment(3, weekly(6), reviewed) == {"due": True, "at_session": 6, "sessions": 6}


def test_a_decision_before_the_session_that_made_it_due_does_not_count():
    sessions = weekly(4)
    assert reassessment(4, sessions, [sessions[2]])["due"] is True


def test_a_plan_no_longer_active_is_never_due():
    assert reassessment(3, weekly(7), [], active=False)["due"] is False


def test_sessions_count_in_the_order_they_happened_not_as_given():
    sessions = weekly(3)
    reviewed = [sessions[2] + timedelta(minutes=5)]
    assert reassessment(3, list(reversed(sessions)), reviewed)["due"] is False


def test_an_impossible_interval_is_refused_naming_it():
    with pytest.raises(ValueError, match="^reassess_after"):
        reassessment(0, weekly(3), [])


def test_the_chart_stops_saying_due_once_the_decision_is_recorded(doctor_client, patient):
    plan = plan_with_course(patient)  # three sessions, reassessed after the third
    chart = reverse("patients:detail", args=[patient.pk])
    assert "reassessment due (after session 3)" in doctor_client.get(chart).content.decode()
    doctor_client.post(reverse("outcomes:reassessment", args=[plan.pk]),
                       {"decision": "continue", "note": "some better; continue", "red_flags_rescreened": "on"})
    assert PlanReview.objects.filter(plan=plan).exists()
    html = doctor_client.get(chart).content.decode()
    assert "reassessment due" not in html and "reassessment after session 6" in html
    for _ in range(3):
        Session.objects.create(patient=patient, plan=plan, started_at=datetime.now(timezone.utc))
    assert "reassessment due (after session 6)" in doctor_client.get(chart).content.decode()
