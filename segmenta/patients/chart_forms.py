"""Forms for the chart items. Coded lists use the knowledge base's vocabularies."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from segmenta.knowledge import vocabulary

from . import models as m
from . import validation

DATE_HINT = _("YYYY, YYYY-MM or YYYY-MM-DD; a year alone is fine")


def _codes(kind, label, required=False):
    return forms.MultipleChoiceField(label=label, choices=vocabulary.choices(kind), required=required,
                                     widget=forms.CheckboxSelectMultiple)


class RegionsField(forms.CharField):
    """Body-map segments as JSON, kept in a hidden input that the map's script fills."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        return json.dumps(value) if isinstance(value, list) else (value or "[]")

    def to_python(self, value):
        if value in (None, ""):
            return []
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("The body-map selection could not be read.")) from None
        return parsed


class RegionFormMixin(forms.ModelForm):
    """Regions come from two inputs: segments clicked on the body map, and named regions
    picked from a list (for areas the map does not show, or without a pointer)."""

    map_regions = RegionsField(label=_("Body map"))
    named_regions = forms.MultipleChoiceField(label=_("Named regions"), choices=vocabulary.choices("region"),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    named_side = forms.ChoiceField(label=_("Side of the named regions"), required=False,
                                   choices=[("", "—")] + vocabulary.choices("side"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = self.instance.regions or []
        self.initial.setdefault("map_regions", [r for r in regions if "choir" in r])
        named = [r for r in regions if "region" in r]
        self.initial.setdefault("named_regions", [r["region"] for r in named])
        self.initial.setdefault("named_side", next((r["side"] for r in named if "side" in r), ""))

    def clean(self):
        cleaned = super().clean()
        side = cleaned.get("named_side")
        named = [{"region": r, **({"side": side} if side else {})} for r in cleaned.get("named_regions", [])]
        combined = list(cleaned.get("map_regions") or []) + named
        try:
            validation.regions(combined)
        except forms.ValidationError as error:
            self.add_error("map_regions", error)
        else:
            self.instance.regions = combined
        return cleaned


class ComplaintForm(RegionFormMixin):
    organs = _codes("organ", _("Organs"))
    findings = _codes("finding", _("Red-flag findings"))

    class Meta:
        model = m.Complaint
        fields = ["description", "onset", "nrs", "organs", "findings", "status", "notes"]
        widgets = {"onset": forms.TextInput(attrs={"placeholder": "2019-06", "inputmode": "numeric"}),
                   "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"onset": DATE_HINT}


class HistoryItemForm(RegionFormMixin):
    organs = _codes("organ", _("Organs"))
    signs = _codes("sign", _("Signs"))

    class Meta:
        model = m.HistoryItem
        fields = ["kind", "tooth", "description", "date", "organs", "signs", "notes"]
        widgets = {"date": forms.TextInput(attrs={"placeholder": "1998", "inputmode": "numeric"}),
                   "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"date": DATE_HINT}


class WeightForm(forms.ModelForm):
    class Meta:
        model = m.WeightMeasurement
        fields = ["date", "weight_kg"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class AllergyForm(forms.ModelForm):
    class Meta:
        model = m.Allergy
        fields = ["substance", "allergy_class", "reaction", "active"]


class MedicationForm(forms.ModelForm):
    class Meta:
        model = m.Medication
        fields = ["name", "medication_class", "dose", "active"]


class ConditionForm(forms.ModelForm):
    class Meta:
        model = m.Condition
        fields = ["code", "text", "active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("code") and not cleaned.get("text"):
            raise forms.ValidationError(_("Pick a coded condition or describe it."))
        return cleaned


class PregnancyForm(forms.ModelForm):
    class Meta:
        model = m.PregnancyStatus
        fields = ["date", "status", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ConsentForm(forms.ModelForm):
    class Meta:
        model = m.Consent
        fields = ["date", "scope", "method", "scan", "signature_svg", "withdrawn_on", "withdrawal_note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "withdrawn_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "scope": forms.Textarea(attrs={"rows": 3}),
                   "signature_svg": forms.HiddenInput}
