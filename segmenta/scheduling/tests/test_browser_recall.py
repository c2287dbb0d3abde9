"""The recall list in a real browser, as the practice manager works through it: from the
calendar to the list, a recall message sent by the row's channel and button, a row marked as
handled, and then what was stored (the message, who marked the row) and what the list shows."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from segmenta.conftest import browser_login, make_patient
from segmenta.patients import models as pm
from segmenta.scheduling.models_reminders import Message, RecallHandled
from segmenta.treatment.models import Session, TreatmentPlan

pytestmark = pytest.mark.browser

DAY = datetime.timedelta(days=1)


def course(clinic, doctor, family, *, active, last, email=""):
    """A plan with three weekly sessions, the last on ``last`` (a local date), and no review."""
    patient = make_patient(clinic, family=family, given="Eva", email=email)
    complaint = pm.Complaint.objects.create(patient=patient, description="Back pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", created_by=doctor,
                                        reassess_after=3, status="active" if active else "completed")
    for weeks in (2, 1, 0):
        day = last - 7 * weeks * DAY
        Session.objects.create(patient=patient, plan=plan, practitioner=doctor,
                               started_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))))
    TreatmentPlan.objects.filter(pk=plan.pk).update(created_at=timezone.make_aware(
        datetime.datetime.combine(last - 30 * DAY, datetime.time(8))))
    return patient, plan


def test_a_recall_message_sent_and_a_row_marked_handled_from_the_list(page, settings, doctor, clinic):
    settings.SEGMENTA_REQUIRE_MFA = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEGMENTA_SMS_BACKEND = ""
    today = timezone.localdate()
    due, due_plan = course(clinic, doctor, "Fällig", active=True, last=today - DAY, email="eva@example.org")
    ended, ended_plan = course(clinic, doctor, "Beendet", active=False, last=today - 400 * DAY)
    browser_login(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="Recall").click()
    page.wait_for_url("**/recall/**")
    due_row = page.locator("#reassessment_due .recall-row", has_text=str(due))
    due_row.get_by_label("Channel").select_option(label="E-mail")
    due_row.get_by_role("button", name="Send a recall message").click()
    page.get_by_text(f"Message sent to {due}.").wait_for()

    message = Message.objects.get()
    key = f"reassessment:{due_plan.pk}:3"
    assert (message.patient, message.kind, message.category, message.channel, message.status) == (
        due, "recall", key, "email", "sent")
    assert (message.recipient, message.created_by, message.recall_day) == ("eva@example.org", doctor, today)
    assert [m.to for m in mail.outbox] == [["eva@example.org"]]
    assert "last message" in page.locator("#reassessment_due .recall-row", has_text=str(due)).inner_text()

    # A second click the same day sends nothing more, and says so.
    page.locator("#reassessment_due .recall-row", has_text=str(due)).get_by_role(
        "button", name="Send a recall message").click()
    page.get_by_text(f"Already sent to {due} today.").wait_for()
    assert Message.objects.count() == 1 and len(mail.outbox) == 1

    ended_row = page.locator("#ended_without_reassessment .recall-row", has_text=str(ended))
    ended_row.get_by_role("button", name="Mark as handled").click()
    page.get_by_text("Marked as handled.").wait_for()
    handled = RecallHandled.objects.get()
    assert (handled.patient, handled.plan, handled.category, handled.key, handled.handled_by) == (
        ended, ended_plan, "ended_without_reassessment", f"ended:{ended_plan.pk}", doctor)
    assert page.locator(".recall-row", has_text=str(ended)).count() == 0
    assert page.locator(".recall-row", has_text=str(due)).count() == 1
