"""What the practice tells its patients, and the calendar it hands out: each patient's channel
choices, the record of every reminder and recall message (sent, failed or held back), a
practitioner's secret calendar feed, and the recall list's rows marked as handled.

Kept apart from the appointments' own tables (models.py) so the two grow independently;
models.py imports this module so Django finds the models.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped


def token_digest(raw):
    """Only this is stored of a secret token: a leaked table gives no working link."""
    return hashlib.sha256(raw.encode()).hexdigest()


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class ContactPreference(ClinicScoped, models.Model):
    """The patient's choices of how the practice may reach them. Without a row every channel
    is allowed (the patient gave the address or number to be reached); each one can be
    refused on its own."""

    # One per patient (the constraint below); a foreign key rather than a one-to-one field, so
    # the guard of restricted charts (segmenta/patients/restriction.py) sees it as the patient's.
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="contact_preferences",
                                verbose_name=_("patient"))
    email_reminders = models.BooleanField(_("appointment reminders by e-mail"), default=True)
    sms_reminders = models.BooleanField(_("appointment reminders by SMS"), default=True)
    recall_messages = models.BooleanField(
        _("recall messages"), default=True,
        help_text=_("When a follow-up or a reassessment is due, or a course was interrupted."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    versions = HistoricalRecords()

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [models.UniqueConstraint(fields=["patient"], name="one_contact_preference_per_patient")]

    def __str__(self):
        refused = [label for allowed, label in ((self.email_reminders, gettext("e-mail reminders")),
                                                (self.sms_reminders, gettext("SMS reminders")),
                                                (self.recall_messages, gettext("recall messages")))
                   if not allowed]
        if not refused:
            return gettext("Contact preferences of %(patient)s: every channel allowed") % {"patient": self.patient}
        return gettext("Contact preferences of %(patient)s: no %(refused)s") % {
            "patient": self.patient, "refused": ", ".join(refused)}


class Message(ClinicScoped, models.Model):
    """One reminder or recall message on one channel: sent, failed (tried again on the next
    run), held back (opted out, no address) or being sent. A reminder exists at most once per
    appointment, channel and the start it announces, which is what makes `segmenta reminders
    send` safe to repeat and still tells the patient a moved appointment's new time. A recall
    message exists at most once per recall row, channel and day, so a double click sends one."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Appointment reminder")
        RECALL = "recall", _("Recall message")

    class Status(models.TextChoices):
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Not sent")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="messages",
                                verbose_name=_("patient"))
    appointment = models.ForeignKey("scheduling.Appointment", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="messages", verbose_name=_("appointment"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # For a recall message: the recall list's category and the row's key (segmenta/scheduling/recall.py).
    category = models.CharField(_("recall category"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENDING)
    # A reminder: the appointment's start it announces (a moved appointment gets a new one).
    for_start = models.DateTimeField(_("appointment time announced"), null=True, blank=True)
    # A recall message: the clinic's day it was sent on (one per row, channel and day).
    recall_day = models.DateField(_("day of the recall message"), null=True, blank=True)
    # Why it was not sent, or the error it failed with, with any address or number taken out
    # (never the message's text); ``error_code`` names the kind of failure (class, SMTP code).
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    error_code = models.CharField(_("error"), max_length=60, blank=True)
    recipient = models.CharField(_("sent to"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    link = models.ForeignKey("outcomes.AnswerLink", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("questionnaire link"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text=_("Empty when the reminder command sent it."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message to a patient")
        verbose_name_plural = _("messages to patients")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "channel", "for_start"], condition=models.Q(kind="reminder"),
                                    name="one_reminder_per_appointment_channel_and_time"),
            models.UniqueConstraint(fields=["category", "channel", "recall_day"], condition=models.Q(kind="recall"),
                                    name="one_recall_message_per_row_channel_and_day"),
        ]
        indexes = [models.Index(fields=["clinic", "patient", "created_at"], name="message_patient_time")]

    def __str__(self):
        return gettext("%(kind)s by %(channel)s: %(status)s") % {
            "kind": self.get_kind_display(), "channel": self.get_channel_display(),
            "status": self.get_status_display().lower()}


class CalendarFeed(models.Model):
    """A practitioner's secret iCalendar address for one clinic. The address is shown once;
    only its digest is kept. Renewing revokes the old address and makes a new one."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        state = (gettext("revoked on %(date)s") % {"date": l10n.day(self.revoked_at)} if self.revoked_at
                 else gettext("active"))
        return gettext("Calendar feed of %(practitioner)s since %(date)s, %(state)s") % {
            "practitioner": self.practitioner.get_full_name() or self.practitioner.get_username(),
            "date": l10n.day(self.created_at), "state": state}

    @classmethod
    def issue(cls, clinic, practitioner):
        """A new feed; returns (feed, raw token). 32 random bytes: a URL nobody guesses."""
        raw = secrets.token_urlsafe(32)
        return cls.objects.create(clinic=clinic, practitioner=practitioner, token_hash=token_digest(raw)), raw

    @classmethod
    def find(cls, raw):
        """The active feed of ``raw``, else None (unknown or revoked)."""
        if not raw or len(raw) > 100:
            return None
        return cls.objects.select_related("clinic", "practitioner").filter(
            token_hash=token_digest(raw), revoked_at__isnull=True).first()


class RecallHandled(ClinicScoped, models.Model):
    """A row of the recall list someone dealt with (called, wrote, decided not to): it leaves
    the list. ``key`` names the row (category, plan, follow-up point) as recall.py builds it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="recalls_handled",
                                verbose_name=_("patient"))
    plan = models.ForeignKey("treatment.TreatmentPlan", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("treatment plan"))
    category = models.CharField(_("recall category"), max_length=40)
    key = models.CharField(max_length=100)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("handled by"))
    handled_at = models.DateTimeField(_("handled"), auto_now_add=True)

    class Meta:
        ordering = ["-handled_at"]
        verbose_name = _("handled recall")
        verbose_name_plural = _("handled recalls")
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="recall_handled_once")]

    def __str__(self):
        return gettext("Recall handled on %(date)s") % {"date": l10n.day(self.handled_at)}
