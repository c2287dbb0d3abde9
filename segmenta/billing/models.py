"""The billing app's tables: each clinic's seller data, invoices with their lines, payments
and payment reminders, and the per-year counter that numbers invoices without gaps.

An invoice is a draft until it is issued; then it never changes (the model refuses, and a
database trigger refuses what gets past the model). A mistake is corrected by a cancellation
invoice, which carries the same lines with negative amounts and its own number, and then a
new draft. The only change an issued invoice still takes is being marked cancelled."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy as _

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped


def money(value):
    """An amount with two decimals in the page's language: 12,34 in German."""
    return formats.number_format(value, 2, use_l10n=True, force_grouping=True)


class ImmutableInvoice(Exception):
    """A change to an issued (or cancelled) invoice, its lines, or a payment's invoice gone."""


class BillingSettings(models.Model):
    """What an invoice needs to say about the clinic as seller (§14 UStG, EN 16931's seller)."""

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.CASCADE, related_name="billing_settings")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True,
                                  help_text=_("The seller's name as on the invoice; empty: the clinic's name."))
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE",
                               validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters, e.g. DE."))],
                               help_text=_("ISO code, e.g. DE, AT, CH."))
    tax_number = models.CharField(_("tax number"), max_length=40, blank=True)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    payment_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MinValueValidator(0), MaxValueValidator(365)])
    reminder_days = models.PositiveSmallIntegerField(
        _("days to pay after a reminder"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)])
    vat_exemption_note = models.CharField(
        _("VAT exemption note"), max_length=300, blank=True,
        help_text=_("Printed on every invoice as the reason it charges no VAT, in these words. Left empty, "
                    "each invoice gives its fee schedule's wording (e.g. the exemption of medical care under "
                    "§4 No. 14 (a) UStG) in the patient's language."))
    number_prefix = models.CharField(
        _("number prefix"), max_length=10, blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9-]*$", _("Letters, digits and hyphens only."))],
        help_text=_("Put before every invoice number, e.g. “NT-” gives NT-2026-000123."))

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self):
        return gettext("Billing settings of %(clinic)s") % {"clinic": self.clinic}

    def seller_name(self):
        return self.legal_name or self.clinic.name

    def missing(self):
        """The fields an invoice cannot be issued without, by their labels."""
        needed = ["street", "postcode", "city", "country", "iban"]
        found = [str(self._meta.get_field(name).verbose_name) for name in needed if not getattr(self, name)]
        if not (self.tax_number or self.vat_id):
            found.append(gettext("tax number or VAT ID"))
        return found


class InvoiceCounter(models.Model):
    """The last number given in one clinic and year; locked while an invoice takes the next."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "year"], name="one_counter_per_clinic_and_year")]
        verbose_name = _("invoice counter")

    def __str__(self):
        return gettext("Invoices of %(year)s: %(count)s") % {"year": self.year, "count": self.last}


class Invoice(ClinicScoped, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CANCELLATION = "cancellation", _("Cancellation invoice")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="invoices",
                                verbose_name=_("patient"))
    session = models.ForeignKey("treatment.Session", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="invoices", verbose_name=_("session"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    cancels = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="cancellation", verbose_name=_("cancels"))
    schedule = models.CharField(_("fee schedule"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("number"), max_length=30, null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issue_date = models.DateField(_("invoice date"), null=True, blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_address = models.TextField(_("recipient's address"), max_length=500, blank=True)
    recipient_country = models.CharField(_("recipient's country"), max_length=2, default="DE",
                                         validators=[RegexValidator(r"^[A-Z]{2}$")])
    language = models.CharField(_("language"), max_length=10, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    net_total = models.DecimalField(_("net"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    vat_total = models.DecimalField(_("VAT"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    # The seller as printed, kept at issuing so a later change of the settings never rewrites it.
    seller = models.JSONField(_("seller"), default=dict, blank=True)
    # What else the printed invoice shows, kept at issuing for the same reason: the patient's
    # name and birth date as they were, the fee schedule's name and its VAT exemption code. A
    # reprint after the patient is renamed or the knowledge base changes prints the same text.
    printed = models.JSONField(_("as printed"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("issued by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["clinic", "number"], name="invoice_number_unique_per_clinic"),
            models.UniqueConstraint(fields=["id", "clinic"], name="invoice_id_clinic"),
            models.CheckConstraint(condition=models.Q(status="draft", number__isnull=True)
                                   | (~models.Q(status="draft") & models.Q(number__isnull=False)),
                                   name="invoice_numbered_once_issued"),
        ]
        indexes = [models.Index(fields=["clinic", "status", "due_date"])]

    def __str__(self):
        if self.number:
            return gettext("%(kind)s %(number)s") % {"kind": self.get_kind_display(), "number": self.number}
        return gettext("Draft invoice of %(created)s") % {"created": l10n.day(self.created_at)}

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_cancellation(self):
        return self.kind == self.Kind.CANCELLATION

    def _stored_status(self):
        return Invoice._base_manager.filter(pk=self.pk).values_list("status", flat=True).first()

    def save(self, *args, cancelling=False, **kwargs):
        """A draft saves freely; an issued invoice only becomes cancelled (``cancelling``)."""
        if self.pk is not None and not self._state.adding:
            stored = self._stored_status()
            if stored != self.Status.DRAFT and not (cancelling and stored == self.Status.ISSUED
                                                   and kwargs.get("update_fields") == ["status"]):
                raise ImmutableInvoice(gettext("Invoice %(number)s is issued and cannot be changed; "
                                               "cancel it instead.") % {"number": self.number})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() != self.Status.DRAFT:
            raise ImmutableInvoice(gettext("An issued invoice is never deleted; cancel it instead."))
        return super().delete(*args, **kwargs)


class InvoiceLine(ClinicScoped, models.Model):
    """One fee (a code at a factor, times a quantity) or an expense (§10 GOÄ: the drug)."""

    clinic_parent = "invoice"
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    date = models.DateField(_("date of treatment"))
    code = models.CharField(_("code"), max_length=20)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1,
                                                validators=[MinValueValidator(1), MaxValueValidator(99)])
    # The fee at factor 1 (points × point value), or the expense's own price when there is no factor.
    unit_fee = models.DecimalField(_("simple fee"), max_digits=14, decimal_places=7)
    factor = models.DecimalField(_("factor"), max_digits=4, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(Decimal("1.00"))])
    # The schedule's threshold (GOÄ: 2.3 for personal services) and its ceiling, from its data.
    threshold = models.DecimalField(_("threshold factor"), max_digits=4, decimal_places=2, null=True, blank=True)
    ceiling = models.DecimalField(_("highest factor"), max_digits=4, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    justification = models.CharField(_("justification"), max_length=500, blank=True,
                                     help_text=_("Required above the threshold factor (§12 (3) GOÄ)."))
    is_expense = models.BooleanField(_("expense"), default=False)
    # The knowledge base's fee-code entry (goae.267) the line was made from; empty for a line
    # written before lines kept it (then the schedule and code find it).
    fee_code = models.CharField(_("fee code entry"), max_length=60, blank=True)
    # False while the practice has not entered the line's price (the data names none: GebüH
    # fees, Tarif 590 time, a product without a price): such a line is never issued.
    priced = models.BooleanField(_("priced"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self):
        return gettext("%(code)s × %(quantity)s: %(description)s") % {
            "code": self.code, "quantity": self.quantity, "description": self.description}

    def _refuse_unless_draft(self, invoice_id):
        status = Invoice._base_manager.filter(pk=invoice_id).values_list("status", flat=True).first()
        if status is not None and status != Invoice.Status.DRAFT:
            raise ImmutableInvoice(gettext("The lines of an issued invoice cannot be changed."))

    def save(self, *args, **kwargs):
        self._refuse_unless_draft(self.invoice_id)
        if self.pk is not None and not self._state.adding:
            stored = InvoiceLine._base_manager.filter(pk=self.pk).values_list("invoice_id", flat=True).first()
            self._refuse_unless_draft(stored)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_unless_draft(self.invoice_id)
        return super().delete(*args, **kwargs)

    @property
    def above_threshold(self):
        return self.factor is not None and self.threshold is not None and self.factor > self.threshold


class Payment(ClinicScoped, models.Model):
    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        OTHER = "other", _("Other")

    clinic_parent = "invoice"
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.TRANSFER)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return gettext("Payment of %(amount)s on %(date)s") % {
            "amount": money(self.amount), "date": l10n.day(self.date)}


class PaymentReminder(ClinicScoped, models.Model):
    """A reminder sent for an overdue invoice: first, second, … (the dunning level)."""

    clinic_parent = "invoice"
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(3)])
    date = models.DateField(_("sent on"))
    pay_by = models.DateField(_("pay by"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    # What was still open when the reminder was made, as its letter states it on every reprint;
    # empty for a reminder made before the amount was kept.
    open_amount = models.DecimalField(_("open amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["level", "id"]
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="one_reminder_per_level")]

    def __str__(self):
        return gettext("Reminder %(level)s of %(date)s") % {"level": self.level, "date": l10n.day(self.date)}
