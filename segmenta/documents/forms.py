"""The referral letter's form: prefilled from the chart, edited before printing."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Recipient


class ReferralForm(forms.Form):
    recipient = forms.ChoiceField(label=pgettext_lazy("the addressee of a letter", "To"), choices=Recipient.choices)
    recipient_name = forms.CharField(
        label=_("Name and address"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Of the colleague, as on the envelope."))
    question = forms.CharField(label=_("Question"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("What you ask the colleague to examine or treat."))
    findings = forms.CharField(label=_("Findings"), required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 5}))
    tested_fields = forms.CharField(label=_("Candidate fields tested"), required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 4}))
    red_flags = forms.CharField(label=_("Red flags"), required=False, max_length=5000,
                                widget=forms.Textarea(attrs={"rows": 3}))

    TEXTS = ("recipient_name", "question", "findings", "tested_fields", "red_flags")

    def texts(self):
        """The texts as kept: line ends as "\n" (a browser sends "\r\n"), no stray spaces around."""
        return {name: "\n".join(line.rstrip() for line in self.cleaned_data[name].strip().splitlines())
                for name in self.TEXTS}
