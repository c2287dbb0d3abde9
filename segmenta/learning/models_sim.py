"""The case simulator's runs: one row per attempt at a vignette by a practitioner."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.scoping import ClinicScoped
from segmenta.knowledge import localize
from segmenta.knowledge.base import load


class SimulatorRun(ClinicScoped, models.Model):
    """A practitioner's attempt at a vignette: the answers given step by step, then the score
    the engines gave them. A vignette may be run again as often as wanted; each run stays.
    Vignettes are made-up cases, so a run holds no patient's data; it belongs to the clinic of
    the membership it was made in."""

    class Step(models.TextChoices):
        HISTORY = "history", _("History")
        MAP = "map", _("Body map")
        PLAN = "plan", _("Fields and injections")
        DONE = "done", _("Debrief")

    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="simulator_runs",
                                   verbose_name=_("practitioner"))
    clinic_parent = "membership"
    vignette = models.CharField(_("case"), max_length=64)
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, default=Step.HISTORY)
    answers = models.JSONField(_("answers"), default=dict)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    breakdown = models.JSONField(_("score by part"), default=dict, blank=True)
    knowledge_version = models.CharField(_("knowledge version"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("simulator run")
        verbose_name_plural = _("simulator runs")
        indexes = [models.Index(fields=["clinic", "membership", "vignette"], name="learning_simrun_who_case")]

    def __str__(self):
        name = localize.name(load(), "vignette", self.vignette)
        if self.score is None:
            return _("%(case)s, unfinished") % {"case": name}
        return _("%(case)s: %(score)s of 100") % {"case": name, "score": self.score}
