"""Who may acknowledge an alert, and the form to do it (the Django side of alerts; the
rules that raise them are in the knowledge base and ``scoring.alerts``)."""

from django import forms
from django.utils.translation import gettext_lazy

from segmenta.accounts.models import Membership, Role

CLINICIAN_ROLES = (Role.ADMIN, Role.PRACTITIONER)


def can_acknowledge(user, patient):
    """A clinician of the patient's clinic: a practitioner or clinic admin whose profession a
    clinic admin verified. Assistants, and admins who run the office without a clinical
    profession, see alerts but cannot clear them."""
    profile = getattr(user, "profile", None)
    return (profile is not None and profile.verified_profession is not None
            and Membership.objects.filter(user=user, clinic_id=patient.clinic_id, role__in=CLINICIAN_ROLES).exists())


class AcknowledgeForm(forms.Form):
    # What was done belongs in the record: an alert is never cleared without it.
    note = forms.CharField(label=gettext_lazy("What was done"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=gettext_lazy("For example the result of the risk assessment and what was agreed."))
