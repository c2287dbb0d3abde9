"""Forms of the clinic's product list, the lot search (recalls) and the daily
emergency-equipment check."""

from django import forms
from django.utils.translation import gettext_lazy as _

from segmenta.l10n import DecimalInput

from .models import Product
from .stock import lot_key


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "drug", "concentration_percent", "preservative", "multi_dose", "units_per_pack",
                  "unit_volume_ml", "low_stock_units", "unit_price", "active"]
        localized_fields = ["concentration_percent", "unit_volume_ml", "unit_price"]
        widgets = {"concentration_percent": DecimalInput(), "unit_volume_ml": DecimalInput(),
                   "unit_price": DecimalInput()}

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["active"].help_text = _("Untick to retire a product: it stays on past injections.")
        self.fields["preservative"].help_text = _("Preserved products are refused at retrobulbar, ciliary and "
                                                  "neuraxial-adjacent targets.")
        if self.locked_by_lots():
            for name in Product.COUNTED_BY:
                self.fields[name].help_text = _("Fixed: lots of this product are on record.")

    def locked_by_lots(self):
        """The pack data past draws were counted by, fixed once lots are on record (the
        model's clean refuses a change; the page says so before anyone tries)."""
        return bool(self.instance.pk) and self.instance.lots.exists()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        others = Product.objects.filter(clinic=self.clinic, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Your clinic already has a product of this name."))
        return name


class LotSearchForm(forms.Form):
    lot = forms.CharField(label=_("Lot"), max_length=40,
                          help_text=_("As printed on the pack; upper or lower case does not matter."))
    product = forms.ModelChoiceField(label=_("Product (optional)"), queryset=Product.objects.none(), required=False)

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(clinic__in=clinics)

    def clean_lot(self):
        lot = self.cleaned_data["lot"].strip()
        if not lot_key(lot):  # spaces alone (a no-break or zero-width one survives strip())
            raise forms.ValidationError(_("Enter the lot number."))
        return lot


class EquipmentCheckForm(forms.Form):
    """One tick box per item of the knowledge base's equipment list, and a note. Anything
    not ticked makes the check incomplete, and then the note must say what is missing
    and what was done about it."""

    note = forms.CharField(label=_("Note"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Required when anything is missing or out of date: what, and what you did."))

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item['id']}"] = forms.BooleanField(label=item["name"], required=False)
        self.order_fields([f"item_{item['id']}" for item in items] + ["note"])

    def ticked(self):
        return [item["id"] for item in self.items if self.cleaned_data.get(f"item_{item['id']}")]

    def clean(self):
        cleaned = super().clean()
        if len(self.ticked()) < len(self.items) and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Something is not ticked: say what is missing and what you did about it."))
        return cleaned
