"""What the reminders keep on record: a moved appointment gets a reminder of its new time (the
old one stays on record), a held reminder is audited once and not on every run, a recall
message is sent once however often its button is pressed, and a delivery error is kept
without the patient's address."""

import datetime
import smtplib

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from segmenta.audit.models import AuditEvent
from segmenta.patients import models as pm
from segmenta.scheduling import booking, reminders, views_reminders
from segmenta.scheduling.models_reminders import ContactPreference, Message

from .test_recall_list import LAPSE, TODAY, worked_course
from .test_reminders import NOW, VISIT, setup_mail, visit  # noqa: F401 (the reminders' fixtures, used here)


class RefusingSmtpBackend:
    """As an SMTP server refuses a recipient: the refusal quotes the address."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        to = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused({to: (550, f"5.1.1 <{to}>: Recipient address rejected; "
                                                       f"call +49 170 5550101".encode())})


def test_a_moved_appointment_gets_a_reminder_of_its_new_time_once(visit, doctor, monkeypatch):
    reminders.send_due()
    assert len(mail.outbox) == 1 and "09:00" in mail.outbox[0].body
    booking.move(visit, starts_at=VISIT + datetime.timedelta(minutes=30), user=doctor)
    reminders.send_due()
    reminders.send_due()
    assert len(mail.outbox) == 2 and "09:30" in mail.outbox[1].body
    sent = Message.objects.filter(appointment=visit, channel="email", status="sent").order_by("id")
    assert [m.for_start for m in sent] == [VISIT, VISIT + datetime.timedelta(minutes=30)]
    # And back to 09:00 an hour later: the patient's last message said 09:30, so 09:00 is
    # announced again, once.
    monkeypatch.setattr(timezone, "now", lambda: NOW + datetime.timedelta(hours=1))
    booking.move(visit, starts_at=VISIT, user=doctor)
    reminders.send_due()
    reminders.send_due()
    assert len(mail.outbox) == 3 and "09:00" in mail.outbox[2].body


def test_a_held_reminder_is_audited_once_not_on_every_run(visit, settings):
    settings.SEGMENTA_SMS_BACKEND = ""
    ContactPreference.objects.create(patient=visit.patient, email_reminders=False)
    for _run in range(3):
        reminders.send_due()
    held = AuditEvent.objects.filter(object_type="message", patient=visit.patient)
    # The e-mail opted out and the SMS without a service: one event each, however many runs.
    assert held.count() == 2
    assert sorted(e.detail["reason"] for e in held) == ["no_sms_backend", "opted_out"]
    # Another reason is news: recorded once more.
    pm.Patient.objects.filter(pk=visit.patient_id).update(phone="")
    ContactPreference.objects.filter(patient=visit.patient).update(email_reminders=True)
    pm.Patient.objects.filter(pk=visit.patient_id).update(email="")
    reminders.send_due()
    reminders.send_due()
    assert sorted(e.detail["reason"] for e in held.all()) == ["no_address", "no_sms_backend", "opted_out"]


def test_an_smtp_refusal_is_kept_without_the_address(visit, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingSmtpBackend"
    reminders.send_due()
    failed = Message.objects.get(appointment=visit, channel="email")
    assert failed.status == "failed" and failed.error_code == "SMTPRecipientsRefused 550"
    assert "erika@example.org" not in failed.reason and "5550101" not in failed.reason
    assert "Recipient address rejected" in failed.reason and "[address]" in failed.reason
    audited = AuditEvent.objects.get(object_type="message", patient=visit.patient, detail__status="failed")
    assert "erika@example.org" not in str(audited.detail) and "5550101" not in str(audited.detail)
    assert audited.detail["error"] == "SMTPRecipientsRefused 550"


def test_failure_keeps_an_smtp_status_readable():
    code, text = reminders.failure(smtplib.SMTPResponseException(554, b"5.7.1 Relay denied for x.y@example.com"))
    assert code == "SMTPResponseException 554"
    assert "5.7.1" in text and "x.y@example.com" not in text
    code, text = reminders.failure(ConnectionRefusedError("smtp.example: connection refused"))
    assert code == "ConnectionRefusedError" and text == "ConnectionRefusedError: smtp.example: connection refused"


def test_a_double_click_on_a_recall_message_sends_it_once(doctor_client, clinic, doctor):
    patient, plan = worked_course(clinic, doctor, 1, "lapsed")
    key = f"lapsed:{plan.pk}:{(TODAY - LAPSE - datetime.timedelta(days=1)).isoformat()}"
    for _click in range(2):
        assert doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"}).status_code == 302
    assert len(mail.outbox) == 1
    assert Message.objects.filter(category=key).count() == 1
    assert AuditEvent.objects.filter(object_type="message", patient=patient).count() == 1
    page = doctor_client.get(reverse("reminders:recall")).content.decode()
    assert "Already sent to" in page
    # The next day the row may be sent again.
    row = next(e["row"] for e in views_reminders.recall_rows(clinic, TODAY) if e["row"].key == key)
    _message, fresh = reminders.send_recall(patient, row, "email", doctor, today=TODAY + datetime.timedelta(days=1))
    assert fresh and len(mail.outbox) == 2


def test_a_failed_recall_message_may_be_sent_again_the_same_day(doctor_client, clinic, doctor, settings):
    patient, plan = worked_course(clinic, doctor, 1, "lapsed")
    key = f"lapsed:{plan.pk}:{(TODAY - LAPSE - datetime.timedelta(days=1)).isoformat()}"
    settings.EMAIL_BACKEND = f"{__name__}.RefusingSmtpBackend"
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert Message.objects.get(category=key).status == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    message = Message.objects.get(category=key)
    assert message.status == "sent" and message.attempts == 2 and message.error_code == ""
    assert len(mail.outbox) == 1


def test_a_held_or_abandoned_recall_message_may_be_sent_the_same_day(doctor_client, clinic, doctor):
    patient, plan = worked_course(clinic, doctor, 1, "lapsed")
    key = f"lapsed:{plan.pk}:{(TODAY - LAPSE - datetime.timedelta(days=1)).isoformat()}"
    email = patient.email
    pm.Patient.objects.filter(pk=patient.pk).update(email="")
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert Message.objects.get(category=key).status == "held" and not mail.outbox
    # The address added, the same day: sent now.
    pm.Patient.objects.filter(pk=patient.pk).update(email=email)
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert Message.objects.get(category=key).status == "sent" and len(mail.outbox) == 1
    # A row left "being sent" by a killed worker: kept while it may still be at work, taken
    # over once it is older than the stale limit.
    Message.objects.filter(category=key).update(status="sending", updated_at=timezone.now())
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert Message.objects.get(category=key).status == "sending" and len(mail.outbox) == 1
    Message.objects.filter(category=key).update(updated_at=timezone.now() - reminders.STALE)
    doctor_client.post(reverse("reminders:recall_send"), {"key": key, "channel": "email"})
    assert Message.objects.get(category=key).status == "sent" and len(mail.outbox) == 2
