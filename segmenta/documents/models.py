"""What was printed: every document made for a patient (but the patient's copy, which the
audit trail records), with the texts it was made from and the SHA-256 of its PDF, so that
what was sent can be shown and checked later. Rows are never changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.scoping import ClinicScoped


class Kind(models.TextChoices):
    SESSION_NOTE = "session-note", _("Signed session note")
    REFERRAL = "referral", _("Referral letter")
    COURSE_LETTER = "course-letter", _("End-of-course letter")
    CONSENT_SHEET = "consent-sheet", _("Information and consent sheet")
    RECORD_COPY = "record-copy", _("Patient's copy of the record")
    LEAFLET = "leaflet", _("Patient leaflet")


class Recipient(models.TextChoices):
    DENTIST = "dentist", _("Dentist")
    GP = "gp", _("General practitioner")
    SPECIALIST = "specialist", _("Specialist")


class IssuedDocument(ClinicScoped, models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    session = models.ForeignKey("treatment.Session", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="documents")
    plan = models.ForeignKey("treatment.TreatmentPlan", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="documents")
    consent = models.ForeignKey("patients.Consent", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="sheets", verbose_name=_("consent"))
    technique = models.CharField(_("technique"), max_length=30, blank=True)
    recipient = models.CharField(_("to"), max_length=20, choices=Recipient.choices, blank=True)
    language = models.CharField(_("language"), max_length=10)
    # The texts as printed (a referral's edited fields); empty where the chart holds them all.
    texts = models.JSONField(_("text"), default=dict, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("made by"))
    made_at = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("document issued")
        verbose_name_plural = _("documents issued")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("an issued document is never changed")
        super().save(*args, **kwargs)
