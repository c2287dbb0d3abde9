"""The Training page's forms: a continuing-education record, a practitioner's period start,
and a clinic's own requirement."""

from django import forms
from django.utils.translation import gettext_lazy as _

from segmenta.accounts.models import TrainingKind, TrainingRecord
from segmenta.knowledge import localize
from segmenta.l10n import DecimalInput
from segmenta.stored_dates import DateInput

from .models_ce import ClinicRequirement, TrainingCycle


def body_choices(kb):
    """The knowledge base's awarding bodies in the active language, "other" last."""
    bodies = sorted(kb.all("awarding-body") if "awarding-body" in kb.kinds() else [],
                    key=lambda e: (e["id"] == "other", localize.text(e).lower()))
    return [(e["id"], localize.text(e)) for e in bodies]


class RecordForm(forms.ModelForm):
    """A course, certificate, diploma or CME event, as its certificate states it."""

    techniques = forms.MultipleChoiceField(
        label=_("Techniques covered"), choices=localize.choices("injection_target"),
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("The injection techniques it taught: the scope check counts these as trained."))

    class Meta:
        model = TrainingRecord
        fields = ["kind", "course", "awarding_body", "provider", "date", "credits", "expiry", "hours",
                  "techniques", "certificate"]
        widgets = {"date": DateInput(), "expiry": DateInput(), "hours": DecimalInput(), "credits": DecimalInput()}
        localized_fields = ["hours", "credits"]
        labels = {"course": _("Title"), "provider": _("Provider or organiser")}

    def __init__(self, *args, kb, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["awarding_body"] = forms.ChoiceField(
            label=_("Awarding body"), required=False, choices=[("", "—")] + body_choices(kb),
            help_text=self.fields["awarding_body"].help_text)


class CycleForm(forms.ModelForm):
    class Meta:
        model = TrainingCycle
        fields = ["starts"]
        widgets = {"starts": DateInput()}


class RequirementForm(forms.ModelForm):
    """A clinic admin's own requirement for the team."""

    kinds = forms.MultipleChoiceField(label=_("Kinds that count"), choices=TrainingKind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text=_("None ticked: every kind of record counts."))

    class Meta:
        model = ClinicRequirement
        fields = ["name", "credits", "period_years", "cycle_start", "kinds", "awarding_bodies", "role", "profession"]
        widgets = {"cycle_start": DateInput()}

    def __init__(self, *args, kb, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["awarding_bodies"] = forms.MultipleChoiceField(
            label=_("Awarding bodies that count"), choices=body_choices(kb), required=False,
            widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: records from any body count."))
