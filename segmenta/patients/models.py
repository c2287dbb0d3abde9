"""Patients. Every patient belongs to exactly one clinic; nobody outside it sees them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from segmenta.knowledge import vocabulary


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Patients of the clinics ``user`` belongs to: the one gate for pages, API and exports."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(clinic__memberships__user=user)

    def search(self, q):
        """Every word must match a name part, or the whole record number."""
        queryset = self
        for term in q.split()[:5]:
            queryset = queryset.filter(
                models.Q(family_name__icontains=term)
                | models.Q(given_name__icontains=term)
                | models.Q(record_number__iexact=term)
            )
        return queryset


class Patient(models.Model):
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    record_number = models.CharField(
        _("record number"), max_length=32, blank=True, help_text=_("The clinic's own chart number, if it uses one.")
    )
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=10, choices=vocabulary.choices("sex"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"],
                condition=~models.Q(record_number=""),
                name="record_number_unique_per_clinic",
            )
        ]
        indexes = [models.Index(fields=["clinic", "family_name", "given_name"])]

    def __str__(self):
        return f"{self.family_name}, {self.given_name}"

    @property
    def display_name(self):
        return f"{self.given_name} {self.family_name}"
