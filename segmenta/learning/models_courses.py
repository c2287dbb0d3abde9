"""Learn → Courses: each practitioner's progress through the course's modules (courses.yaml),
their quiz attempts, and a clinic's record that it has the course accredited for CME.

Progress belongs to the practitioner within one clinic (the clinic they worked in), so a clinic
admin could see their team's and a practitioner in two clinics keeps each apart."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModuleProgress(models.Model):
    """One practitioner's progress in one module: the readings they opened and when they first
    passed its quiz (the module is then complete; later attempts never undo it)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_progress")
    module = models.CharField(_("module"), max_length=60)
    readings_opened = models.JSONField(_("readings opened"), default=list, blank=True)  # ["kind/id", …]
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    passed_at = models.DateTimeField(_("passed"), null=True, blank=True)
    # The knowledge base the passing quiz was asked from (printed on the certificate).
    passed_version = models.CharField(_("knowledge version"), max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "user", "module"], name="one_progress_per_module")]
        ordering = ["module"]
        verbose_name = _("course module progress")
        verbose_name_plural = _("course module progress")

    def __str__(self):
        state = _("passed") if self.passed_at else _("in progress")
        return f"{self.user} · {self.module} ({state})"


class QuizAttempt(models.Model):
    """One submitted quiz: the answers as ticked, and the score they earned then."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    module = models.CharField(_("module"), max_length=60)
    kb_version = models.CharField(_("knowledge version"), max_length=80)
    answers = models.JSONField(_("answers"), default=dict)  # {question id: [option ids]}
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=4,
                                validators=[MinValueValidator(0), MaxValueValidator(1)])
    right_count = models.PositiveSmallIntegerField(_("questions right"))
    question_count = models.PositiveSmallIntegerField(_("questions"))
    pass_percent = models.PositiveSmallIntegerField(_("pass mark (%)"))
    passed = models.BooleanField(_("passed"))
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")

    def __str__(self):
        return f"{self.user} · {self.module}: {self.right_count}/{self.question_count}"

    @property
    def percent(self):
        return int(self.score * 100)


class CourseAccreditation(models.Model):
    """A clinic's record that the course counts as accredited CME with a body (e.g. a state
    medical chamber). Without one, the certificate says it is no accredited CME credit."""

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.CASCADE, related_name="course_accreditation")
    accredited_by = models.CharField(_("accredited by"), max_length=200)
    credits = models.DecimalField(_("CME credits"), max_digits=5, decimal_places=1,
                                  validators=[MinValueValidator(0), MaxValueValidator(1000)])
    reference = models.CharField(_("accreditation reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("course accreditation")
        verbose_name_plural = _("course accreditations")

    def __str__(self):
        return f"{self.clinic}: {self.accredited_by} ({self.credits})"
