from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.models import Clinic
from segmenta.stored_dates import DateInput

from .models import Patient, offered_language


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["clinic", "family_name", "given_name", "birth_date", "sex", "language", "record_number", "phone",
                  "email", "address"]
        widgets = {"birth_date": DateInput(), "address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.is_bound:
            # A new patient most likely speaks the language the clinician registering them
            # works in (their profile's or browser's choice); the clinic has no language of its own.
            self.initial.setdefault("language", offered_language(get_language()))
        self.fields["language"].required = False  # a form sent without it keeps the default
        clinics = Clinic.objects.filter(memberships__user=user)
        if self.instance.pk or clinics.count() == 1:
            # A patient stays in the clinic that holds the chart.
            del self.fields["clinic"]
            self._clinic = self.instance.clinic if self.instance.pk else clinics.first()
        else:
            self.fields["clinic"].queryset = clinics
            self._clinic = None

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The birth date lies in the future."))
        return value  # the model refuses a date before 1900, as it does every date out of range

    def clean_language(self):
        if self.cleaned_data["language"]:
            return self.cleaned_data["language"]
        return self.instance.language if self.instance.pk else offered_language(get_language())

    def clean(self):
        cleaned = super().clean()
        clinic = cleaned.get("clinic") or self._clinic
        number = cleaned.get("record_number")
        if clinic and number:
            clash = Patient.objects.filter(clinic=clinic, record_number=number).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("record_number", _("Another patient of this clinic has this record number."))
        return cleaned

    def save(self, commit=True):
        if self._clinic is not None:
            self.instance.clinic = self._clinic
        return super().save(commit=commit)
