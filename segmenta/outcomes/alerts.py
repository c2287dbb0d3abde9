"""Who may acknowledge an alert, and the form to do it (the Django side of alerts; the
rules that raise them are in the knowledge base and ``scoring.alerts``)."""

from django import forms
from django.utils.translation import gettext_lazy

from segmenta.accounts.models import Membership, Role

CLINICIAN_ROLES = (Role.ADMIN, Role.PRACTITIONER)


def can_acknowledge(user, patient):
    """Practitioners and clinic admins of the patient's clinic; assistants see alerts only."""
    return Membership.objects.filter(user=user, clinic_id=patient.clinic_id, role__in=CLINICIAN_ROLES).exists()


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=gettext_lazy("For example the result of the risk assessment and what was agreed."))
