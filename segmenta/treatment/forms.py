from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from segmenta import l10n
from segmenta.l10n import DecimalInput
from segmenta.patients.chart_forms import RegionsField
from segmenta.patients.models import Complaint, HistoryItem
from segmenta.stored_dates import DateInput, DateTimeInput

from .sessions import time_error
from .models import (AdverseEvent, Amendment, ComplaintScore, FollowUp, Injection, Lot, PlanReview, Product, Session,
                     TreatmentPlan)
from .stockroom import StockError, choose_lot, in_stock, lot_label

LOCAL_DATETIME = DateTimeInput()


class PlanForm(forms.ModelForm):
    class Meta:
        model = TreatmentPlan
        fields = ["complaint", "goals", "approach", "sessions_min", "sessions_max", "reassess_after", "review_rule",
                  "status"]
        labels = {"complaint": capfirst(_("complaint"))}  # the model's field has no label of its own
        widgets = {"goals": forms.Textarea(attrs={"rows": 3}), "approach": forms.Textarea(attrs={"rows": 4}),
                   "review_rule": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        complaints = Complaint.objects.filter(patient=patient, entered_in_error_at=None)
        self.fields["complaint"].queryset = complaints
        if not self.is_bound and len(complaints) == 1:
            self.fields["complaint"].initial = complaints[0]  # the only one: nothing to choose


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
    prefix = "notes"

    class Meta:
        model = Session
        fields = ["notes", "inr_normal"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class ProductSelect(forms.Select):
    """The clinic's products, each option saying its drug and strength (the page's script
    fills and locks the drug and strength fields from them)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        product = getattr(value, "instance", None)
        if product is not None:
            option["attrs"]["data-drug"] = product.drug
            option["attrs"]["data-concentration"] = f"{product.concentration_percent:g}"
            # As the strength field shows it in the page's language ("0,5" in German).
            option["attrs"]["data-concentration-text"] = l10n.number(product.concentration_percent)
        return option


class LotSelect(forms.Select):
    """The lots in stock, each option naming its product (the page's script shows only the
    lots of the product picked and proposes the first, which expires first)."""

    lots = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        lot = self.lots.get(str(value))
        if lot is not None:
            option["attrs"]["data-product"] = str(lot.product_id)
        return option


class InjectionForm(forms.ModelForm):
    """One injection as the treatment room enters it. A product from the clinic's list sets
    the drug and strength; the injecting practitioner (scope and training are checked
    against them) is the user at the keyboard unless another is picked.

    The page shows the fields of a routine injection first (``primary``) and folds the
    rarer ones away (``details``)."""

    prefix = "injection"
    primary = ("target", "product", "volume_ml", "stock_lot", "drug", "concentration_percent", "aspiration_done",
               "time")
    details = ("side", "lot", "expiry", "performed_by", "history_item", "complaint", "technique_notes",
               "onset_seconds", "relief_percent", "duration_hours")

    map_regions = RegionsField(label=_("Site on the body map"))
    # Kept as typed when the live verdict redraws around it (hx-preserve).
    override_reason = forms.CharField(label=_("Physician's reason to override the block"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 2, "hx-preserve": "true"}),
                                      max_length=2000)

    class Meta:
        model = Injection
        fields = ["time", "target", "side", "product", "stock_lot", "drug", "concentration_percent", "volume_ml", "lot",
                  "expiry", "performed_by", "history_item", "complaint", "technique_notes", "aspiration_done",
                  "onset_seconds", "relief_percent", "duration_hours"]
        widgets = {"time": LOCAL_DATETIME, "expiry": DateInput(),
                   "volume_ml": DecimalInput(),
                   "product": ProductSelect,
                   "stock_lot": LotSelect,
                   "concentration_percent": DecimalInput(),
                   "onset_seconds": forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
                   "relief_percent": forms.NumberInput(attrs={"min": "0", "max": "100", "inputmode": "numeric"}),
                   "duration_hours": DecimalInput()}
        localized_fields = ["concentration_percent", "volume_ml", "duration_hours"]
        help_texts = {"product": _("From the clinic's product list; it sets the drug and strength."),
                      "drug": _("Only without a product."),
                      "stock_lot": _("The lot it is drawn from; empty: the product's lot that expires first."),
                      "lot": _("As printed on the ampoule or vial, for recalls; filled from the lot in stock.")}

    def __init__(self, *args, session, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        clinic = session.patient.clinic_id
        self.fields["history_item"].queryset = HistoryItem.objects.filter(clinic_id=clinic, patient=session.patient_id)
        self.fields["complaint"].queryset = Complaint.objects.filter(clinic_id=clinic, patient=session.patient_id)
        # Both optional: blank is an answer here, not a choice still to make.
        self.fields["history_item"].empty_label = _("None (not a test injection)")
        self.fields["complaint"].empty_label = _("None")
        self.fields["product"].queryset = Product.objects.filter(clinic=clinic, active=True)
        # Any lot of the clinic is accepted (an expired or empty one is refused with a reason,
        # not as an unknown choice); only those one can draw from are offered.
        lots = self.fields["stock_lot"]
        lots.queryset = Lot.objects.filter(clinic_id=clinic).select_related("product")
        offered = in_stock(clinic)
        lots.widget.lots = {str(lot.pk): lot for lot in offered}
        lots.widget.choices = [("", _("The product's lot that expires first"))] + [
            (str(lot.pk), lot_label(lot)) for lot in offered]
        self.fields["performed_by"].queryset = get_user_model().objects.filter(
            memberships__clinic=clinic, is_active=True).select_related("profile").order_by("username")
        self.fields["performed_by"].label_from_instance = _person
        self.fields["performed_by"].empty_label = _("Me (the user entering it)")
        self.fields["performed_by"].initial = user.pk if user is not None else None
        self.session = session
        now = timezone.localtime().replace(second=0, microsecond=0)
        # Now, unless the session is being charted afterwards: then the time of its last
        # injection so far, or its start.
        if time_error(session, now) is None:
            self.fields["time"].initial = now
        else:
            last = session.injections.order_by("-time").values_list("time", flat=True).first()
            self.fields["time"].initial = timezone.localtime(last or session.started_at)
        # With a product, drug and strength come from it; without one they are typed.
        self.fields["drug"].required = self.fields["concentration_percent"].required = False
        self.fields["drug"].choices = [("", "—")] + list(self.fields["drug"].choices)
        self.fields["drug"].initial = None
        # Who injects matters most when the one typing does not inject (an assistant).
        profile = getattr(user, "profile", None)
        if user is not None and (profile is None or not profile.verified_profession):
            self.primary = (*self.primary, "performed_by")
            self.details = tuple(name for name in self.details if name != "performed_by")
        if not self.is_bound:
            # The page opens ready for the next injection (session.js focuses it without
            # scrolling the safety strip away).
            self.fields["target"].widget.attrs["data-focus-first"] = "true"

    def primary_fields(self):
        return [self[name] for name in self.primary]

    def detail_fields(self):
        return [self[name] for name in self.details]

    def details_open(self):
        """Unfold the rarer fields when one of them holds a value or an error."""
        if not self.is_bound:
            return False
        return any(self[name].errors or self[name].data not in (None, "", False) for name in self.details
                   if name != "performed_by") or bool(self["performed_by"].errors)

    def clean_time(self):
        when = self.cleaned_data["time"]
        problem = time_error(self.session, when)
        if problem:
            raise forms.ValidationError(problem)
        return when

    def clean(self):
        cleaned = super().clean()
        lot = cleaned.get("stock_lot")
        if lot is not None and cleaned.get("product") is None and "product" not in self.errors:
            cleaned["product"] = lot.product  # the lot says which product it is
        product = cleaned.get("product")
        if product is not None and not self.errors:
            # The lot it is drawn from, now: the live verdict then sees its expiry.
            drawn = {name: cleaned.get(name) for name in ("stock_lot", "product", "lot", "expiry", "time")}
            try:
                choose_lot(self.session.patient.clinic_id, drawn)
            except StockError as error:
                self.add_error(error.field, error.message)
            else:
                cleaned.update(drawn)
        if product is not None:
            # The product says what is in the syringe; a drug or strength typed as well must agree.
            for name, value in (("drug", product.drug), ("concentration_percent", product.concentration_percent)):
                if cleaned.get(name) not in (None, "") and cleaned[name] != value:
                    self.add_error(name, _("%(product)s holds %(drug)s %(conc)s %%; leave this empty or match it.")
                                   % {"product": product.name, "drug": product.get_drug_display(),
                                      "conc": l10n.number(product.concentration_percent)})
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


class InjectionResponseForm(forms.ModelForm):
    """The response to a saved injection, added later while the session is a draft."""

    class Meta:
        model = Injection
        fields = ["onset_seconds", "relief_percent", "duration_hours"]
        widgets = {"onset_seconds": forms.NumberInput(attrs={"min": "0", "inputmode": "numeric"}),
                   "relief_percent": forms.NumberInput(attrs={"min": "0", "max": "100", "inputmode": "numeric"}),
                   "duration_hours": DecimalInput()}
        localized_fields = ["duration_hours"]

    def __init__(self, *args, instance, **kwargs):
        super().__init__(*args, instance=instance, prefix=f"response-{instance.pk}", **kwargs)


class RemoveInjectionForm(forms.Form):
    """Why a mistaken injection is removed from a draft (kept with its versions)."""

    # As long as the version history keeps a reason.
    reason = forms.CharField(label=_("Why is it removed?"), max_length=100,
                             help_text=_("For example: entered twice, entered for the wrong patient."))

    def __init__(self, *args, injection, **kwargs):
        super().__init__(*args, prefix=f"remove-{injection.pk}", **kwargs)


class ScoreForm(forms.ModelForm):
    prefix = "nrs"

    class Meta:
        model = ComplaintScore
        fields = ["complaint", "pre_nrs", "post_nrs"]
        labels = {"complaint": capfirst(_("complaint"))}

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["complaint"].queryset = Complaint.objects.filter(clinic_id=session.clinic_id, patient=session.patient_id,
                                                                   status="active")


class AdverseEventForm(forms.ModelForm):
    """An adverse event with what a pharmacovigilance report needs: the injection it
    followed, the time (for the time to onset), severity, WHO-UMC causality, outcome and
    the treatment given."""

    prefix = "event"

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
        self.fields["injection"].label_from_instance = _injection_label
        self.fields["occurred_at"].required = True
        now = timezone.localtime().replace(second=0, microsecond=0)
        # Now, unless the session is being charted afterwards: then no default at all. The
        # session's start would give a plausible but invented "0 min to onset" in the
        # pharmacovigilance report; the field is required, so the real time is typed.
        self.fields["occurred_at"].initial = now if time_error(session, now) is None else None
        self.fields["injection"].empty_label = _("Not after an injection")


class FollowUpForm(forms.ModelForm):
    prefix = "follow-up"

    class Meta:
        model = FollowUp
        fields = ["reported_at", "injection", "relief_hours", "reaction", "notes"]
        labels = {"injection": _("Injection")}  # the model's field has no label of its own
        widgets = {"reported_at": LOCAL_DATETIME, "notes": forms.Textarea(attrs={"rows": 2}),
                   "relief_hours": DecimalInput()}
        localized_fields = ["relief_hours"]

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["injection"].queryset = session.injections.all()
        self.fields["injection"].label_from_instance = _injection_label
        self.fields["injection"].empty_label = _("The session as a whole")
        self.fields["reported_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_reported_at(self):
        when = self.cleaned_data["reported_at"]
        if when is not None and when < self.session.started_at:
            raise forms.ValidationError(_("A follow-up is reported after its session (%(start)s), not before.")
                                        % {"start": l10n.moment(self.session.started_at)})
        return when

    def clean(self):
        cleaned = super().clean()
        when, injection = cleaned.get("reported_at"), cleaned.get("injection")
        if when is not None and injection is not None and when < injection.time:
            self.add_error("reported_at", _("A follow-up is reported after the injection it is about (%(time)s).")
                           % {"time": l10n.moment(injection.time)})
        return cleaned


def _injection_label(injection):
    """An injection in a drop-down: its number, target and time."""
    return f"#{injection.order} {injection.get_target_display()} · {timezone.localtime(injection.time):%H:%M}"


class AmendmentForm(forms.ModelForm):
    prefix = "amendment"

    class Meta:
        model = Amendment
        fields = ["reason", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class PlanReviewForm(forms.ModelForm):
    class Meta:
        model = PlanReview
        fields = ["red_flags_rescreened", "decision", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
