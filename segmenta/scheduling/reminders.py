"""Reminders and recall messages to patients: who may be reached on which channel, the text
(in the patient's language, with nothing clinical beyond what the patient needs), the
questionnaire link due for the visit, and the record of every attempt.

`segmenta reminders send` calls ``send_due``; the recall list's "send" calls ``send_recall``.
"""

import datetime
import math

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

from . import sms
from .models import Appointment, AppointmentType
from .models_reminders import Channel, ContactPreference, Message

# A failed reminder is tried again on the next runs, this many times in all.
MAX_ATTEMPTS = 3
# A message left "being sent" this long ago belongs to a run that died: it may be taken over.
STALE = datetime.timedelta(minutes=15)
# The patient answers before the visit; the link stays usable half a day past its start.
LINK_GRACE_HOURS = 12
# Which questionnaire a visit asks for, by what outcomes measures: the global impression of
# change (PGIC) is the patient's own verdict that a reassessment weighs; any other visit asks
# for the pain rating (NRS-11) of the complaint being treated, which the course chart follows.
REASSESSMENT_INSTRUMENT = "pgic"
VISIT_INSTRUMENT = "nrs-11"
FOLLOW_UP_INSTRUMENT = "nrs-11"


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


def instrument_for(appointment):
    """The questionnaire due for this visit: the reassessment's at the plan's reassessment
    session (or an appointment booked as a reassessment), else the pain rating."""
    plan = appointment.plan
    if appointment.type.kind == AppointmentType.Kind.REASSESSMENT:
        return REASSESSMENT_INSTRUMENT
    if plan and appointment.series_number and appointment.series_number % plan.reassess_after == 0:
        return REASSESSMENT_INSTRUMENT
    return VISIT_INSTRUMENT


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


def deliver(patient, channel, subject, body):
    """Send one message; raises on failure (the caller records it)."""
    to = address_for(patient, channel)
    if channel == Channel.EMAIL:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send(fail_silently=False)
    else:
        sms.backend().send(to, body)
    return to


def _claim(appointment, channel, now):
    """This run's reminder row for (appointment, channel), or None when it is sent, being sent
    by another run, or failed too often. The unique constraint and the conditional update
    make two runs at once send it only once."""
    try:
        with transaction.atomic():
            message, created = Message.objects.get_or_create(
                appointment=appointment, channel=channel, kind=Message.Kind.REMINDER,
                defaults={"patient": appointment.patient, "status": Message.Status.SENDING})
    except IntegrityError:
        return None
    if created:
        return message
    if message.status == Message.Status.SENT:
        return None
    if message.status == Message.Status.FAILED and message.attempts >= MAX_ATTEMPTS:
        return None
    if message.status == Message.Status.SENDING and message.updated_at > now - STALE:
        return None
    taken = Message.objects.filter(pk=message.pk, clinic=message.clinic_id, status=message.status,
                                   updated_at=message.updated_at).update(status=Message.Status.SENDING,
                                                                         updated_at=timezone.now())
    if not taken:
        return None
    message.refresh_from_db()
    return message


def _finish(message, **changes):
    for name, value in changes.items():
        setattr(message, name, value)
    message.save()
    record("create" if message.status == Message.Status.SENT else "update", patient=message.patient, obj=message,
           detail={"kind": message.kind, "channel": message.channel, "status": message.status,
                   "reason": message.reason})


def due_appointments(now, hours=None):
    """Booked appointments starting within the reminder period from ``now``."""
    hours = settings.SEGMENTA_REMINDER_HOURS if hours is None else hours
    return (Appointment.objects.filter(status=Appointment.Status.BOOKED, starts_at__gt=now,
                                       patient__restricted_at__isnull=True,
                                       starts_at__lte=now + datetime.timedelta(hours=hours))
            .select_related("patient", "patient__clinic", "type", "room", "plan")
            .prefetch_related("patient__contact_preferences")
            .order_by("starts_at", "id"))


def send_due(now=None, hours=None):
    """Send every reminder that is due and not yet sent. Returns counts by status."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "held": 0}
    channels = [Channel.EMAIL, Channel.SMS]
    for appointment in due_appointments(now, hours):
        patient = appointment.patient
        url = link = None
        for channel in channels:
            message = _claim(appointment, channel, now)
            if message is None:
                continue
            reason = held_reason(patient, channel, Message.Kind.REMINDER)
            if reason:
                _finish(message, status=Message.Status.HELD, reason=reason)
                counts["held"] += 1
                continue
            with patient.in_own_language():
                if url is None:
                    hours_left = math.ceil((appointment.starts_at - now).total_seconds() / 3600) + LINK_GRACE_HOURS
                    complaint = appointment.plan.complaint if appointment.plan else None
                    link, url = issue_link(patient, instrument_for(appointment), hours_left, complaint=complaint)
                subject, body = reminder_text(appointment, channel, url)
                language = patient.language
            try:
                to = deliver(patient, channel, subject, body)
            except Exception as error:  # any provider or SMTP failure: recorded, tried again later
                _finish(message, status=Message.Status.FAILED, attempts=message.attempts + 1, link=link,
                        reason=f"{type(error).__name__}: {error}"[:300])
                counts["failed"] += 1
                continue
            _finish(message, status=Message.Status.SENT, attempts=message.attempts + 1, recipient=to, link=link,
                    language=language, reason="", sent_at=timezone.now())
            counts["sent"] += 1
    return counts


def send_recall(patient, row, channel, user, request=None):
    """One recall message about ``row`` (recall.Row) on ``channel``; returns the Message. A
    follow-up carries its questionnaire link. Held back (and recorded so) when the patient
    opted out or has no address."""
    with transaction.atomic():
        message = Message.objects.create(patient=patient, kind=Message.Kind.RECALL, channel=channel,
                                         category=row.key, created_by=user)
    reason = held_reason(patient, channel, Message.Kind.RECALL)
    if reason:
        _finish(message, status=Message.Status.HELD, reason=reason)
        return message
    link = url = None
    with patient.in_own_language():
        if row.category == "follow_up":
            plan = patient.plans.filter(pk=row.plan_id).select_related("complaint").first()
            link, url = issue_link(patient, FOLLOW_UP_INSTRUMENT, 14 * 24, complaint=plan.complaint if plan else None,
                                   user=user, request=request)
        subject, body = recall_text(patient, row.category, channel, url)
    try:
        to = deliver(patient, channel, subject, body)
    except Exception as error:  # recorded as failed; the page says so and it may be sent again
        _finish(message, status=Message.Status.FAILED, attempts=1, link=link,
                reason=f"{type(error).__name__}: {error}"[:300])
        return message
    _finish(message, status=Message.Status.SENT, attempts=1, recipient=to, link=link, language=patient.language,
            sent_at=timezone.now())
    return message
