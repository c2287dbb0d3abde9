"""Red-flag screenings: one structured screening of one complaint, with every answer."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped
from segmenta.knowledge import vocabulary
from segmenta.validators import BoundedDates

from . import screening


def validate_answers(value):
    problems = screening.check_answers(value, list(value) if isinstance(value, dict) else [])
    unknown = [code for code in (value if isinstance(value, dict) else {}) if code not in vocabulary.codes("finding")]
    if problems or unknown:
        raise ValidationError(_("Unknown question or answer in the screening: %(codes)s.")
                              % {"codes": ", ".join(unknown) or "; ".join(problems)}, code="answers")


class RedFlagScreening(ClinicScoped, BoundedDates, models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="red_flag_screenings")
    complaint = models.ForeignKey("patients.Complaint", on_delete=models.CASCADE,
                                  related_name="red_flag_screenings")
    date_bounds = {"date": "today"}
    date = models.DateField(_("date"), default=timezone.localdate)
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # {finding code: "yes" | "no" | "not_asked"}, one entry per question asked.
    answers = models.JSONField(_("answers"), default=dict, validators=[validate_answers])
    knowledge_version = models.CharField(_("knowledge version"), max_length=80)
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("red-flag screening")
        verbose_name_plural = _("red-flag screenings")
        indexes = [models.Index(fields=["complaint", "-date"])]

    def __str__(self):
        return f"{self.complaint} {l10n.day(self.date)}"

    def codes(self, answer):
        return [code for code, given in self.answers.items() if given == answer]
