"""The recall list reads only the plans that may be on it: a clinic's closed, reviewed
courses and its quiet active ones are left in the database, the list is the same as the
rules give over every plan, and an action on one row reads that row's plan alone."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from segmenta.conftest import make_patient
from segmenta.knowledge.base import load
from segmenta.patients import models as pm
from segmenta.scheduling import recall, views_reminders
from segmenta.treatment.models import PlanReview, Session, TreatmentPlan

from .test_recall_list import DAY, TODAY, moment, now, worked_course  # noqa: F401 (now: today fixed)


def course_ending(clinic, doctor, n, days_ago, status="completed", sessions=2, reviewed=False):
    """A course whose last session was ``days_ago`` days before today, decided on or not."""
    patient = make_patient(clinic, family=f"Ruhig{n}", given="Uwe")
    complaint = pm.Complaint.objects.create(patient=patient, description="Back pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", status=status,
                                        created_by=doctor)
    last = TODAY - days_ago * DAY
    for week in range(sessions):
        Session.objects.create(patient=patient, plan=plan, started_at=moment(last - 7 * week * DAY),
                               practitioner=doctor)
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=moment(last - 7 * sessions * DAY))
    if reviewed:
        review = PlanReview.objects.create(plan=plan, decision="continue", decided_by=doctor)
        PlanReview.objects.filter(pk=review.pk).update(decided_at=moment(last, 12))
    return plan


def quiet(clinic, doctor, start):
    """Courses on no list: closed and decided on between follow-up points or long ago, and
    active ones treated last week with a decision after their last session."""
    return [course_ending(clinic, doctor, start, 45, reviewed=True),
            course_ending(clinic, doctor, start + 1, 800, reviewed=True),
            course_ending(clinic, doctor, start + 2, 7, status="active", sessions=3, reviewed=True)]


@pytest.fixture
def plans_read(monkeypatch):
    """How many treatment plans the code under test loads from the database."""
    read = []
    from_db = TreatmentPlan.from_db.__func__

    def counting(cls, db, field_names, values):
        read.append(values)
        return from_db(cls, db, field_names, values)

    monkeypatch.setattr(TreatmentPlan, "from_db", classmethod(counting))
    return read


def test_the_page_reads_the_candidates_not_the_quiet_courses(doctor_client, clinic, doctor, plans_read):
    for n, kind in enumerate(recall.CATEGORIES):
        worked_course(clinic, doctor, n, kind)
    for start in range(10, 40, 3):
        quiet(clinic, doctor, start)
    plans_read.clear()
    page = doctor_client.get(reverse("reminders:recall")).content.decode()
    assert page.count('class="item recall-row"') == 4
    assert len(plans_read) == 4  # the 30 quiet courses stay in the database


def test_an_action_reads_its_rows_plan_alone(doctor_client, clinic, doctor, plans_read):
    rows = {kind: worked_course(clinic, doctor, n, kind) for n, kind in enumerate(recall.CATEGORIES)}
    _patient, plan = rows["ended_without_reassessment"]
    plans_read.clear()
    doctor_client.post(reverse("reminders:recall_handled"), {"key": f"ended:{plan.pk}"})
    assert len(plans_read) == 1


def rows_narrowed_and_over_every_plan(clinic, today, monkeypatch):
    """The recall rows of ``today`` as the page reads them (the candidates), then as reading
    every plan of the clinic gives them."""
    narrowed = [e["row"] for e in views_reminders.recall_rows(clinic, today)]
    with monkeypatch.context() as patch:
        everything = views_reminders.candidate_plans
        patch.setattr(views_reminders, "candidate_plans",
                      lambda clinic, today, rules, plan_ids=None: everything(clinic, today, rules, plan_ids)
                      .model.objects.filter(clinic=clinic))
        return narrowed, [e["row"] for e in views_reminders.recall_rows(clinic, today)]


def test_the_narrowed_list_is_the_list_the_rules_give_over_every_plan(clinic, doctor, monkeypatch):
    """Courses ending on every few days of the last 14 months, active and closed, decided on or
    not: reading the candidates gives exactly the rows that reading every plan gives."""
    n = 0
    for days_ago in range(0, 430, 4):
        for status, reviewed in (("completed", False), ("completed", True), ("active", False), ("active", True)):
            course_ending(clinic, doctor, n, days_ago, status=status, sessions=1 + n % 4, reviewed=reviewed)
            n += 1
    narrowed, over_every_plan = rows_narrowed_and_over_every_plan(clinic, TODAY, monkeypatch)
    assert narrowed == over_every_plan
    assert {row.category for row in narrowed} == set(recall.CATEGORIES)
    rules = {rule["id"]: rule for rule in load().all("recall-rule")}
    assert len({row.plan_id for row in narrowed}) <= views_reminders.candidate_plans(clinic, TODAY, rules).count() < n


@pytest.mark.parametrize("today", [datetime.date(2027, 2, 28), datetime.date(2028, 2, 29), datetime.date(2027, 3, 1),
                                   datetime.date(2028, 3, 1), datetime.date(2026, 11, 30), datetime.date(2026, 12, 31),
                                   datetime.date(2027, 5, 31), datetime.date(2027, 4, 30)])
def test_the_narrowed_follow_ups_are_the_rules_follow_ups_at_month_ends(clinic, doctor, monkeypatch, today):
    """Closed, decided courses ending on each day near the edges of every follow-up window
    of ``today``: the narrowed list has exactly the follow-ups that reading every plan gives,
    where months counted forward from an end and back from today differ by days."""
    monkeypatch.setattr(views_reminders.timezone, "now", lambda: moment(today, 10))
    rules = {rule["id"]: rule for rule in load().all("recall-rule")}
    window = rules["follow_up"]["window_days"]
    ends = set()
    for months in rules["follow_up"]["after_months"]:
        back = today - relativedelta(months=months)
        for edge in (back, back - window * DAY):
            ends.update(edge + k * DAY for k in range(-6, 7))
    for n, end in enumerate(sorted(ends)):
        course_ending(clinic, doctor, n, (TODAY - end).days, sessions=1, reviewed=True)
    narrowed, over_every_plan = rows_narrowed_and_over_every_plan(clinic, today, monkeypatch)
    assert narrowed == over_every_plan
    assert narrowed and {row.category for row in narrowed} == {recall.FOLLOW_UP}
    # The last course ending on the last day of the month three months back is on the list
    # (30 Nov 2026 for 28 Feb 2027: due that day).
    last_end = max(end for end in ends if end + relativedelta(months=3) <= today)
    assert any(row.months == 3 and row.due_on == last_end + relativedelta(months=3) for row in narrowed)
