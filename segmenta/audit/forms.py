from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from segmenta.stored_dates import DateInput

from .models import Action

# Ids are 64-bit; dates outside these years only overflow time-zone arithmetic.
MAX_ID = 2**63 - 1
DATE_RANGE = [MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(9998, 12, 31))]


class AuditSearchForm(forms.Form):
    patient = forms.IntegerField(label=_("Patient ID"), required=False, min_value=1, max_value=MAX_ID)
    user = forms.CharField(label=_("Username"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any"))] + Action.choices)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput(),
                                validators=DATE_RANGE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput(),
                              validators=DATE_RANGE)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("'To' lies before 'From'."))
        return cleaned
