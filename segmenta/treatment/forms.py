from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segmenta.patients.chart_forms import RegionsField
from segmenta.patients.models import Complaint, HistoryItem

from .sessions import time_error
from .models import (AdverseEvent, Amendment, ComplaintScore, FollowUp, Injection, PlanReview, Product, Session,
                     TreatmentPlan)

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PlanForm(forms.ModelForm):
    class Meta:
        model = TreatmentPlan
        fields = ["complaint", "goals", "approach", "sessions_min", "sessions_max", "reassess_after", "review_rule",
                  "status"]
        widgets = {"goals": forms.Textarea(attrs={"rows": 3}), "approach": forms.Textarea(attrs={"rows": 2}),
                   "review_rule": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complaint"].queryset = Complaint.objects.filter(patient=patient)


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["started_at", "plan", "notes"]
        widgets = {"started_at": LOCAL_DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = patient.plans.select_related("complaint")  # named by their complaint
        self.fields["started_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class SessionNotesForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["notes", "inr_normal"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class InjectionForm(forms.ModelForm):
    """One injection as the treatment room enters it. A product from the clinic's list sets
    the drug and strength; the injecting practitioner (scope and training are checked
    against them) is the user at the keyboard unless another is picked."""

    map_regions = RegionsField(label=_("Site on the body map"))
    # Kept as typed when the live verdict redraws around it (hx-preserve).
    override_reason = forms.CharField(label=_("Physician's reason to override the block"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"}),
                                      max_length=2000)

    class Meta:
        model = Injection
        fields = ["time", "target", "side", "product", "drug", "concentration_percent", "volume_ml", "lot", "expiry",
                  "performed_by", "history_item", "complaint", "technique_notes", "aspiration_done",
                  "onset_seconds", "relief_percent", "duration_hours"]
        widgets = {"time": LOCAL_DATETIME, "expiry": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "volume_ml": forms.NumberInput(attrs={"step": "0.1", "min": "0.05", "inputmode": "decimal"})}
        help_texts = {"product": _("From the clinic's product list; it sets the drug and strength."),
                      "lot": _("As printed on the ampoule or vial, for recalls.")}

    def __init__(self, *args, session, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        clinic = session.patient.clinic_id
        self.fields["history_item"].queryset = HistoryItem.objects.filter(patient=session.patient_id)
        self.fields["complaint"].queryset = Complaint.objects.filter(patient=session.patient_id)
        self.fields["product"].queryset = Product.objects.filter(clinic=clinic, active=True)
        self.fields["performed_by"].queryset = get_user_model().objects.filter(
            memberships__clinic=clinic, is_active=True).select_related("profile").order_by("username")
        self.fields["performed_by"].label_from_instance = _person
        self.fields["performed_by"].empty_label = _("Me (the user entering it)")
        self.fields["performed_by"].initial = user.pk if user is not None else None
        self.session = session
        now = timezone.localtime().replace(second=0, microsecond=0)
        # Now, unless the session is being charted afterwards: then its own start.
        self.fields["time"].initial = now if time_error(session, now) is None else \
            timezone.localtime(session.started_at)
        # With a product, drug and strength come from it; without one they are typed.
        self.fields["drug"].required = self.fields["concentration_percent"].required = False
        self.fields["drug"].choices = [("", "—")] + list(self.fields["drug"].choices)
        self.fields["drug"].initial = None

    def clean_time(self):
        when = self.cleaned_data["time"]
        problem = time_error(self.session, when)
        if problem:
            raise forms.ValidationError(problem)
        return when

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is not None:
            # The product says what is in the syringe; a drug or strength typed as well must agree.
            for name, value in (("drug", product.drug), ("concentration_percent", product.concentration_percent)):
                if cleaned.get(name) not in (None, "") and cleaned[name] != value:
                    self.add_error(name, _("%(product)s holds %(drug)s %(conc)s %%; leave this empty or match it.")
                                   % {"product": product.name, "drug": product.get_drug_display(),
                                      "conc": f"{product.concentration_percent:g}"})
            cleaned["drug"], cleaned["concentration_percent"] = product.drug, product.concentration_percent
        else:
            for name in ("drug", "concentration_percent"):
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("Pick a product, or give the drug and its strength."))
        return cleaned

    def injection(self):
        """The entered injection as add_injection() takes it."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["regions"] = self.cleaned_data["map_regions"]
        return data


def _person(user):
    """A colleague in the injector list: name and verified profession."""
    name = user.get_full_name() or user.username
    profile = getattr(user, "profile", None)
    profession = profile.get_profession_display() if profile is not None and profile.verified_profession else None
    return f"{name} ({profession})" if profession else f"{name} ({_('profession not verified')})"


class ScoreForm(forms.ModelForm):
    class Meta:
        model = ComplaintScore
        fields = ["complaint", "pre_nrs", "post_nrs"]

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complaint"].queryset = Complaint.objects.filter(patient=session.patient_id, status="active")


class AdverseEventForm(forms.ModelForm):
    """An adverse event with what a pharmacovigilance report needs: the injection it
    followed, the time (for the time to onset), severity, WHO-UMC causality, outcome and
    the treatment given."""

    class Meta:
        model = AdverseEvent
        fields = ["kind", "occurred_at", "injection", "severity", "causality", "outcome", "description",
                  "treatment_given"]
        widgets = {"occurred_at": LOCAL_DATETIME, "description": forms.Textarea(attrs={"rows": 2}),
                   "treatment_given": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"causality": _("Certain, probable, possible, unlikely, conditional or unassessable "
                                     "(WHO-UMC system)."),
                      "injection": _("The injection the event followed, if any: its drug, product and lot go "
                                     "into the report.")}

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["injection"].queryset = session.injections.all()
        self.fields["injection"].label_from_instance = lambda i: f"#{i.order} {i.get_target_display()} · " \
            f"{i.time.astimezone(timezone.get_current_timezone()):%H:%M}"
        self.fields["occurred_at"].required = True
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["reported_at", "injection", "relief_hours", "reaction", "notes"]
        widgets = {"reported_at": LOCAL_DATETIME, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["injection"].queryset = session.injections.all()
        self.fields["reported_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class AmendmentForm(forms.ModelForm):
    class Meta:
        model = Amendment
        fields = ["reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class PlanReviewForm(forms.ModelForm):
    class Meta:
        model = PlanReview
        fields = ["red_flags_rescreened", "decision", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
