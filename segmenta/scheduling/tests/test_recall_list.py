"""The recall list: each category with worked courses and its boundaries (the rules, with the
knowledge base's numbers), then the page: its rows, booking, a recall message (opt-outs
respected, a follow-up's questionnaire link), marking handled, the audit trail, and a query
count that stays flat however many courses the clinic has."""

import datetime
import re

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.knowledge.base import load
from segmenta.outcomes.models import AnswerLink, Response
from segmenta.patients import models as pm
from segmenta.scheduling import recall
from segmenta.scheduling.models import Appointment, AppointmentType
from segmenta.scheduling.models_reminders import ContactPreference, Message, RecallHandled
from segmenta.treatment.models import PlanReview, Session, TreatmentPlan

TODAY = datetime.date(2026, 12, 1)
RULES = {rule["id"]: rule for rule in load().all("recall-rule")}
WINDOW = datetime.timedelta(days=RULES["follow_up"]["window_days"])
LAPSE = datetime.timedelta(days=RULES["lapsed"]["after_days"])
DAY = datetime.timedelta(days=1)


def course(sessions, active=True, reviews=(), answered=(), booked_ahead=False, created_on=None, reassess_after=3):
    return recall.Course(plan_id=1, patient_id=7, active=active, reassess_after=reassess_after,
                         created_on=created_on or (min(sessions) if sessions else TODAY - 10 * DAY),
                         sessions=list(sessions), reviews=list(reviews), answered=list(answered),
                         booked_ahead=booked_ahead)


def found(*courses, today=TODAY):
    return [(row.category, row.key, row.due_on) for row in recall.rows(courses, today, RULES)]


def weekly(last, count):
    return [last - 7 * n * DAY for n in reversed(range(count))]


# --- The rules -------------------------------------------------------------------------------

def test_the_follow_up_points_and_periods_come_from_the_knowledge_base_with_a_source():
    assert RULES["follow_up"]["after_months"] == [3, 6, 12]
    assert RULES["follow_up"]["sources"] and RULES["lapsed"]["sources"]
    assert RULES["lapsed"]["i18n"]["de"]["note"] and RULES["follow_up"]["i18n"]["es"]["note"]


def test_a_reassessment_falls_due_at_its_session_until_a_decision():
    three = weekly(TODAY - DAY, 3)
    assert found(course(three, booked_ahead=True)) == [("reassessment_due", "reassessment:1:3", three[-1])]
    assert found(course(three[:2], booked_ahead=True)) == []
    assert found(course(three, reviews=[three[-1]], booked_ahead=True)) == []
    assert found(course(three, reviews=[three[1]], booked_ahead=True)) != []  # a decision before it does not count
    assert found(course(weekly(TODAY - DAY, 4), reassess_after=4, booked_ahead=True))[0][1] == "reassessment:1:4"


def test_a_course_ended_without_a_reassessment():
    sessions = weekly(TODAY - 400 * DAY, 6)
    assert found(course(sessions, active=False)) == [("ended_without_reassessment", "ended:1", sessions[-1])]
    assert found(course(sessions, active=False, reviews=[sessions[2]])) == []
    assert found(course([], active=False)) == []  # closed before it began: no course


@pytest.mark.parametrize("months", RULES["follow_up"]["after_months"])
def test_a_follow_up_is_due_from_its_date_through_its_window_unless_answered(months):
    end = TODAY - 2 * DAY
    sessions = weekly(end, 6)
    point = end + relativedelta(months=months)
    ended = course(sessions, active=False, reviews=[sessions[2]])
    key = f"follow_up:1:{months}"
    assert found(ended, today=point - DAY) == []
    assert found(ended, today=point) == [("follow_up", key, point)]
    assert found(ended, today=point + WINDOW) == [("follow_up", key, point)]
    assert found(ended, today=point + WINDOW + DAY) == []
    answered_early = course(sessions, active=False, reviews=[sessions[2]], answered=[point - WINDOW])
    assert found(answered_early, today=point) == []
    too_early = course(sessions, active=False, reviews=[sessions[2]], answered=[point - WINDOW - DAY])
    assert found(too_early, today=point) == [("follow_up", key, point)]


def test_a_course_lapses_after_the_period_without_a_session_or_a_booking():
    last = TODAY - LAPSE
    assert found(course(weekly(last, 2))) == []
    lapsed = found(course(weekly(last - DAY, 2)))
    assert lapsed == [("lapsed", f"lapsed:1:{(last - DAY).isoformat()}", TODAY)]
    assert found(course(weekly(last - DAY, 2), booked_ahead=True)) == []
    # A plan without any session lapses from the day it was made.
    assert found(course([], created_on=last - DAY)) == [("lapsed", f"lapsed:1:{(last - DAY).isoformat()}", TODAY)]
    assert found(course([], created_on=last)) == []


# --- The page --------------------------------------------------------------------------------

def moment(day, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture(autouse=True)
def now(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEGMENTA_SMS_BACKEND = ""
    monkeypatch.setattr(timezone, "now", lambda: moment(TODAY, 10))


def worked_course(clinic, doctor, n, kind):
    """A patient whose course puts them on the list as ``kind``."""
    patient = make_patient(clinic, family=f"Kurs{n}", given="Eva", email=f"eva{n}@example.org", language="de")
    complaint = pm.Complaint.objects.create(patient=patient, description="Back pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", created_by=doctor,
                                        status="active" if kind in ("reassessment_due", "lapsed") else "completed")
    last = {"reassessment_due": TODAY - DAY, "lapsed": TODAY - LAPSE - DAY,
            "ended_without_reassessment": TODAY - 400 * DAY,
            "follow_up": TODAY - relativedelta(months=3)}[kind]
    days = weekly(last, 3 if kind == "reassessment_due" else 2)
    for day in days:
        Session.objects.create(patient=patient, plan=plan, started_at=moment(day), practitioner=doctor)
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=moment(days[0] - DAY))
    if kind == "follow_up":
        review = PlanReview.objects.create(plan=plan, decision="stop", decided_by=doctor)
        PlanReview.objects.filter(pk=review.pk).update(decided_at=moment(days[-1]))
    if kind == "reassessment_due":
        kind_type = AppointmentType.objects.get_or_create(clinic=clinic, name="Treatment")[0]
        Appointment.objects.create(patient=patient, practitioner=doctor, type=kind_type, starts_at=moment(TODAY + DAY),
                                   ends_at=moment(TODAY + DAY, 10))
    return patient, plan


@pytest.fixture
def worked(clinic, doctor):
    return {kind: worked_course(clinic, doctor, n, kind) for n, kind in enumerate(recall.CATEGORIES)}


def test_the_page_lists_each_category_with_its_actions(doctor_client, worked):
    page = doctor_client.get(reverse("reminders:recall")).content.decode()
    for kind, (patient, plan) in worked.items():
        assert str(patient) in page
        assert f"{reverse('scheduling:book')}?patient={patient.pk}" in page
    for label in ("Reassessment due", "Course ended without a reassessment", "Follow-up due", "Lapsed course"):
        assert label in page
    listed = AuditEvent.objects.filter(object_type="patient_list").latest("id")
    assert sorted(listed.detail["patients"]) == sorted(p.pk for p, _plan in worked.values())
    assert listed.detail["list"] == "recall"


def test_an_answered_follow_up_a_handled_row_and_a_restricted_chart_leave_the_list(doctor_client, worked, doctor):
    patient, plan = worked["follow_up"]
    Response.objects.create(patient=patient, instrument="nrs-11", answered_at=timezone.now(), resource={}, total=3)
    restricted, _plan = worked["lapsed"]
    pm.Patient.objects.filter(pk=restricted.pk).update(restricted_at=timezone.now())
    ended, ended_plan = worked["ended_without_reassessment"]
    doctor_client.post(reverse("reminders:recall_handled"), {"key": f"ended:{ended_plan.pk}"})
    assert RecallHandled.objects.get().handled_by == doctor
    page = doctor_client.get(reverse("reminders:recall")).content.decode()
    assert str(patient) not in page and str(restricted) not in page and str(ended) not in page
    assert str(worked["reassessment_due"][0]) in page


def test_a_follow_up_message_goes_out_in_the_patients_language_with_its_questionnaire(doctor_client, worked, client):
    patient, plan = worked["follow_up"]
    key = f"follow_up:{plan.pk}:3"
    response = doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [patient.email]
    token = re.search(r"http://testserver/q/([^/\s]+)/", mail.outbox[0].body).group(1)
    link = AnswerLink.find(token)
    assert link.patient == patient and link.instrument == "nrs-11" and link.complaint == plan.complaint
    assert client.get(f"/q/{token}/").status_code == 200
    message = Message.objects.get(category=key)
    assert message.status == "sent" and message.kind == "recall" and message.language == "de"
    page = doctor_client.get(reverse("reminders:recall")).content.decode()
    assert "last message" in page  # shown on its row


def test_a_recall_message_respects_the_opt_out_and_a_missing_number(doctor_client, worked):
    patient, plan = worked["lapsed"]
    ContactPreference.objects.create(patient=patient, recall_messages=False)
    key = f"lapsed:{plan.pk}:{(TODAY - LAPSE - DAY).isoformat()}"
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert mail.outbox == [] and Message.objects.get(category=key).reason == "opted_out"
    other, other_plan = worked["reassessment_due"]
    doctor_client.post(reverse("reminders:recall_send"),
                       {"key": f"reassessment:{other_plan.pk}:3", "channel": "sms"})
    assert Message.objects.get(category=f"reassessment:{other_plan.pk}:3").status == "held"
    assert not AnswerLink.objects.exists()


def test_a_row_of_another_clinic_or_gone_cannot_be_acted_on(doctor_client, other_clinic, worked):
    response = doctor_client.post(reverse("reminders:recall_send"), {"key": "ended:999999", "channel": "email"})
    assert response.status_code == 302 and not Message.objects.exists()
    doctor_client.post(reverse("reminders:recall_handled"), {"key": "ended:999999"})
    assert not RecallHandled.objects.exists()


def test_the_query_count_stays_flat_however_many_courses(doctor_client, clinic, doctor):
    for n, kind in enumerate(recall.CATEGORIES):
        worked_course(clinic, doctor, n, kind)
    with CaptureQueriesContext(connection) as few:
        assert doctor_client.get(reverse("reminders:recall")).status_code == 200
    for n in range(4, 16):
        worked_course(clinic, doctor, n, recall.CATEGORIES[n % 4])
    with CaptureQueriesContext(connection) as many:
        page = doctor_client.get(reverse("reminders:recall")).content.decode()
    assert page.count('class="item recall-row"') == 16
    assert len(many) == len(few)
