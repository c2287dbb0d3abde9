"""Forms for the chart items. Coded lists use the knowledge base's vocabularies."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from segmenta.knowledge import localize
from segmenta.knowledge.base import load
from segmenta.l10n import DecimalInput
from segmenta.stored_dates import DateInput, DateTimeInput
from segmenta.validators import load_json

from . import models as m
from . import validation
from .corrections import check_reason

DATE_HINT = _("YYYY, YYYY-MM or YYYY-MM-DD; a year alone is fine")


def _codes(kind, label, required=False):
    return forms.MultipleChoiceField(label=label, choices=localize.choices(kind), required=required,
                                     widget=forms.CheckboxSelectMultiple)


class ChartForm(forms.ModelForm):
    """A chart item's form. Fields named in ``placed_elsewhere`` are drawn outside the
    form's main card (the body map, the named regions, the signature pad); every other
    field, hidden or not, is rendered by the main card, so none can go missing."""

    placed_elsewhere = ()

    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.placed_elsewhere]

    def error_summary(self):
        """Every field's errors with its label, in form order, for the summary at the top
        of the page: errors of fields drawn elsewhere or hidden stay visible too."""
        return [{"label": self[name].label, "errors": self.errors[name],
                 "anchor": None if self[name].is_hidden else self[name].auto_id}
                for name in self.fields if name in self.errors]


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
            parsed = load_json(value)
        except (TypeError, ValueError):
            raise forms.ValidationError(_("The body-map selection could not be read.")) from None
        # Regions as the chart keeps them: [{"choir": 118, "side": "left"}, {"region": "shoulder"}, …].
        validation.regions(parsed)
        return parsed


class RegionFormMixin(ChartForm):
    """Regions come from two inputs: segments clicked on the body map, and named regions
    picked from a list (for areas the map does not show, or without a pointer)."""

    placed_elsewhere = ("map_regions", "named_regions", "named_side")

    map_regions = RegionsField(label=_("Body map"))
    named_regions = forms.MultipleChoiceField(label=_("Named regions"), choices=localize.choices("region"),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    named_side = forms.ChoiceField(label=_("Side of the named regions"), required=False,
                                   choices=[("", "—")] + localize.choices("side"))

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
    # Red flags only: findings the safety rules ask for (a normal INR) belong to the session.
    findings = forms.MultipleChoiceField(
        label=_("Red-flag findings"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(code, label) for code, label in localize.choices("finding")
                         if load().get("red-flag", code) is not None])

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


DATE_WIDGET = DateInput()


class WeightForm(ChartForm):
    class Meta:
        model = m.WeightMeasurement
        fields = ["date", "weight_kg", "height_cm"]
        widgets = {"date": DATE_WIDGET,
                   "weight_kg": DecimalInput(), "height_cm": DecimalInput()}
        localized_fields = ["weight_kg", "height_cm"]
        help_texts = {"height_cm": _("Optional; with the weight it gives the lean body weight for emergency "
                                     "doses.")}


class AllergyForm(ChartForm):
    class Meta:
        model = m.Allergy
        fields = ["substance", "allergy_class", "reaction", "active"]


class MedicationForm(ChartForm):
    class Meta:
        model = m.Medication
        fields = ["name", "medication_class", "dose", "last_dose", "active"]
        widgets = {"last_dose": DateTimeInput()}


class ConditionForm(ChartForm):
    class Meta:
        model = m.Condition
        fields = ["code", "text", "active"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("code") and not cleaned.get("text"):
            raise forms.ValidationError(_("Pick a coded condition or describe it."))
        return cleaned


class PregnancyForm(ChartForm):
    class Meta:
        model = m.PregnancyStatus
        fields = ["date", "status", "note"]
        widgets = {"date": DATE_WIDGET}


class ReviewForm(ChartForm):
    """A review of the allergy or medication list on a date other than today, or with a note."""

    class Meta:
        model = m.ChartReview
        fields = ["kind", "date", "note"]
        widgets = {"date": DATE_WIDGET}
        help_texts = {"note": _("e.g. asked the patient and checked the medication plan")}


class ConsentForm(ChartForm):
    placed_elsewhere = ("signature_svg",)
    scopes = _codes("consent_scope", _("Covers"))
    scopes.help_text = _("A consent given covers at least one of these; a refusal may name what it refuses.")

    class Meta:
        model = m.Consent
        fields = ["date", "decision", "scopes", "scope", "method", "scan", "signature_svg", "withdrawn_on",
                  "withdrawal_note"]
        widgets = {"date": DATE_WIDGET,
                   "withdrawn_on": DATE_WIDGET,
                   "scope": forms.Textarea(attrs={"rows": 3}),
                   "signature_svg": forms.HiddenInput}
        labels = {"method": _("How it was signed")}
        help_texts = {
            "scope": _("What was explained, and what the patient agreed to or refused, e.g. segmental and "
                       "interference-field injections with procaine."),
            "method": _("A refusal needs no signature; a consent given does."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A consent is withdrawn after it was given: the fields come with its edit form.
            del self.fields["withdrawn_on"], self.fields["withdrawal_note"]


class EnteredInErrorForm(forms.Form):
    """Why an entry is marked "entered in error": wrong patient, typing error, …"""

    reason = forms.CharField(
        label=_("Why was it entered in error?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the entry was entered in error.")},
        help_text=_("e.g. recorded in the wrong patient's chart, or a typing error. The entry stays in the chart, "
                    "struck through, and no longer counts."))

    def clean_reason(self):
        try:
            return check_reason(self.cleaned_data["reason"])
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["reason"]) from None
