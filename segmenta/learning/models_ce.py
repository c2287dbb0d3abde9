"""Continuing education's own tables: the requirements a clinic sets for its team, and each
practitioner's start of a requirement's period (the records themselves are accounts'
TrainingRecord, which the scope check reads)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.models import Role, TrainingKind
from segmenta.knowledge import localize
from segmenta.validators import BoundedDates


class ClinicRequirement(BoundedDates, models.Model):
    """A clinic's own continuing-education requirement, e.g. "16 credits of neural therapy
    every 2 years, from IGNH or DGfAN courses", set by a clinic admin. With a cycle start its
    periods are fixed for the whole team; without one, each member's window rolls."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="ce_requirements")
    name = models.CharField(_("name"), max_length=200)
    credits = models.PositiveIntegerField(_("credits"), validators=[MinValueValidator(1), MaxValueValidator(5000)])
    period_years = models.PositiveSmallIntegerField(
        _("period (years)"), validators=[MinValueValidator(1), MaxValueValidator(10)])
    date_bounds = {"cycle_start": "year"}
    cycle_start = models.DateField(
        _("periods start on"), null=True, blank=True,
        help_text=_("Fixed periods for everyone from this day on; empty: the last years up to today count."))
    kinds = models.JSONField(_("kinds that count"), default=list, blank=True,
                             help_text=_("Empty: every kind of record counts."))
    awarding_bodies = models.JSONField(_("awarding bodies that count"), default=list, blank=True,
                                       help_text=_("Empty: records from any body count."))
    role = models.CharField(_("applies to role"), max_length=20, choices=Role.choices, blank=True,
                            help_text=_("Empty: every member of the clinic."))
    profession = models.CharField(_("applies to profession"), max_length=30, blank=True,
                                  choices=localize.choices("profession"),
                                  help_text=_("Empty: every profession."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic training requirement")
        verbose_name_plural = _("clinic training requirements")

    def __str__(self):
        return f"{self.name} ({self.credits} / {self.period_years} y, {self.clinic})"

    def kinds_display(self):
        labels = dict(TrainingKind.choices)
        return [str(labels.get(k, k)) for k in self.kinds]

    def applies_to(self, role, profession):
        return (not self.role or self.role == role) and (not self.profession or self.profession == profession)


class TrainingCycle(BoundedDates, models.Model):
    """When a practitioner's own period of a knowledge-base requirement started (§95d SGB V
    counts five years from the physician's admission): fixed periods from then on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_cycles")
    requirement = models.CharField(_("requirement"), max_length=60)
    date_bounds = {"starts": "today"}
    starts = models.DateField(_("my period started on"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "requirement"], name="one_cycle_per_requirement")]
        verbose_name = _("training period")
        verbose_name_plural = _("training periods")

    def __str__(self):
        return f"{self.user} · {self.requirement} from {self.starts}"
