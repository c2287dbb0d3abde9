"""Questionnaire answers (kept as FHIR QuestionnaireResponse JSON) and the one-time links
through which patients answer without logging in."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped
from segmenta.prepared import Prepared


def _digest(raw):
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


class LinkAlreadyAnswered(Exception):
    """Answers came through a link that another submission has used in the meantime."""


class AnswerLink(ClinicScoped, models.Model):
    """A link for one patient and one questionnaire: single use, expiring. Only its hash
    is stored; the link itself is shown once."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="answer_links")
    instrument = models.CharField(_("questionnaire"), max_length=40)
    complaint = models.ForeignKey("patients.Complaint", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        # Its answer refers to it and its clinic at once (segmenta/accounts/scoping.py).
        constraints = [models.UniqueConstraint(fields=["id", "clinic"], name="answerlink_id_clinic")]

    def __str__(self):
        from .labels import instrument_title

        return gettext("Link to %(instrument)s, valid until %(when)s") % {
            "instrument": instrument_title(self.instrument),
            "when": l10n.moment(self.expires_at)}

    @classmethod
    def issue(cls, patient, instrument, user, hours=72, complaint=None):
        raw = secrets.token_urlsafe(24)
        link = cls.objects.create(patient=patient, instrument=instrument, complaint=complaint, created_by=user,
                                  token_hash=_digest(raw), expires_at=timezone.now() + timezone.timedelta(hours=hours))
        return link, raw

    @classmethod
    def find(cls, raw):
        """The link for ``raw`` if it can still be used, else None: also once the patient's
        processing is restricted (an erasure request), when no answer may be stored."""
        if not raw or len(raw) > 64:
            return None
        return cls.objects.select_related("patient", "patient__clinic").filter(
            token_hash=_digest(raw), used_at__isnull=True, expires_at__gt=timezone.now(),
            patient__restricted_at__isnull=True).first()

    @classmethod
    def holder_language(cls, raw):
        """The preferred language of the patient ``raw`` was issued to, also once it is used
        or expired (to say so in their language), else None."""
        if not raw or len(raw) > 64:
            return None
        return cls.objects.filter(token_hash=_digest(raw)).values_list("patient__language", flat=True).first()

    @classmethod
    def was_answered(cls, raw):
        """Whether ``raw`` is a link that has been used (its holder may be told so)."""
        return bool(raw) and len(raw) <= 64 and cls.objects.filter(
            token_hash=_digest(raw), used_at__isnull=False).exists()


class Response(ClinicScoped, models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="responses")
    instrument = models.CharField(_("questionnaire"), max_length=40)
    complaint = models.ForeignKey("patients.Complaint", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="responses")
    answered_at = models.DateTimeField(_("answered"))
    resource = models.JSONField(_("FHIR QuestionnaireResponse"))
    total = models.FloatField(_("score"))
    band = models.CharField(_("band"), max_length=40, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text=_("Empty when the patient answered through a link."))
    link = models.OneToOneField(AnswerLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="response")

    class Meta:
        ordering = ["instrument", "answered_at", "id"]
        # Alerts refer to it and its clinic at once (segmenta/accounts/scoping.py).
        constraints = [models.UniqueConstraint(fields=["id", "clinic"], name="response_id_clinic")]

    def __str__(self):
        from .labels import band_label, instrument_title

        label = gettext("%(instrument)s of %(date)s: %(total)s") % {
            "instrument": instrument_title(self.instrument),
            "date": l10n.day(self.answered_at), "total": l10n.number(self.total)}
        band = band_label(self.instrument, self.band)
        return f"{label} ({band})" if band else label


class ClinicInstrument(models.Model):
    """A licensed instrument a clinic imports itself (MYMOP, BPI, ODI, HIT-6, PROMIS, …):
    Segmenta ships no item text of licensed instruments."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="instruments")
    instrument_id = models.SlugField(_("instrument id"), max_length=40)
    resource = models.JSONField(_("FHIR Questionnaire"))
    licence_note = models.CharField(_("licence"), max_length=300,
                                    help_text=_("Who granted your licence, and until when."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "instrument_id"], name="one_instrument_id_per_clinic")]

    def __str__(self):
        title = (self.resource or {}).get("title") if isinstance(self.resource, dict) else None
        return f"{title} ({self.instrument_id})" if title else self.instrument_id


def clinic_instruments(clinic):
    """{instrument id: Questionnaire} of a clinic's own imported instruments."""
    return {i.instrument_id: i.resource for i in ClinicInstrument.objects.filter(clinic=clinic)}


class Alert(ClinicScoped, models.Model):
    """An answer that needs a clinician today (e.g. PHQ-9 item 9 above 0), raised when a
    response is stored. The chart shows it until a practitioner or clinic admin
    acknowledges it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="alerts")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="alerts")
    code = models.CharField(_("alert"), max_length=40)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["patient", "acknowledged_at"], name="outcomes_alert_open")]

    def __str__(self):
        state = gettext("acknowledged") if self.acknowledged_at else gettext("open")
        return f"{self.message} ({state})"

    @classmethod
    def open_for(cls, patients):
        """Unacknowledged alerts of ``patients`` (a list of them names their clinics in the
        query; a queryset or ids do not)."""
        return cls.objects.filter(patient__in=patients, acknowledged_at__isnull=True)

    @classmethod
    def open_on_chart(cls, patient):
        """``patient``'s unacknowledged alerts with their responses, for the banner on every
        view of the chart: its SQL built once (building it cost more than running it)."""
        return _OPEN_ON_CHART(patient.clinic_id, patient.pk)


_OPEN_ON_CHART = Prepared(lambda clinic_id, patient_id: Alert.objects.filter(
    clinic_id=clinic_id, patient_id=patient_id, acknowledged_at__isnull=True).select_related("response"), int, int)


# --- Practice outcomes, kept current --------------------------------------------------
# The practice's statistics read these instead of every session (segmenta.outcomes.aggregates
# keeps them current in the transaction of each change and rebuilds them from scratch). Plain
# ids, not foreign keys: a chart deleted by the retention purge takes its rows along through
# the aggregates' own handler, and each row carries its clinic, as every patient-data table does.


class ComplaintOutcome(models.Model):
    """One complaint with a baseline NRS above 0: what the practice outcomes count of it."""

    complaint_id = models.BigIntegerField(unique=True)
    patient_id = models.BigIntegerField(db_index=True)
    clinic_id = models.BigIntegerField()
    sessions = models.PositiveIntegerField()
    baseline = models.PositiveSmallIntegerField()
    latest = models.PositiveSmallIntegerField(null=True)
    to_response = models.PositiveIntegerField(null=True)
    completer = models.BooleanField()
    responder = models.BooleanField()
    region = models.CharField(max_length=40, null=True)  # a region code or "body-map <segment>"
    approach = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["clinic_id"])]

    def __str__(self):
        return gettext("Outcome of complaint %(complaint)s") % {"complaint": self.complaint_id}


class PatientOutcome(models.Model):
    """A patient's sessions, those with an adverse event, test injections with a recorded
    response and those among them that met the Huneke criteria."""

    patient_id = models.BigIntegerField(unique=True)
    clinic_id = models.BigIntegerField()
    sessions = models.PositiveIntegerField()
    sessions_with_events = models.PositiveIntegerField()
    tests = models.PositiveIntegerField()
    huneke = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["clinic_id"])]

    def __str__(self):
        return gettext("Outcome figures of patient %(patient)s") % {"patient": self.patient_id}


class OutcomeParameters(models.Model):
    """What the stored outcomes were computed with (responder threshold, which targets are
    ganglia or interference fields, the Huneke criteria): a knowledge base that changes any
    of them makes the practice outcomes rebuild before they are read."""

    fingerprint = models.CharField(max_length=64)
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return gettext("Outcome parameters %(fingerprint)s") % {"fingerprint": self.fingerprint[:12]}
