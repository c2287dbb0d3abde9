"""The scheduling app's tables: the clinic's rooms, appointment types and calendar (holidays,
closed weekdays, opening hours, closures), and the appointments themselves.

Rooms, types and the calendar belong to the clinic, not to a patient; an appointment is
patient data (``ClinicScoped``) with its version history, like the chart's other tables.
The rules (when a course's sessions fall, what overlaps) live in ``segmenta.scheduling.series``
as plain Python; these models only store what was decided.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped
from segmenta.validators import BoundedDates


class Room(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["-active", "name", "id"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="room_name_unique_per_clinic")]

    def __str__(self):
        return self.name


class AppointmentType(models.Model):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", _("Treatment session")
        REASSESSMENT = "reassessment", _("Reassessment")
        FIRST_VISIT = "first_visit", _("First visit")
        FOLLOW_UP = "follow_up", _("Follow-up")
        OTHER = "other", _("Other")

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="appointment_types")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TREATMENT)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(480)])
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["-active", "name", "id"]
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")
        constraints = [models.UniqueConstraint(fields=["clinic", "name"],
                                               name="appointmenttype_name_unique_per_clinic")]

    def __str__(self):
        return gettext("%(name)s (%(minutes)s min)") % {"name": self.name, "minutes": self.duration_minutes}


def default_opens():
    return datetime.time(8, 0)


def default_closes():
    return datetime.time(18, 0)


class ClinicCalendar(models.Model):
    """One per clinic: whose public holidays apply, which weekdays it is closed, its hours.

    An empty country follows the clinic's jurisdiction ("DE", "US-OR" → country US, state OR).
    """

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.CASCADE, related_name="calendar")
    holiday_country = models.CharField(
        _("public holidays of (country)"), max_length=2, blank=True,
        help_text=_("A country code such as DE, AT, CH or ES. Empty: the clinic's jurisdiction."))
    holiday_subdivision = models.CharField(
        _("state or region"), max_length=10, blank=True,
        help_text=_("For holidays of one state only, e.g. BY for Bavaria. Empty: the country's nationwide holidays."))
    # Monday = 0 … Sunday = 6, as Python's date.weekday().
    closed_weekdays = models.JSONField(_("closed on"), default=list, blank=True)
    opens_at = models.TimeField(_("opens at"), default=default_opens)
    closes_at = models.TimeField(_("closes at"), default=default_closes)

    class Meta:
        verbose_name = _("clinic calendar")
        verbose_name_plural = _("clinic calendars")

    def __str__(self):
        return gettext("Calendar of %(clinic)s") % {"clinic": self.clinic}

    def clean(self):
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("The clinic closes before it opens.")})
        if not isinstance(self.closed_weekdays, list) or any(
                not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in self.closed_weekdays):
            raise ValidationError({"closed_weekdays": _("Choose weekdays from Monday to Sunday.")})
        if len(set(self.closed_weekdays)) >= 7:
            raise ValidationError({"closed_weekdays": _("The clinic must be open on at least one weekday.")})

    def region(self):
        """(country, subdivision or None) whose public holidays apply, or (None, None)."""
        if self.holiday_country:
            return self.holiday_country, self.holiday_subdivision or None
        code = self.clinic.jurisdiction or ""
        if not code:
            return None, None
        country, _sep, sub = code.partition("-")
        return country, (self.holiday_subdivision or sub or None)


class Closure(BoundedDates, models.Model):
    """Days the clinic itself is closed (company holidays, training days), first to last day."""

    date_bounds = {"starts_on": "year", "ends_on": None}

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self):
        if self.starts_on == self.ends_on:
            return gettext("%(reason)s on %(day)s") % {"reason": self.reason, "day": l10n.day(self.starts_on)}
        return gettext("%(reason)s, %(first)s to %(last)s") % {
            "reason": self.reason, "first": l10n.day(self.starts_on), "last": l10n.day(self.ends_on)}

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The closure ends before it starts.")})
        if self.starts_on and self.ends_on and (self.ends_on - self.starts_on).days > 366:
            raise ValidationError({"ends_on": _("A closure lasts at most a year.")})


class Appointment(ClinicScoped, BoundedDates, models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ATTENDED = "attended", _("Attended")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    # Planned up to a year ahead; ends_at is checked against starts_at in clean().
    date_bounds = {"starts_at": "year", "ends_at": None}

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="appointments",
                                verbose_name=_("patient"))
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("practitioner"))
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments",
                             verbose_name=_("room"))
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments",
                             verbose_name=_("appointment type"))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    plan = models.ForeignKey("treatment.TreatmentPlan", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="appointments", verbose_name=_("treatment plan"))
    # A course booked at once shares one series id; number counts from 1 in date order.
    series = models.UUIDField(_("series"), null=True, blank=True, db_index=True)
    series_number = models.PositiveSmallIntegerField(_("number in the series"), null=True, blank=True)
    # The draft session opened from this appointment (and kept when it is signed).
    session = models.ForeignKey("treatment.Session", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="appointments", verbose_name=_("session"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Why a date of a course moved (a holiday or closure it would have fallen on).
    moved_reason = models.CharField(_("moved because of"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("booked by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    versions = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["clinic", "practitioner", "starts_at"], name="appointment_practitioner_day"),
            models.Index(fields=["clinic", "room", "starts_at"], name="appointment_room_day"),
            models.Index(fields=["clinic", "patient", "starts_at"], name="appointment_patient_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="appointment_ends_after_start"),
        ]

    def __str__(self):
        return gettext("%(type)s on %(when)s (%(status)s)") % {
            "type": self.type.name if self.type_id else gettext("Appointment"),
            "when": l10n.moment(self.starts_at), "status": self.get_status_display().lower()}

    @property
    def active(self):
        """Booked or already attended: it holds its slot (a cancelled one or a no-show frees it)."""
        return self.status in (self.Status.BOOKED, self.Status.ATTENDED)

    def course_before(self):
        """The appointment's plan as the day's rules read it (``day.is_reassessment``): the
        sessions held before this visit (its own session, opened from it, not counted) and the
        plan's reviews; None without a plan. Reads ``plan.sessions`` and ``plan.reviews`` as
        loaded (prefetch them for a list)."""
        plan = self.plan
        if plan is None:
            return None
        sessions = [s.started_at for s in plan.sessions.all()
                    if s.pk != self.session_id and s.started_at < self.starts_at]
        return {"reassess_after": plan.reassess_after, "active": plan.status == plan.Status.ACTIVE,
                "sessions": sessions, "reviews": [r.decided_at for r in plan.reviews.all()]}

    @property
    def is_past(self):
        return self.ends_at <= timezone.now()

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The appointment ends before it starts.")})
        if self.plan_id and self.patient_id and self.plan.patient_id != self.patient_id:
            raise ValidationError({"plan": _("This plan belongs to another patient.")})
        if self.session_id and self.patient_id and self.session.patient_id != self.patient_id:
            raise ValidationError({"session": _("This session belongs to another patient.")})
        if self.patient_id:
            clinic = self.patient.clinic_id
            if self.room_id and self.room.clinic_id != clinic:
                raise ValidationError({"room": _("This room belongs to another clinic.")})
            if self.type_id and self.type.clinic_id != clinic:
                raise ValidationError({"type": _("This appointment type belongs to another clinic.")})


# Reminders, recall and the calendar feed keep their tables in a module of their own.
from .models_reminders import CalendarFeed, ContactPreference, Message, RecallHandled  # noqa: E402,F401
