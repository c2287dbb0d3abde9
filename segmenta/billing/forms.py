"""The billing pages' forms: the clinic's billing settings, a payment, a line from the fee
schedule and the accountant's export period."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segmenta.l10n import DecimalInput
from segmenta.stored_dates import DateInput

from .models import BillingSettings, Payment


class BillingSettingsForm(forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = ["legal_name", "street", "postcode", "city", "country", "tax_number", "vat_id", "iban", "bic",
                  "bank_name", "payment_days", "reminder_days", "vat_exemption_note", "number_prefix"]

    def clean_iban(self):
        value = self.cleaned_data["iban"].replace(" ", "").upper()
        if value:
            from stdnum import iban

            if not iban.is_valid(value):
                raise forms.ValidationError(_("This IBAN is not valid (check its digits)."))
        return value

    def clean_country(self):
        return self.cleaned_data["country"].upper()


class PaymentForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.DecimalField(label=_("Amount"), max_digits=10, decimal_places=2, min_value=0.01, localize=True,
                                widget=DecimalInput())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be in the future."))
        return value


class AddLineForm(forms.Form):
    code = forms.ChoiceField(label=_("Code"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=99, initial=1)
    factor = forms.DecimalField(label=_("Factor"), required=False, max_digits=4, decimal_places=2, min_value=1,
                                localize=True, widget=DecimalInput(),
                                help_text=_("Empty: the schedule's usual factor."))
    price = forms.DecimalField(label=_("Price"), required=False, max_digits=10, decimal_places=2, min_value=0.01,
                               localize=True, widget=DecimalInput(),
                               help_text=_("Only for a code without a price in the fee schedule (e.g. the drug)."))

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(c["id"], f"{c['code']} — {c['description']}") for c in codes]


class ExportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period must not be before its start."))
        return data
