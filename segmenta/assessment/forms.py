"""The red-flag screening form: one yes / no / not asked question per red flag."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segmenta.stored_dates import DateInput
from segmenta.validators import clinical_date

from . import screening

ANSWER_CHOICES = [(screening.YES, _("Yes")), (screening.NO, _("No")), (screening.NOT_ASKED, _("Not asked"))]


class ScreeningForm(forms.Form):
    date = forms.DateField(label=_("Date of the screening"), widget=DateInput(),
                           validators=[clinical_date(None)])  # clean_date() refuses a future day

    def __init__(self, *args, groups, recorded=(), **kwargs):
        """``groups`` as screening.questions() gives them; ``recorded`` are the findings
        the complaint already carries (their question starts at "yes")."""
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.groups = []
        for area, flags in groups:
            names = []
            for flag in flags:
                help_text = ""
                if flag.get("min_age_years"):
                    help_text = _("A red flag from the age of %(years)s.") % {"years": flag["min_age_years"]}
                self.fields[flag["id"]] = forms.ChoiceField(
                    label=flag["name"], choices=ANSWER_CHOICES, widget=forms.RadioSelect, help_text=help_text,
                    initial=screening.YES if flag["id"] in recorded else None,
                    error_messages={"required": _("Answer this question: yes, no or not asked.")})
                names.append(flag["id"])
            self.groups.append((area, names))

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The screening cannot lie in the future."))
        return value

    def codes(self):
        return [name for _area, names in self.groups for name in names]

    def answers(self):
        return {code: self.cleaned_data[code] for code in self.codes()}

    def grouped_fields(self):
        """[(area entry, [bound fields])] for the template."""
        return [(area, [self[name] for name in names]) for area, names in self.groups]
