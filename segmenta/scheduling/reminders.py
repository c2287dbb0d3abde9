"""Reminders and recall messages to patients: who may be reached on which channel, the text
(in the patient's language, with nothing clinical beyond what the patient needs), the
questionnaire link due for the visit, and the record of every attempt.

`segmenta reminders send` calls ``send_due``; the recall list's "send" calls ``send_recall``.
"""

import datetime
import math
import re

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta.audit.trail import record
from segmenta.outcomes.models import AnswerLink

from segmenta.knowledge.service import for_clinic

from . import day, sms
from .models import Appointment
from .models_reminders import Channel, ContactPreference, Message

# A failed reminder is tried again on the next runs, this many times in all.
MAX_ATTEMPTS = 3
# A message left "being sent" this long ago belongs to a run that died: it may be taken over.
STALE = datetime.timedelta(minutes=15)
# The patient answers before the visit; the link stays usable half a day past its start.
LINK_GRACE_HOURS = 12


# Why a message was held back, as pages say it (the row keeps the code).
HELD_REASONS = {
    "restricted": gettext_lazy("the patient's processing is restricted"),
    "opted_out": gettext_lazy("the patient opted out of this channel"),
    "no_sms_backend": gettext_lazy("no SMS service is set up"),
    "no_address": gettext_lazy("no address or number on the chart"),
}


def reason_label(message):
    """A message's reason as the page's reader reads it: a held one's in words, a failure's
    error as the provider gave it."""
    return HELD_REASONS.get(message.reason, message.reason)


def preference(patient):
    """The patient's choices (unsaved defaults when they never made any)."""
    prefetched = getattr(patient, "_prefetched_objects_cache", {}).get("contact_preferences")
    if prefetched is not None:  # read with the patient (prefetch_related)
        found = next(iter(prefetched), None)
    else:  # by the patient, which names the clinic too (segmenta/accounts/scoping.py)
        found = ContactPreference.objects.filter(patient=patient).first()
    return found or ContactPreference(patient=patient)


def address_for(patient, channel):
    return (patient.email if channel == Channel.EMAIL else patient.phone).strip()


def held_reason(patient, channel, kind, prefs=None):
    """Why nothing may go to ``patient`` on ``channel`` for a message of ``kind`` (a code of
    ``HELD_REASONS``), or ''."""
    prefs = prefs or preference(patient)
    if patient.restricted_at:
        return "restricted"
    if kind == Message.Kind.RECALL and not prefs.recall_messages:
        return "opted_out"
    if kind == Message.Kind.REMINDER:
        if channel == Channel.EMAIL and not prefs.email_reminders:
            return "opted_out"
        if channel == Channel.SMS and not prefs.sms_reminders:
            return "opted_out"
    if channel == Channel.SMS and sms.backend() is None:
        return "no_sms_backend"
    if not address_for(patient, channel):
        return "no_address"
    return ""


def instruments_at(clinic):
    """{visit kind: instrument id}: which questionnaire a reassessment, an ordinary visit and a
    follow-up ask for, as the clinic's knowledge base names them (instruments.yaml, asked_at)."""
    return day.asked_at(for_clinic(clinic).all("instrument-threshold"))


def instrument_for(appointment, asked=None):
    """The questionnaire due for this visit, by the rule the day's page shows
    (``day.is_reassessment``): the reassessment's when the visit is the course's
    reassessment, else the ordinary visit's."""
    asked = asked or instruments_at(appointment.patient.clinic)
    return day.questionnaire_for(appointment.type.kind, appointment.course_before(), asked)


def issue_link(patient, instrument, hours, complaint=None, user=None, request=None):
    """A questionnaire link made as outcomes makes every link (AnswerLink.issue), audited as
    its own page audits it; returns (link, absolute url)."""
    link, raw = AnswerLink.issue(patient, instrument, user, hours=hours, complaint=complaint)
    record("create", request=request, user=user, patient=patient, obj=link,
           detail={"instrument": link.instrument, "expires": link.expires_at.isoformat(), "via": "message"})
    path = reverse("outcomes:answer", args=[raw])
    url = request.build_absolute_uri(path) if request else settings.SEGMENTA_SITE_URL.rstrip("/") + path
    return link, url


def _when(moment):
    local = timezone.localtime(moment)
    return {"weekday": formats.date_format(local, "l"), "date": formats.date_format(local, "DATE_FORMAT"),
            "time": formats.date_format(local, "TIME_FORMAT")}


def reminder_text(appointment, channel, url):
    """(subject, body) of a reminder in the active language: the patient's, by the caller."""
    clinic = appointment.patient.clinic
    context = {"clinic": clinic, "appointment": appointment, "url": url, **_when(appointment.starts_at)}
    subject = _("Your appointment at %(clinic)s on %(date)s") % {"clinic": clinic.name, "date": context["date"]}
    template = "scheduling/messages/reminder_email.txt" if channel == Channel.EMAIL else \
        "scheduling/messages/reminder_sms.txt"
    return subject, render_to_string(template, context).strip()


def recall_text(patient, category, channel, url):
    clinic = patient.clinic
    context = {"clinic": clinic, "patient": patient, "category": category, "url": url}
    subject = _("A message from %(clinic)s") % {"clinic": clinic.name}
    template = "scheduling/messages/recall_email.txt" if channel == Channel.EMAIL else \
        "scheduling/messages/recall_sms.txt"
    return subject, render_to_string(template, context).strip()


# What may name the patient in a provider's error: an e-mail address, or a run of seven or
# more digits with the separators phone numbers are written with (an SMTP status such as
# "550 5.1.1" has fewer digits and stays readable).
EMAIL_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")
NUMBER_LIKE = re.compile(r"\+?\d[\d\s()./-]*\d")


def _hide_number(found):
    text = found.group(0)
    return "[number]" if sum(c.isdigit() for c in text) >= 7 else text


def failure(error, address=""):
    """(code, text) to keep of a delivery error: the code its kind (the exception's class and
    the SMTP reply code where there is one), the text without the recipient's address or any
    other e-mail address or phone number, which SMTP refusals quote and which must not sit in
    the message table or the audit trail."""
    code = type(error).__name__
    smtp_code = getattr(error, "smtp_code", None)
    if smtp_code is None and isinstance(getattr(error, "recipients", None), dict):
        smtp_code = next((reply[0] for reply in error.recipients.values()
                          if isinstance(reply, tuple) and reply), None)
    if isinstance(smtp_code, int):
        code = f"{code} {smtp_code}"
    text = str(error)
    if address:
        text = text.replace(address, "[address]")
    text = NUMBER_LIKE.sub(_hide_number, EMAIL_ADDRESS.sub("[address]", text))
    return code[:60], f"{code}: {text}"[:300]


def deliver(patient, channel, subject, body):
    """Send one message; raises on failure (the caller records it)."""
    to = address_for(patient, channel)
    if channel == Channel.EMAIL:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send(fail_silently=False)
    else:
        sms.backend().send(to, body)
    return to


def _claim(appointment, channel, now):
    """This run's reminder row for (appointment, channel, its start as it stands), or None
    when it is sent, being sent by another run, or failed too often. A moved appointment
    has a new start and so a new row: its patient hears of the new time, and the reminder of
    the old one stays on record. Moved back to a time announced before, that time's row is
    sent again unless it is the latest reminder sent (the patient's last word). The unique constraint and the conditional update make two
    runs at once send it only once. ``message.held_for`` keeps why it was held back before
    (or ''), so holding it again for the same reason is not recorded again."""
    try:
        with transaction.atomic():
            message, created = Message.objects.get_or_create(
                appointment=appointment, channel=channel, kind=Message.Kind.REMINDER,
                for_start=appointment.starts_at,
                defaults={"patient": appointment.patient, "status": Message.Status.SENDING})
    except IntegrityError:
        return None
    if created:
        message.held_for = ""
        return message
    if message.status == Message.Status.SENT:
        # Sent, but a later reminder may have announced another time since (moved there and
        # back): the patient's last word is then that other time, so this one goes again.
        latest = (Message.objects.filter(appointment=appointment, channel=channel, kind=Message.Kind.REMINDER,
                                         status=Message.Status.SENT)
                  .order_by("-sent_at", "-id").values_list("pk", flat=True).first())
        if latest == message.pk:
            return None
    elif message.status == Message.Status.FAILED and message.attempts >= MAX_ATTEMPTS:
        return None
    elif message.status == Message.Status.SENDING and message.updated_at > now - STALE:
        return None
    # Sending it again after a move back starts its count of attempts afresh.
    fresh_count = {"attempts": 0} if message.status == Message.Status.SENT else {}
    taken = Message.objects.filter(pk=message.pk, clinic=message.clinic_id, status=message.status,
                                   updated_at=message.updated_at).update(status=Message.Status.SENDING,
                                                                         updated_at=timezone.now(), **fresh_count)
    if not taken:
        return None
    held_for = message.reason if message.status == Message.Status.HELD else ""
    message.refresh_from_db()
    message.held_for = held_for
    return message


def _finish(message, audit=True, **changes):
    for name, value in changes.items():
        setattr(message, name, value)
    message.save()
    if not audit:
        return
    record("create" if message.status == Message.Status.SENT else "update", patient=message.patient, obj=message,
           detail={"kind": message.kind, "channel": message.channel, "status": message.status,
                   "reason": message.reason, **({"error": message.error_code} if message.error_code else {})})


def due_appointments(now, hours=None):
    """Booked appointments starting within the reminder period from ``now``."""
    hours = settings.SEGMENTA_REMINDER_HOURS if hours is None else hours
    return (Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__gt=now,
                                       patient__restricted_at__isnull=True,
                                       starts_at__lte=now + datetime.timedelta(hours=hours))
            .select_related("patient", "patient__clinic", "type", "room", "plan")
            .prefetch_related("patient__contact_preferences", "plan__sessions", "plan__reviews")
            .order_by("starts_at", "id"))


def send_due(now=None, hours=None):
    """Send every reminder that is due and not yet sent. Returns counts by status."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "held": 0}
    channels = [Channel.EMAIL, Channel.SMS]
    asked = {}  # clinic id → its questionnaires by visit, read once a run
    for appointment in due_appointments(now, hours):
        patient = appointment.patient
        url = link = None
        for channel in channels:
            message = _claim(appointment, channel, now)
            if message is None:
                continue
            reason = held_reason(patient, channel, Message.Kind.REMINDER)
            if reason:
                # Held again for the reason already on record (every run until the visit): the
                # audit trail has it once, not once a run.
                _finish(message, audit=reason != message.held_for, status=Message.Status.HELD, reason=reason)
                counts["held"] += 1
                continue
            with patient.in_own_language():
                if url is None:
                    hours_left = math.ceil((appointment.starts_at - now).total_seconds() / 3600) + LINK_GRACE_HOURS
                    complaint = appointment.plan.complaint if appointment.plan else None
                    if patient.clinic_id not in asked:
                        asked[patient.clinic_id] = instruments_at(patient.clinic)
                    link, url = issue_link(patient, instrument_for(appointment, asked[patient.clinic_id]),
                                           hours_left, complaint=complaint)
                subject, body = reminder_text(appointment, channel, url)
                language = patient.language
            try:
                to = deliver(patient, channel, subject, body)
            except Exception as error:  # any provider or SMTP failure: recorded, tried again later
                code, text = failure(error, address_for(patient, channel))
                _finish(message, status=Message.Status.FAILED, attempts=message.attempts + 1, link=link,
                        reason=text, error_code=code)
                counts["failed"] += 1
                continue
            _finish(message, status=Message.Status.SENT, attempts=message.attempts + 1, recipient=to, link=link,
                    language=language, reason="", error_code="", sent_at=timezone.now())
            counts["sent"] += 1
    return counts


def _recall_row_for_today(patient, row, channel, user, today):
    """(message, fresh): this day's recall message about ``row`` on ``channel``, made now
    (fresh) or the one already there. A failed or held one is taken over to try again
    (fresh: the address may have been added since), and so is one left "being sent" longer
    than ``STALE`` (its worker was killed); one sent, or being sent now, is left as it is, so a
    second click (or a second tab) sends nothing more. The unique constraint settles two
    clicks at the same instant."""
    lookup = {"patient": patient, "kind": Message.Kind.RECALL, "category": row.key, "channel": channel,
              "recall_day": today}
    try:
        with transaction.atomic():
            message, created = Message.objects.get_or_create(
                **lookup, defaults={"created_by": user, "status": Message.Status.SENDING})
    except IntegrityError:
        return Message.objects.get(**lookup), False
    if created:
        return message, True
    stale = message.status == Message.Status.SENDING and message.updated_at <= timezone.now() - STALE
    if message.status not in (Message.Status.FAILED, Message.Status.HELD) and not stale:
        return message, False
    taken = Message.objects.filter(pk=message.pk, patient=patient, status=message.status,
                                   updated_at=message.updated_at).update(status=Message.Status.SENDING,
                                                                         created_by=user, updated_at=timezone.now())
    message.refresh_from_db()
    return message, bool(taken)


def send_recall(patient, row, channel, user, request=None, today=None):
    """One recall message about ``row`` (recall.Row) on ``channel`` a day; returns (Message,
    fresh): fresh is False when this day's message was already sent, held back or is being
    sent, and nothing was done. A follow-up carries its questionnaire link. Held back (and
    recorded so) when the patient opted out or has no address."""
    message, fresh = _recall_row_for_today(patient, row, channel, user, today or timezone.localdate())
    if not fresh:
        return message, False
    reason = held_reason(patient, channel, Message.Kind.RECALL)
    if reason:
        _finish(message, status=Message.Status.HELD, reason=reason)
        return message, True
    link = url = None
    with patient.in_own_language():
        if row.category == "follow_up":
            plan = patient.plans.filter(pk=row.plan_id).select_related("complaint").first()
            link, url = issue_link(patient, instruments_at(patient.clinic)["follow_up"], 14 * 24, complaint=plan.complaint if plan else None,
                                   user=user, request=request)
        subject, body = recall_text(patient, row.category, channel, url)
    try:
        to = deliver(patient, channel, subject, body)
    except Exception as error:  # recorded as failed; the page says so and it may be sent again
        code, text = failure(error, address_for(patient, channel))
        _finish(message, status=Message.Status.FAILED, attempts=message.attempts + 1, link=link, reason=text,
                error_code=code)
        return message, True
    _finish(message, status=Message.Status.SENT, attempts=message.attempts + 1, recipient=to, link=link,
            language=patient.language, reason="", error_code="", sent_at=timezone.now())
    return message, True
