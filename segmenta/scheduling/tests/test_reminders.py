"""Appointment reminders: sent once per appointment and channel by `segmenta reminders send`,
in the patient's language, with the questionnaire link due for the visit (a working one),
never on a channel the patient refused nor without an address; failures recorded and tried
again; the SMS backends."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.conftest import make_patient
from segmenta.outcomes.models import AnswerLink
from segmenta.patients import models as pm
from segmenta.knowledge.base import load
from segmenta.scheduling import day, reminders, sms
from segmenta.scheduling.models import Appointment, AppointmentType, Room
from segmenta.scheduling.models_reminders import ContactPreference, Message
from segmenta.treatment.models import Session, TreatmentPlan

NOW = timezone.make_aware(datetime.datetime(2026, 12, 1, 10, 0))  # a Tuesday
VISIT = NOW + datetime.timedelta(hours=23)  # Wednesday 9:00


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp.example: connection refused")


@pytest.fixture(autouse=True)
def setup_mail(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEGMENTA_SMS_BACKEND = "locmem"
    settings.SEGMENTA_SITE_URL = "https://praxis.example"
    sms.outbox.clear()
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def visit(clinic, doctor):
    clinic.phone, clinic.address = "+49 30 1234567", "Lindenweg 5, 10115 Berlin"
    clinic.save()
    patient = make_patient(clinic, email="erika@example.org", phone="+49 170 5550101", language="de")
    kind = AppointmentType.objects.create(clinic=clinic, name="Treatment", kind="treatment")
    room = Room.objects.create(clinic=clinic, name="Room 2")
    return Appointment.objects.create(patient=patient, practitioner=doctor, type=kind, room=room, starts_at=VISIT,
                                      ends_at=VISIT + datetime.timedelta(minutes=30), created_by=doctor)


def token_in(text):
    return re.search(r"https://praxis\.example/q/([^/\s]+)/", text).group(1)


def test_a_reminder_goes_out_once_in_the_patients_language_with_a_working_link(visit, client):
    first = reminders.send_due()
    again = reminders.send_due()
    assert first == {"sent": 2, "failed": 0, "held": 0}
    assert again == {"sent": 0, "failed": 0, "held": 0}
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["erika@example.org"]
    # German: the weekday and the date as a German reader writes them, the clinic's name, phone and place.
    assert "Mittwoch" in email.body and "2. Dezember 2026" in email.body and "09:00" in email.body
    assert "+49 30 1234567" in email.body and "Lindenweg 5" in email.body and "Room 2" in email.body
    assert "Mittwoch" in sms.outbox[0][1] and sms.outbox[0][0] == "+49 170 5550101"
    # Nothing clinical: not the type of visit nor any complaint.
    assert "Treatment" not in email.body
    token = token_in(email.body)
    link = AnswerLink.find(token)
    assert link is not None and link.patient_id == visit.patient_id and link.instrument == "nrs-11"
    assert link.expires_at > visit.starts_at
    assert client.get(f"/q/{token}/").status_code == 200
    sent = Message.objects.filter(appointment=visit, status="sent")
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(m.sent_at == NOW and m.language == "de" and m.link_id for m in sent)
    assert AuditEvent.objects.filter(object_type="message", patient=visit.patient).count() == 2


def test_the_reminder_follows_each_patients_own_language(visit, clinic, doctor):
    spanish = make_patient(clinic, family="García", given="Ana", email="ana@example.org", language="es")
    Appointment.objects.create(patient=spanish, practitioner=doctor, type=visit.type, starts_at=VISIT,
                               ends_at=VISIT + datetime.timedelta(minutes=30))
    reminders.send_due()
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "miércoles" in bodies["ana@example.org"] and "2 de diciembre de 2026" in bodies["ana@example.org"]
    assert "Mittwoch" in bodies["erika@example.org"]


def test_a_channel_the_patient_refused_gets_nothing(visit):
    ContactPreference.objects.create(patient=visit.patient, email_reminders=False)
    counts = reminders.send_due()
    assert mail.outbox == [] and len(sms.outbox) == 1
    assert counts == {"sent": 1, "failed": 0, "held": 1}
    held = Message.objects.get(appointment=visit, channel="email")
    assert held.status == "held" and held.reason == "opted_out" and held.recipient == ""
    # Refusing SMS too: the next run sends nothing more.
    ContactPreference.objects.filter(patient=visit.patient).update(sms_reminders=False)
    reminders.send_due()
    assert len(mail.outbox) == 0 and len(sms.outbox) == 1


def test_no_address_no_message_and_an_address_added_later_is_used(visit):
    pm.Patient.objects.filter(pk=visit.patient_id).update(email="", phone="")
    assert reminders.send_due() == {"sent": 0, "failed": 0, "held": 2}
    assert set(Message.objects.values_list("reason", flat=True)) == {"no_address"}
    assert not AnswerLink.objects.exists()  # no link made for a message that does not go out
    pm.Patient.objects.filter(pk=visit.patient_id).update(email="erika@example.org")
    assert reminders.send_due()["sent"] == 1
    assert len(mail.outbox) == 1


def test_recall_opt_out_leaves_appointment_reminders_alone(visit):
    ContactPreference.objects.create(patient=visit.patient, recall_messages=False)
    assert reminders.send_due()["sent"] == 2


def test_only_appointments_within_the_reminder_period_and_booked(visit, settings, doctor):
    later = Appointment.objects.create(patient=visit.patient, practitioner=doctor, type=visit.type,
                                       starts_at=NOW + datetime.timedelta(hours=25),
                                       ends_at=NOW + datetime.timedelta(hours=26))
    Appointment.objects.filter(pk=visit.pk).update(status="cancelled")
    assert reminders.send_due()["sent"] == 0
    settings.SEGMENTA_REMINDER_HOURS = 26
    assert reminders.send_due()["sent"] == 2
    assert set(Message.objects.values_list("appointment_id", flat=True)) == {later.pk}


def of_a_course(visit, doctor, held):
    """The visit as one of a course reassessed after session 3, with ``held`` sessions held
    before it and no reassessment decision yet; its complaint."""
    complaint = pm.Complaint.objects.create(patient=visit.patient, description="Neck pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=visit.patient, complaint=complaint, goals="less pain",
                                        reassess_after=3, created_by=doctor)
    for week in range(held, 0, -1):
        Session.objects.create(patient=visit.patient, plan=plan, practitioner=doctor,
                               started_at=VISIT - datetime.timedelta(days=7 * week))
    Appointment.objects.filter(pk=visit.pk).update(plan=plan, series_number=held + 1)
    return complaint


def test_the_reassessment_visit_asks_for_the_reassessment_questionnaire(visit, doctor):
    complaint = of_a_course(visit, doctor, 3)  # the visit after session 3: the reassessment
    reminders.send_due()
    link = AnswerLink.find(token_in(mail.outbox[0].body))
    assert link.instrument == "pgic" and link.complaint_id == complaint.pk
    assert "Neck pain" not in mail.outbox[0].body


@pytest.mark.parametrize("held", [1, 2])
def test_an_ordinary_visit_of_a_course_asks_for_the_pain_rating_of_its_complaint(visit, doctor, held):
    complaint = of_a_course(visit, doctor, held)
    reminders.send_due()
    link = AnswerLink.find(token_in(mail.outbox[0].body))
    assert link.instrument == "nrs-11" and link.complaint_id == complaint.pk


@pytest.mark.parametrize("held", [0, 2, 3, 4])
def test_the_reminder_and_the_days_page_agree_on_the_reassessment(visit, doctor, held):
    of_a_course(visit, doctor, held)
    appointment = Appointment.objects.select_related("plan", "type", "patient__clinic").get(pk=visit.pk)
    on_the_page = day.visit_questionnaires(kind=appointment.type.kind, plan=appointment.course_before())
    asked = reminders.instruments_at(appointment.patient.clinic)
    assert (reminders.instrument_for(appointment) == asked["reassessment"]) == bool(
        on_the_page and on_the_page["reassessment"])
    assert (held >= 3) == bool(on_the_page and on_the_page["reassessment"])  # due until a decision


def test_a_follow_up_appointment_asks_for_the_follow_up_questionnaire():
    # Three different instruments, so each visit kind's answer can be told apart (the
    # knowledge base's follow-up and ordinary visit happen to ask the same one).
    asked = {"reassessment": "pgic", "visit": "nrs-11", "follow_up": "odi"}
    plan = {"reassess_after": 3, "active": True, "sessions": [], "reviews": []}
    assert day.questionnaire_for("follow_up", None, asked) == "odi"
    assert day.questionnaire_for("follow_up", plan, asked) == "odi"
    assert day.questionnaire_for("treatment", plan, asked) == "nrs-11"
    assert day.questionnaire_for("reassessment", None, asked) == "pgic"


def test_a_follow_up_visits_reminder_links_to_the_follow_up_questionnaire(visit):
    visit.type.kind = AppointmentType.Kind.FOLLOW_UP
    visit.type.save()
    appointment = Appointment.objects.select_related("plan", "type", "patient__clinic").get(pk=visit.pk)
    asked = {**reminders.instruments_at(appointment.patient.clinic), "follow_up": "odi"}
    assert reminders.instrument_for(appointment, asked) == "odi"


def test_which_questionnaire_each_visit_asks_for_is_knowledge_base_data_with_sources():
    kb = load()
    instruments = kb.all("instrument-threshold")
    assert day.asked_at(instruments) == {"reassessment": "pgic", "visit": "nrs-11", "follow_up": "nrs-11"}
    for entry in instruments:
        if entry.get("asked_at"):
            assert entry["asked_at"]["sources"] and all(kb.source(s) for s in entry["asked_at"]["sources"])
    with pytest.raises(ValueError, match="follow_up"):
        day.asked_at([{"id": "pgic", "asked_at": {"visits": ["reassessment", "visit"]}}])
    with pytest.raises(ValueError, match="both"):
        day.asked_at([{"id": "a", "asked_at": {"visits": ["visit"]}}, {"id": "b", "asked_at": {"visits": ["visit"]}}])


def test_a_failure_is_recorded_and_tried_again_up_to_three_times(visit, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenEmailBackend"
    settings.SEGMENTA_SMS_BACKEND = ""
    for attempt in range(1, 5):
        reminders.send_due()
        failed = Message.objects.get(appointment=visit, channel="email")
        assert failed.status == "failed" and failed.attempts == min(attempt, reminders.MAX_ATTEMPTS)
        assert "connection refused" in failed.reason
    assert Message.objects.get(appointment=visit, channel="sms").reason == "no_sms_backend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    reminders.send_due()
    assert mail.outbox == []  # given up after three attempts


def test_a_message_being_sent_by_another_run_is_left_to_it(visit):
    Message.objects.create(patient=visit.patient, appointment=visit, kind="reminder", channel="email",
                           for_start=visit.starts_at, status="sending")
    assert reminders.send_due()["sent"] == 1  # the SMS only
    assert mail.outbox == []


def test_a_restricted_chart_gets_no_reminder(visit):
    pm.Patient.objects.filter(pk=visit.patient_id).update(restricted_at=NOW)
    assert reminders.send_due() == {"sent": 0, "failed": 0, "held": 0}


def test_the_command_sends_and_reports(visit):
    out = io.StringIO()
    call_command("reminders", "send", stdout=out)
    assert out.getvalue().strip() == "reminders: 2 sent, 0 failed, 0 not sent (opted out or no address)"
    call_command("reminders", "send", stdout=out)
    assert len(mail.outbox) == 1


def test_the_command_refuses_bad_input(visit, settings):
    with pytest.raises(CommandError) as refused:
        call_command("reminders", "send", "--hours", "0")
    assert refused.value.returncode == 2 and "--hours" in str(refused.value)
    settings.SEGMENTA_SITE_URL = ""
    with pytest.raises(CommandError) as refused:
        call_command("reminders", "send")
    assert refused.value.returncode == 2 and "SEGMENTA_SITE_URL" in str(refused.value)
    assert mail.outbox == []


def test_sms_backends(settings, capsys):
    settings.SEGMENTA_SMS_BACKEND = ""
    assert sms.backend() is None
    settings.SEGMENTA_SMS_BACKEND = "console"
    sms.backend().send("+49 170 1", "Hallo")
    assert "SMS to +49 170 1:\nHallo" in capsys.readouterr().out
    settings.SEGMENTA_SMS_BACKEND = "segmenta.scheduling.sms.LocmemBackend"
    sms.backend().send("+49 170 2", "Termin")
    assert sms.outbox == [("+49 170 2", "Termin")]
    with pytest.raises(NotImplementedError):
        sms.SmsBackend().send("+49 170 3", "x")


def test_the_appointment_page_shows_what_was_sent(visit, doctor_client):
    ContactPreference.objects.create(patient=visit.patient, sms_reminders=False)
    reminders.send_due()
    html = doctor_client.get(f"/calendar/appointments/{visit.pk}/").content.decode()
    assert 'id="reminders"' in html
    assert "erika@example.org" in html and "opted out of this channel" in html
