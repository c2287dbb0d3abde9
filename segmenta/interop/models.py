"""What the FHIR import remembers (segmenta/interop/fhir/imports.py): each run and its report,
each resource it has taken (so that importing the same data again adds nothing), the other
system's identifiers of the patients it matched, the candidate interference fields it
proposes until the practitioner accepts or rejects them, and the patients it could not match
with certainty, held until someone decides."""

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.scoping import ClinicScoped
from segmenta.knowledge import localize
from segmenta.patients import validation


class ImportRun(models.Model):
    """One import (an upload, a transaction Bundle, a command) and its report."""

    class Via(models.TextChoices):
        UPLOAD = "upload", _("Upload page")
        FHIR = "fhir", _("FHIR transaction")
        CLI = "cli", _("Command line")

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("imported"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("imported by"))
    via = models.CharField(_("through"), max_length=10, choices=Via.choices)
    files = models.CharField(_("files"), max_length=1000, blank=True)
    report = models.JSONField(_("report"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("import")

    def __str__(self):
        return _("Import of %(when)s (%(via)s)") % {"when": date_format(localtime(self.at), "SHORT_DATETIME_FORMAT"),
                                                    "via": self.get_via_display()}


class ImportedResource(models.Model):
    """A resource of another system, taken once: ``key`` is its type and id (or, without an id,
    a hash of its content); ``target`` says what it became ("allergy:12", "proposal:3",
    "patient:7", "refused")."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)
    digest = models.CharField(max_length=64)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=60)
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="imported_resource_once_per_clinic")]

    def __str__(self):
        return f"{self.key} → {self.target}"


class PatientIdentifier(models.Model):
    """Another system's identifier of one of the clinic's patients, as an import met it."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    system = models.CharField(max_length=300, blank=True)
    value = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "system", "value"],
                                               name="patient_identifier_once_per_clinic")]

    def __str__(self):
        return f"{self.system}|{self.value}" if self.system else self.value


class Decided(models.Model):
    """Who decided (accepted, rejected, said who a patient is) and when; empty while open."""

    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        abstract = True


class FieldProposal(ClinicScoped, Decided):
    """A candidate interference field an import found in another system's records. It is not
    part of the chart until the practitioner accepts it (then it becomes a history item)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="field_proposals")
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=localize.choices("history_kind"))
    tooth = models.CharField(_("tooth (FDI)"), max_length=2, choices=localize.choices("tooth"), blank=True)
    date = models.CharField(_("date"), max_length=10, blank=True, validators=[validation.partial_date])
    regions = models.JSONField(_("body regions"), default=list, blank=True, validators=[validation.regions])
    organs = models.JSONField(_("organs"), default=list, blank=True, validators=[validation.organs])
    description = models.CharField(_("description"), max_length=300)
    # Where it comes from: [{"resource": "Procedure/…", "system": "…", "code": "…", "display": "…",
    # "map": "snomed.11466000"}]
    origin = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    history_item = models.ForeignKey("patients.HistoryItem", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("proposed history item")

    def __str__(self):
        when = f" ({self.date})" if self.date else ""
        return f"{self.get_kind_display()}: {self.description}{when}"


class PendingPatient(Decided):
    """A patient of an import whom the clinic's patients matched only in part (same name, other
    birth date; or several candidates): held, with everything of theirs the import read, until
    someone says who it is."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(max_length=300)
    name = models.CharField(max_length=210)
    birth_date = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=300)
    candidates = models.ManyToManyField("patients.Patient", related_name="+")
    resources = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        born = f" ({self.birth_date})" if self.birth_date else ""
        return f"{self.name}{born}"
