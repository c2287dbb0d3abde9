"""Forms of the stock: receiving a lot and writing units off."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from segmenta import l10n
from segmenta.l10n import DecimalInput
from segmenta.stored_dates import DateInput

from .models import Lot, Product, WriteOff
from .stock import lot_key, shown
from .stockroom import other_expiry


class ReceiveForm(forms.ModelForm):
    """A delivery: product, lot and expiry as printed on the pack, and how many units came.
    A lot of the product already on the shelf with the same expiry is added to; the same
    number with another expiry is a typing error (a lot has one expiry).

    Each form shown carries a one-time ``token`` that its delivery keeps: sent twice, the
    form records one delivery (``stockroom.receive`` says how)."""

    token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Lot
        fields = ["product", "number", "expiry", "quantity_received", "received_on", "note"]
        widgets = {"expiry": DateInput(), "received_on": DateInput(),
                   "quantity_received": forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"})}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.instance.clinic = clinic
        self.fields["product"].queryset = Product.objects.filter(clinic=clinic, active=True)
        self.fields["quantity_received"].help_text = _("In units (ampoules or vials), not packs.")
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4()
        self.existing = None

    def clean_number(self):
        number = lot_key(self.cleaned_data["number"])
        if not number:
            raise forms.ValidationError(_("Enter the lot number."))
        return number

    def clean_product(self):
        product = self.cleaned_data["product"]
        if product is not None and not product.unit_volume_ml:
            raise forms.ValidationError(_("Set the volume per unit of %(product)s on the products page first: "
                                          "without it no draw can be counted.") % {"product": product.name})
        return product

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("token"):
            # A hidden field: what is wrong with it is said above the form, where it can be seen.
            self.errors.pop("token", None)
            self.add_error(None, _("This form was not opened here or is out of date: open “Receive stock” again."))
        product, number, expiry = cleaned.get("product"), cleaned.get("number"), cleaned.get("expiry")
        received_on = cleaned.get("received_on")
        if expiry and received_on and expiry < received_on:
            # An expired pack must not go on the shelf: it goes back to the supplier.
            self.add_error("expiry", _("This lot had expired when it was received (%(date)s): send it back "
                                       "instead of putting it on the shelf.") % {"date": l10n.day(expiry)})
        if product is not None and number:
            self.existing = Lot.objects.filter(clinic=self.clinic, product=product, number=number).first()
            if self.existing is not None and expiry and self.existing.expiry != expiry:
                self.add_error("expiry", other_expiry(number, self.existing.expiry))
        return cleaned

    def _get_validation_exclusions(self):
        """The lot number's uniqueness is ``stockroom.receive``'s to settle, under the product's
        lock: a lot on record is added to. Checked here it races: another delivery of the same
        new lot may commit between ``clean`` looking for the lot and this check, and the second
        sender of a double click got a 400 instead of "recorded already"."""
        return set(super()._get_validation_exclusions()) | {"number"}

    def _post_clean(self):
        """A second delivery of a lot on record adds to it (``existing``): no new lot is built,
        so the number's uniqueness is not an error here. The delivery's own values (its day,
        its units, its note) are still checked as a new lot's are: a delivery received in the
        future is refused for the lot on record as for a new one."""
        if self.existing is None:
            super()._post_clean()
            return
        data = self.cleaned_data
        delivery = Lot(clinic=self.clinic, product=self.existing.product, number=self.existing.number,
                       expiry=self.existing.expiry, quantity_received=data.get("quantity_received"),
                       received_on=data.get("received_on"), note=data.get("note", ""))
        # The product, number and expiry are the lot's on record (clean() compared them).
        exclude = set(self._get_validation_exclusions()) | {"clinic", "product", "number", "expiry", "received_by"}
        try:
            delivery.clean_fields(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)


class WriteOffForm(forms.ModelForm):
    class Meta:
        model = WriteOff
        fields = ["units", "reason", "note"]
        localized_fields = ["units"]
        widgets = {"units": DecimalInput()}

    def __init__(self, *args, lot, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot = lot
        self.fields["note"].help_text = _("What happened; required for “Other”.")
        if not lot.product.multi_dose:
            self.fields["units"].help_text = _("Whole ampoules.")
        else:
            self.fields["units"].help_text = _("Vials; the rest of an opened vial as a fraction, e.g. 0.4.")

    def clean_units(self):
        units = self.cleaned_data["units"]
        if not self.lot.product.multi_dose and units != units.to_integral_value():
            raise forms.ValidationError(_("A single-dose ampoule is written off whole."))
        if units > self.lot.on_hand:
            raise forms.ValidationError(_("Only %(left)s units of this lot are left.")
                                        % {"left": l10n.number(shown(self.lot.on_hand))})
        return units

    def clean(self):
        cleaned = super().clean()
        cleaned["note"] = (cleaned.get("note") or "").strip()
        if cleaned.get("reason") == WriteOff.Reason.OTHER and not cleaned["note"]:
            self.add_error("note", _("Say why these units are written off."))
        return cleaned

