"""The day page (/calendar/today/): whose appointments it shows on which day, never another
clinic's, each patient's safety strip with its warnings, the questionnaire due at the visit,
the unsigned sessions, the links waiting for an answer and the no-shows; audited like the
other patient lists, and its queries flat however full the day is."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import complete_chart, login_verified, make_patient, make_user
from segmenta.outcomes.models import AnswerLink, Response
from segmenta.patients import models as pm
from segmenta.scheduling import booking
from segmenta.scheduling.day import visit_questionnaires
from segmenta.scheduling.models import Appointment, Room
from segmenta.treatment.models import PlanReview, Session, TreatmentPlan

URL = reverse("scheduling:today")


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def appoint(patient, practitioner, day, hour, kind="treatment", **extra):
    kinds = booking.types_of(patient.clinic)
    starts = at(day, hour)
    return Appointment.objects.create(patient=patient, practitioner=practitioner, type=kinds.get(kind=kind),
                                      starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30), **extra)


def blocks(html, marker):
    """The page's section for one practitioner (from their heading to the next one)."""
    start = html.index(marker)
    following = html.find('class="card today-practitioner"', start)
    return html[start:following if following != -1 else len(html)]


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def colleague(clinic):
    return make_user("colleague", clinic, "practitioner", "physician")


def test_a_practitioner_sees_their_own_day_first_and_the_clinic_on_asking(doctor, colleague, clinic, today):
    mine = appoint(make_patient(clinic, family="Eigen"), doctor, today, 9)
    theirs = appoint(make_patient(clinic, family="Kollegin"), colleague, today, 10)
    appoint(make_patient(clinic, family="Morgen"), doctor, today + datetime.timedelta(days=1), 9)
    appoint(make_patient(clinic, family="Abgesagt"), doctor, today, 11, status=Appointment.Status.CANCELLED)
    client = login_verified(Client(), doctor)

    own = client.get(URL).content.decode()
    assert "Eigen, Erika" in own and "Kollegin" not in own
    assert "Morgen" not in own and "Abgesagt" not in own
    assert reverse("scheduling:appointment", args=[mine.pk]) in own

    whole = client.get(URL, {"all": "1"}).content.decode()
    assert whole.index("who-%d" % doctor.pk) < whole.index("who-%d" % colleague.pk)
    assert "Eigen" in blocks(whole, "who-%d" % doctor.pk)
    assert "Kollegin" in blocks(whole, "who-%d" % colleague.pk)
    assert "Kollegin" not in blocks(whole, "who-%d" % doctor.pk)
    assert reverse("scheduling:appointment", args=[theirs.pk]) in whole

    tomorrow = client.get(URL, {"date": (today + datetime.timedelta(days=1)).isoformat()}).content.decode()
    assert "Morgen, Erika" in tomorrow and "Eigen" not in tomorrow


@pytest.mark.parametrize("role", ["admin", "assistant"])
def test_the_front_desk_sees_every_practitioner_of_the_clinic(doctor, colleague, clinic, today, role):
    appoint(make_patient(clinic, family="Eigen"), doctor, today, 9)
    appoint(make_patient(clinic, family="Kollegin"), colleague, today, 10)
    desk = make_user("desk", clinic, role, "physician" if role == "admin" else "")
    html = login_verified(Client(), desk).get(URL).content.decode()
    assert "Eigen, Erika" in html and "Kollegin, Erika" in html


def test_another_clinics_appointments_never_show(doctor, clinic, other_clinic, outsider, today):
    appoint(make_patient(clinic, family="Eigen"), doctor, today, 9)
    stranger = make_patient(other_clinic, family="Fremd")
    appoint(stranger, outsider, today, 9)
    Session.objects.create(patient=stranger, practitioner=outsider, started_at=at(today, 8))
    AnswerLink.issue(stranger, "phq-9", outsider)
    client = login_verified(Client(), doctor)
    for query in ({}, {"all": "1"}):
        html = client.get(URL, query).content.decode()
        assert "Eigen, Erika" in html and "Fremd" not in html
    assert client.get(URL, {"clinic": other_clinic.pk}).status_code == 404
    assert "Eigen" not in login_verified(Client(), outsider).get(URL).content.decode()


def test_the_safety_strip_warns_of_a_blood_thinner(doctor, clinic, today):
    patient = complete_chart(make_patient(clinic, family="Blutung"), doctor)
    pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant")
    plain = complete_chart(make_patient(clinic, family="Ruhig"), doctor)
    pm.Allergy.objects.create(patient=plain, substance="Latex", allergy_class="other")
    appoint(patient, doctor, today, 9)
    appoint(plain, doctor, today, 10)
    html = login_verified(Client(), doctor).get(URL).content.decode()
    warned = html[html.index("Blutung, Erika"):html.index("Ruhig, Erika")]
    assert 'class="safety-strip"' in warned
    assert 'class="caution"' in warned and "Apixaban" in warned
    calm = html[html.index("Ruhig, Erika"):]
    assert "Apixaban" not in calm
    assert 'class="danger"' in calm and "Latex" in calm


def test_unsigned_sessions_of_earlier_days_and_of_today_are_listed(doctor, colleague, clinic, today):
    patient = make_patient(clinic, family="Entwurf")
    old = Session.objects.create(patient=patient, practitioner=doctor, started_at=at(today - datetime.timedelta(days=3), 9))
    new = Session.objects.create(patient=patient, practitioner=doctor, started_at=at(today, 0, 5))
    signed = Session.objects.create(patient=patient, practitioner=doctor, started_at=at(today, 0, 1),
                                    status=Session.Status.SIGNED)
    other = Session.objects.create(patient=make_patient(clinic, family="Kollegial"), practitioner=colleague,
                                   started_at=at(today, 0, 2))
    html = login_verified(Client(), doctor).get(URL).content.decode()
    earlier = html[html.index("From earlier days"):html.index('id="due-title"')]
    session_url = lambda s: reverse("treatment:session", args=[s.pk])  # noqa: E731
    assert session_url(old) in earlier.split("<h3>Today</h3>")[0]
    assert session_url(new) in earlier.split("<h3>Today</h3>")[1]
    assert session_url(signed) not in html
    assert session_url(other) not in html  # the colleague's, on the practitioner's own day
    whole = login_verified(Client(), doctor).get(URL, {"all": "1"}).content.decode()
    assert session_url(other) in whole


def test_a_reassessment_due_at_the_visit_and_links_waiting(doctor, clinic, today):
    patient = make_patient(clinic, family="Verlauf")
    complaint = pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", reassess_after=3,
                                        created_by=doctor)
    for days in (21, 14, 7):
        Session.objects.create(patient=patient, plan=plan, practitioner=doctor,
                               started_at=at(today - datetime.timedelta(days=days), 9), status=Session.Status.SIGNED)
    Response.objects.create(patient=patient, instrument="phq-9", answered_at=at(today - datetime.timedelta(days=21), 9),
                            resource={}, total=7)
    appoint(patient, doctor, today, 9, plan=plan)
    waiting = make_patient(clinic, family="Wartend")
    AnswerLink.issue(waiting, "gad-7", doctor)
    used, _raw = AnswerLink.issue(waiting, "nrs-11", doctor)
    used.used_at = timezone.now()
    used.save()
    html = login_verified(Client(), doctor).get(URL).content.decode()
    assert "Reassessment due (after session 3)" in html and "repeat PHQ-9" in html
    side = html[html.index('id="due-title"'):html.index('id="noshow-title"')]
    assert "Verlauf, Erika" in side and "Wartend, Erika" in side
    assert "GAD-7" in side and "NRS" not in side

    # A decision recorded at the reassessment: nothing due any more.
    PlanReview.objects.create(plan=plan, decision="continue", note="better", decided_by=doctor)
    assert "Reassessment due" not in login_verified(Client(), doctor).get(URL).content.decode()


def test_no_shows_of_the_day(doctor, clinic, today):
    missed = appoint(make_patient(clinic, family="Fehlt"), doctor, today, 8, status=Appointment.Status.NO_SHOW)
    appoint(make_patient(clinic, family="Da"), doctor, today, 9)
    html = login_verified(Client(), doctor).get(URL).content.decode()
    side = html[html.index('id="noshow-title"'):]
    assert "Fehlt, Erika" in side and "Da, Erika" not in side
    assert reverse("scheduling:appointment", args=[missed.pk]) in side


def test_the_day_is_audited_naming_its_patients(doctor, clinic, today):
    first, second = make_patient(clinic, family="Eins"), make_patient(clinic, family="Zwei")
    shown = [appoint(first, doctor, today, 9), appoint(second, doctor, today, 10)]
    login_verified(Client(), doctor).get(URL)
    event = AuditEvent.objects.filter(object_type="patient_list", detail__page="today").get()
    assert event.user == doctor and event.clinic == clinic
    assert sorted(event.detail["patients"]) == sorted([first.pk, second.pk])
    assert event.detail["appointments"] == [a.pk for a in shown]


def _fill(clinic, doctor, day, count, room):
    for n in range(count):
        patient = complete_chart(make_patient(clinic, family=f"Patient{n}"), doctor)
        pm.Medication.objects.create(patient=patient, name="Apixaban", medication_class="anticoagulant")
        complaint = pm.Complaint.objects.create(patient=patient, description="Pain", status="active",
                                                recorded_by=doctor)
        plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less", created_by=doctor)
        Session.objects.create(patient=patient, plan=plan, practitioner=doctor, started_at=at(day, 7, n))
        AnswerLink.issue(patient, "phq-9", doctor)
        appoint(patient, doctor, day, 8 + n % 10, plan=plan, room=room)


def test_queries_stay_flat_however_full_the_day(doctor, clinic, today):
    room = Room.objects.create(clinic=clinic, name="Room 1")
    client = login_verified(Client(), doctor)

    def queries():
        client.get(URL)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx)

    _fill(clinic, doctor, today, 1, room)
    few = queries()
    _fill(clinic, doctor, today, 6, room)
    assert queries() == few


def test_what_a_visit_asks_for():
    day = datetime.datetime(2026, 11, 1, 9)
    three = [day + datetime.timedelta(days=7 * n) for n in range(3)]
    plan = {"reassess_after": 3, "active": True, "sessions": three, "reviews": []}
    assert visit_questionnaires(kind="treatment", plan={**plan, "sessions": three[:2]}) is None
    due = visit_questionnaires(kind="treatment", plan=plan, answered={"phq-9", "gad-7"}, open_links={"gad-7"})
    assert due == {"reassessment": True, "at_session": 3, "repeat": ["phq-9"], "open": ["gad-7"]}
    decided = {**plan, "reviews": [three[-1] + datetime.timedelta(hours=1)]}
    assert visit_questionnaires(kind="treatment", plan=decided) is None
    assert visit_questionnaires(kind="treatment", plan={**plan, "active": False}) is None
    booked = visit_questionnaires(kind="reassessment", answered={"nrs-11"})
    assert booked == {"reassessment": True, "at_session": None, "repeat": ["nrs-11"], "open": []}
    assert visit_questionnaires(kind="first_visit", open_links=["psfs"]) == {
        "reassessment": False, "at_session": None, "repeat": [], "open": ["psfs"]}
