from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action


class AuditSearchForm(forms.Form):
    patient = forms.IntegerField(label=_("Patient ID"), required=False, min_value=1)
    user = forms.CharField(label=_("Username"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any"))] + Action.choices)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("'To' lies before 'From'."))
        return cleaned
