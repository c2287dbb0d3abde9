"""Treatment plans, sessions with their injections, and signed notes with amendments.

A session is a draft until a practitioner signs it. Signing stores the hash of the
session's content and freezes it: after that only amendments are appended, each signed
with a reason. The models refuse changes to a signed session themselves, so no page, API
or admin path can edit one.
"""

import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped
from segmenta.knowledge import localize
from segmenta.patients import validation
from segmenta.validators import BoundedDates


class SignedSessionError(ValidationError):
    """Raised on any change to a signed session or its parts."""


def _time(value):
    """A moment's time of day in the clinic's time, as the pages show it."""
    return timezone.localtime(value).strftime("%H:%M") if value else "?"


def _vocab(kind, code):
    try:
        return localize.label(kind, code)
    except KeyError:
        return code


class TreatmentPlan(ClinicScoped, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="plans")
    complaint = models.ForeignKey("patients.Complaint", on_delete=models.PROTECT, related_name="plans")
    goals = models.TextField(_("goals"), max_length=2000)
    approach = models.TextField(_("approach"), max_length=2000, default=_(
        "Segmental therapy first; then test injections of the top candidate fields."))
    sessions_min = models.PositiveSmallIntegerField(_("expected sessions (from)"), default=6,
                                                    validators=[MinValueValidator(1), MaxValueValidator(50)])
    sessions_max = models.PositiveSmallIntegerField(_("expected sessions (to)"), default=12,
                                                    validators=[MinValueValidator(1), MaxValueValidator(50)])
    reassess_after = models.PositiveSmallIntegerField(_("reassess after session"), default=3,
                                                      validators=[MinValueValidator(3), MaxValueValidator(5)])
    review_rule = models.TextField(_("review rule"), max_length=1000, default=_(
        "No improvement at reassessment: re-screen red flags, then revise the plan."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    versions = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("treatment plan")
        # What a plan's reviews refer to on PostgreSQL: their plan and its clinic at once.
        constraints = [models.UniqueConstraint(fields=["id", "clinic"], name="treatmentplan_id_clinic")]

    def __str__(self):
        return gettext("%(complaint)s: plan of %(date)s, %(status)s") % {
            "complaint": self.complaint.description if self.complaint_id else "?",
            "date": l10n.day(self.created_at), "status": self.get_status_display().lower()}

    def clean(self):
        if self.sessions_min and self.sessions_max and self.sessions_min > self.sessions_max:
            raise ValidationError({"sessions_max": _("The range ends before it starts.")})
        if self.complaint_id and self.patient_id and self.complaint.patient_id != self.patient_id:
            raise ValidationError({"complaint": _("This complaint belongs to another patient.")})


class Product(models.Model):
    """A product on the clinic's shelf: what an injection is drawn from. Preserved and
    multi-dose products are refused at targets that need a preservative-free single dose."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("name"), max_length=200, help_text=_("As on the pack, e.g. Procaine 1 % 2 mL ampoule."))
    drug = models.CharField(_("drug"), max_length=20, choices=localize.choices("drug"))
    concentration_percent = models.DecimalField(_("concentration (%)"), max_digits=4, decimal_places=2,
                                                validators=[MinValueValidator(0.1), MaxValueValidator(20)])
    preservative = models.BooleanField(_("contains a preservative"), default=False)
    multi_dose = models.BooleanField(_("multi-dose vial"), default=False)
    active = models.BooleanField(_("in use"), default=True)
    # Pack data for the stock (segmenta/treatment/stock.py): empty on products entered before
    # the clinic kept its stock here; a lot can be received only once the unit volume is known.
    units_per_pack = models.PositiveSmallIntegerField(
        _("units per pack"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Ampoules or vials in one pack."))
    unit_volume_ml = models.DecimalField(
        _("volume per unit (mL)"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(1000)],
        help_text=_("What one ampoule or vial holds."))
    low_stock_units = models.PositiveIntegerField(
        _("low-stock threshold (units)"), null=True, blank=True, validators=[MaxValueValidator(100000)],
        help_text=_("Listed as low when fewer usable units than this are left; empty: never listed."))
    # What the practice paid, for the invoice's expense line (§10 GOÄ; GebüH material; the
    # product declared under Tarif 590): empty until entered, and an empty price is never read
    # as free (the proposal warns instead).
    unit_price = models.DecimalField(
        _("price per unit"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100000"))],
        help_text=_("What one ampoule or vial cost the practice, in the clinic's currency. Invoices charge it at "
                    "cost as an expense, as the fee schedule allows: whole ampoules per session, a multi-dose "
                    "vial by the share of its volume drawn."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-active", "name", "id"]
        verbose_name = _("product")
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="product_name_unique_per_clinic")]

    def __str__(self):
        return self.name

    # What past draws were counted by (stock.units_drawn): a single-dose ampoule is drawn whole
    # per session, a multi-dose vial by the share of its volume. Once lots are on record,
    # changing either would silently recount every injection already drawn from them.
    COUNTED_BY = ("unit_volume_ml", "multi_dose")

    def clean(self):
        if not self.pk:
            return
        stored = Product.objects.filter(pk=self.pk).values(*self.COUNTED_BY).first()
        changed = [name for name in self.COUNTED_BY if stored is not None and getattr(self, name) != stored[name]]
        if changed and self.lots.exists():
            raise ValidationError({name: self.counted_by_lots_message(name) for name in changed})

    @staticmethod
    def counted_by_lots_message(name):
        """Why ``name`` (one of COUNTED_BY) cannot change once lots are on record."""
        if name == "multi_dose":
            return _("“Multi-dose vial” cannot change: lots of this product are on record, and what each injection "
                     "drew from them was counted by it (whole ampoules, or a share of a vial). Enter a new product "
                     "for the other kind of container.")
        return _("Lots of this product are on record, counted in units of this volume; enter a new product for "
                 "another pack.")


class Lot(BoundedDates, models.Model):
    """A lot of a product as delivered: its number and expiry as printed on the pack and how
    many units came. What is left is computed (segmenta/treatment/stock.py says how), never
    stored. A delivery of a lot already on the shelf adds to its quantity."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="lots")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots", verbose_name=_("product"))
    number = models.CharField(_("lot number"), max_length=40, help_text=_("As printed on the pack."))
    date_bounds = {"expiry": "expiry", "received_on": "today"}
    expiry = models.DateField(_("expiry"))
    # The most units one lot holds on record, all its deliveries together.
    MAX_UNITS = 100000
    quantity_received = models.PositiveIntegerField(_("units received"),
                                                    validators=[MinValueValidator(1), MaxValueValidator(MAX_UNITS)])
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    note = models.CharField(_("note"), max_length=500, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("received by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["product__name", "expiry", "received_on", "id"]
        verbose_name = _("lot")
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="lot_number_unique_per_product")]

    def __str__(self):
        return gettext("%(product)s, lot %(lot)s (expires %(date)s)") % {
            "product": self.product.name if self.product_id else "?", "lot": self.number,
            "date": l10n.day(self.expiry) if self.expiry else "?"}

    def clean(self):
        if self.product_id and self.clinic_id and self.product.clinic_id != self.clinic_id:
            raise ValidationError({"product": _("Not a product of this clinic.")})


class Delivery(models.Model):
    """One delivery of a lot as received: how many units, on which day, by whom. A lot
    delivered again is added to, and each delivery stays on record here. The receive form
    carries a one-time ``token``, kept unique, so a form sent twice (a double click, a page
    sent again) records one delivery, not two."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="deliveries")
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("lot"))
    units = models.PositiveIntegerField(_("units received"), validators=[MinValueValidator(1),
                                                                         MaxValueValidator(100000)])
    received_on = models.DateField(_("received on"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("received by"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Empty for deliveries recorded before the forms carried one.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self):
        return gettext("%(units)s units of lot %(lot)s received on %(date)s") % {
            "units": self.units, "lot": self.lot.number if self.lot_id else "?",
            "date": l10n.day(self.received_on) if self.received_on else "?"}


class WriteOff(models.Model):
    """Units of a lot taken off the shelf without an injection: broken, expired, spoiled, or
    the rest of an opened multi-dose vial past its in-use time."""

    class Reason(models.TextChoices):
        BROKEN = "broken", _("Broken or damaged")
        EXPIRED = "expired", _("Expired")
        CONTAMINATED = "contaminated", _("Contaminated or discoloured")
        IN_USE_TIME = "in_use_time", _("Opened vial past its in-use time")
        OTHER = "other", _("Other (see note)")

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="write_offs")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="write_offs", verbose_name=_("lot"))
    units = models.DecimalField(_("units"), max_digits=8, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100000)])
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    written_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("written off by"))
    written_off_at = models.DateTimeField(_("written off"), default=timezone.now)

    class Meta:
        ordering = ["-written_off_at", "-id"]
        verbose_name = _("write-off")

    def __str__(self):
        return gettext("%(units)s units of lot %(lot)s written off: %(reason)s") % {
            "units": l10n.number(self.units), "lot": self.lot.number if self.lot_id else "?",
            "reason": self.get_reason_display().lower() if self.reason else "?"}


class Session(ClinicScoped, BoundedDates, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="sessions")
    plan = models.ForeignKey(TreatmentPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions")
    started_at = models.DateTimeField(_("date and time"))
    # PROTECT, not SET_NULL: nulling them would rewrite signed notes. Staff who leave are
    # deactivated, never deleted.
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True, max_length=10000)
    # A vitamin K antagonist past its hold time still needs a normal INR on the day.
    inr_normal = models.BooleanField(_("INR checked today and normal"), default=False,
                                     help_text=_("For a patient on warfarin or phenprocoumon: the safety check asks "
                                                 "for it before deeper injections."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    knowledge_version = models.CharField(_("knowledge version"), max_length=80, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    # The shape of content() this session is (or will be) signed in: 1 before injections named
    # their injector and product, 2 before the session recorded a normal INR, 3 since.
    content_format = models.PositiveSmallIntegerField(default=3, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("session")
        # What a session's parts refer to on PostgreSQL: their session and its clinic at once.
        constraints = [models.UniqueConstraint(fields=["id", "clinic"], name="session_id_clinic")]

    def __str__(self):
        label = gettext("Session of %(when)s") % {"when": l10n.moment(self.started_at)}
        return label if self.signed else gettext("%(session)s (draft)") % {"session": label}

    @property
    def signed(self):
        return self.status == self.Status.SIGNED

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("signing", False):
            stored = Session.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.SIGNED:
                raise SignedSessionError(_("This session is signed; add an amendment instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.signed:
            raise SignedSessionError(_("A signed session cannot be deleted."))
        return super().delete(*args, **kwargs)

    def content(self):
        """Everything the signature covers, as plain data in a fixed order.

        A signed session keeps the shape it was signed in (``content_format``), so its hash
        still verifies after the content grows.
        """
        first = self.content_format == 1
        found = {
            "session": self.pk, "patient": self.patient_id, "started_at": self.started_at.isoformat(),
            "practitioner": self.practitioner_id, "notes": self.notes, "knowledge_version": self.knowledge_version,
            "scores": [[s.complaint_id, s.pre_nrs, s.post_nrs] for s in self.scores.order_by("id")],
            "injections": [i.content(first) for i in self.injections.order_by("order", "id")],
            "adverse_events": [a.content(first) for a in self.adverse_events.order_by("id")],
        }
        if self.content_format >= 3:
            found["inr_normal"] = self.inr_normal
        return found

    def compute_hash(self):
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
        return hashlib.sha256(text.encode("ascii")).hexdigest()


class SessionPart(ClinicScoped, BoundedDates, models.Model):
    """A part of a session: refuses every change once the session is signed."""

    clinic_parent = "session"

    class Meta:
        abstract = True

    def _guard(self):
        # The session it goes to, and the one it came from: neither may be signed.
        sessions = {self.session_id}
        if self.pk is not None:
            sessions |= set(type(self).objects.filter(pk=self.pk).values_list("session_id", flat=True))
        if Session.objects.filter(pk__in=sessions, status=Session.Status.SIGNED).exists():
            raise SignedSessionError(_("This session is signed; add an amendment instead."))

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)


class ComplaintScore(SessionPart):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="scores")
    complaint = models.ForeignKey("patients.Complaint", on_delete=models.PROTECT, related_name="scores")
    pre_nrs = models.PositiveSmallIntegerField(_("NRS before"), validators=[MaxValueValidator(10)])
    post_nrs = models.PositiveSmallIntegerField(_("NRS after"), null=True, blank=True,
                                                validators=[MaxValueValidator(10)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "complaint"], name="one_score_per_complaint")]

    def __str__(self):
        after = "" if self.post_nrs is None else f" → {self.post_nrs}"
        return f"{self.complaint.description}: NRS {self.pre_nrs}{after}"


class Injection(SessionPart):
    class Verdict(models.TextChoices):
        OK = "ok", _("OK")
        WARN = "warn", _("Warning")
        BLOCK = "block", _("Blocked")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="injections")
    order = models.PositiveSmallIntegerField(_("order"))
    time = models.DateTimeField(_("time"))
    target = models.CharField(_("target"), max_length=30, choices=localize.choices("injection_target"))
    regions = models.JSONField(_("site"), default=list, blank=True, validators=[validation.regions])
    side = models.CharField(_("side"), max_length=10, choices=localize.choices("side"), blank=True)
    history_item = models.ForeignKey("patients.HistoryItem", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="test_injections", verbose_name=_("tested history item"))
    complaint = models.ForeignKey("patients.Complaint", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="test_injections", verbose_name=_("for complaint"))
    drug = models.CharField(_("drug"), max_length=20, choices=localize.choices("drug"), default="procaine")
    concentration_percent = models.DecimalField(_("concentration (%)"), max_digits=4, decimal_places=2,
                                                validators=[MinValueValidator(0.1), MaxValueValidator(20)])
    # Scope and training are checked against the person who injects, not who types.
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("injected by"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="injections",
                                verbose_name=_("product"))
    lot = models.CharField(_("lot"), max_length=40, blank=True, db_index=True)
    # The lot on the shelf it was drawn from (its number and expiry are copied to ``lot`` and
    # ``expiry``, which the signature covers); empty for injections recorded before the
    # clinic kept its stock here, or of a product whose stock is not kept.
    stock_lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="injections",
                                  verbose_name=_("drawn from"))
    date_bounds = {"expiry": "expiry"}
    expiry = models.DateField(_("expiry"), null=True, blank=True)
    volume_ml = models.DecimalField(_("volume (mL)"), max_digits=5, decimal_places=2,
                                    validators=[MinValueValidator(0.05), MaxValueValidator(100)])
    technique_notes = models.CharField(_("technique notes"), max_length=500, blank=True)
    aspiration_done = models.BooleanField(_("aspirated before injecting"), default=False)
    onset_seconds = models.PositiveIntegerField(_("response onset (s)"), null=True, blank=True)
    relief_percent = models.PositiveSmallIntegerField(_("immediate relief (%)"), null=True, blank=True,
                                                      validators=[MaxValueValidator(100)])
    duration_hours = models.DecimalField(_("relief lasted (h)"), max_digits=6, decimal_places=2, null=True,
                                         blank=True, validators=[MinValueValidator(0)])
    verdict = models.CharField(_("safety verdict"), max_length=5, choices=Verdict.choices)
    reasons = models.JSONField(_("safety reasons"), default=list)
    mg = models.DecimalField(_("dose (mg)"), max_digits=7, decimal_places=2)
    cumulative_mg = models.DecimalField(_("cumulative (mg)"), max_digits=8, decimal_places=2)
    override_reason = models.TextField(_("override reason"), blank=True, max_length=2000)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    # A mistaken injection removed from a draft stays in its version history.
    versions = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("injection")
        # Adverse events and follow-ups refer to it and its clinic at once (segmenta/accounts/scoping.py).
        constraints = [models.UniqueConstraint(fields=["id", "clinic"], name="injection_id_clinic")]

    def __str__(self):
        """What, where, how much, when: "#2 Stellate ganglion, right · 3 mL procaine 1 % · 10:20"."""
        where = _vocab("injection_target", self.target)
        if self.side:
            where = f"{where}, {_vocab('side', self.side).lower()}"
        what = f"{l10n.number(self.volume_ml)} mL {_vocab('drug', self.drug).lower()}" if self.volume_ml is not None else ""
        if what and self.concentration_percent is not None:
            what = f"{what} {l10n.number(self.concentration_percent)} %"
        return " · ".join(part for part in (f"#{self.order} {where}", what, _time(self.time)) if part)

    def content(self, first_format=False):
        found = {"order": self.order, "time": self.time.isoformat(), "target": self.target, "regions": self.regions,
                "side": self.side, "history_item": self.history_item_id, "complaint": self.complaint_id,
                "drug": self.drug, "concentration_percent": str(self.concentration_percent),
                "volume_ml": str(self.volume_ml), "mg": str(self.mg), "technique_notes": self.technique_notes,
                "aspiration_done": self.aspiration_done, "onset_seconds": self.onset_seconds,
                "relief_percent": self.relief_percent,
                "duration_hours": str(self.duration_hours) if self.duration_hours is not None else None,
                "verdict": self.verdict, "reasons": self.reasons,
                "override_reason": self.override_reason, "overridden_by": self.overridden_by_id}
        if not first_format:
            found.update({"performed_by": self.performed_by_id, "product": self.product_id, "lot": self.lot,
                          "expiry": self.expiry.isoformat() if self.expiry else None})
        return found


class AdverseEvent(SessionPart):
    class Kind(models.TextChoices):
        VASOVAGAL = "vasovagal", _("Vasovagal reaction")
        HAEMATOMA = "haematoma", _("Haematoma")
        ALLERGIC = "allergic", _("Allergic reaction or anaphylaxis")
        LAST = "last", _("Signs of local anaesthetic systemic toxicity (LAST)")
        SEIZURE = "seizure", _("Seizure")
        PNEUMOTHORAX = "pneumothorax", _("Pneumothorax")
        INTRAVASCULAR = "intravascular", _("Intravascular injection")
        RECURRENT_LARYNGEAL = "recurrent_laryngeal", _("Recurrent laryngeal nerve block (hoarseness)")
        PHRENIC = "phrenic", _("Phrenic nerve block")
        HIGH_SPREAD = "high_spread", _("High spinal or epidural spread")
        INFECTION = "infection", _("Infection at the site")
        NERVE_INJURY = "nerve_injury", _("Nerve injury")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")
        LIFE_THREATENING = "life_threatening", _("Life-threatening")
        FATAL = "fatal", _("Fatal")

    class Causality(models.TextChoices):
        """The WHO-UMC causality categories."""
        CERTAIN = "certain", _("Certain")
        PROBABLE = "probable", _("Probable / likely")
        POSSIBLE = "possible", _("Possible")
        UNLIKELY = "unlikely", _("Unlikely")
        CONDITIONAL = "conditional", _("Conditional / unclassified")
        UNASSESSABLE = "unassessable", _("Unassessable / unclassifiable")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        RECOVERING = "recovering", _("Recovering")
        NOT_RECOVERED = "not_recovered", _("Not recovered")
        SEQUELAE = "sequelae", _("Recovered with lasting effects")
        FATAL = "fatal", _("Fatal")
        UNKNOWN = "unknown", _("Unknown")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="adverse_events")
    injection = models.ForeignKey("Injection", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="adverse_events", verbose_name=_("after injection"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, default=Severity.MILD)
    causality = models.CharField(_("causality (WHO-UMC)"), max_length=20, choices=Causality.choices,
                                 default=Causality.POSSIBLE)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    treatment_given = models.TextField(_("treatment given"), blank=True, max_length=2000)
    date_bounds = {"occurred_at": "now", "reported_at": "now"}
    occurred_at = models.DateTimeField(_("time"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported to the authority"), null=True, blank=True)

    def __str__(self):
        label = f"{self.get_kind_display()} ({self.get_severity_display().lower()})"
        return f"{label} · {_time(self.occurred_at)}" if self.occurred_at else label

    def content(self, first_format=False):
        found = [self.kind, self.description, self.occurred_at.isoformat() if self.occurred_at else None]
        if not first_format:
            found += [self.severity, self.causality, self.outcome, self.treatment_given, self.injection_id]
        return found


class FollowUp(ClinicScoped, BoundedDates, models.Model):
    """Reported after the session (the next day, by phone): may be added after signing,
    because it is a new report, not a change of what happened in the session."""

    class Reaction(models.TextChoices):
        NONE = "none", _("None")
        INITIAL_WORSENING = "initial_worsening", _("Initial worsening")
        NEW_SYMPTOMS = "new_symptoms", _("New symptoms")
        EMOTIONAL_RELEASE = "emotional_release", _("Emotional release")
        OTHER = "other", _("Other")

    clinic_parent = "session"
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="follow_ups")
    injection = models.ForeignKey(Injection, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="follow_ups")
    date_bounds = {"reported_at": "now"}
    reported_at = models.DateTimeField(_("reported"))
    relief_hours = models.DecimalField(_("hours of relief"), max_digits=6, decimal_places=2, null=True, blank=True,
                                       validators=[MinValueValidator(0)])
    reaction = models.CharField(_("reaction"), max_length=20, choices=Reaction.choices, default=Reaction.NONE)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["reported_at", "id"]

    def __str__(self):
        return gettext("Follow-up reported %(when)s: %(reaction)s") % {
            "when": l10n.moment(self.reported_at), "reaction": self.get_reaction_display().lower()}


class Amendment(ClinicScoped, models.Model):
    """An addition to a signed session: appended, signed by its author, never edited."""

    clinic_parent = "session"
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("signed"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=500)
    text = models.TextField(_("text"), max_length=10000)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return gettext("Amendment of %(when)s: %(reason)s") % {"when": l10n.moment(self.created_at), "reason": self.reason}

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise SignedSessionError(_("Amendments are never edited."))
        self.content_hash = hashlib.sha256(json.dumps(
            [self.session_id, self.author_id, self.reason, self.text, self.session.content_hash],
            ensure_ascii=True).encode("ascii")).hexdigest()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SignedSessionError(_("Amendments are never deleted."))


class PlanReview(ClinicScoped, models.Model):
    """The decision taken at a reassessment."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", _("Continue the plan")
        REVISE = "revise", _("Revise the plan")
        STOP = "stop", _("Stop: goal reached")
        REFER = "refer", _("Stop and refer for work-up")

    clinic_parent = "plan"
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    note = models.TextField(_("note"), blank=True, max_length=4000)
    red_flags_rescreened = models.BooleanField(_("red flags re-screened"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self):
        return gettext("%(decision)s on %(date)s") % {"decision": self.get_decision_display(),
                                                       "date": l10n.day(self.decided_at)}


class EquipmentCheck(BoundedDates, models.Model):
    """The day's check of the emergency equipment (oxygen, suction, bag-valve mask, lipid
    emulsion, adrenaline, benzodiazepine): the local-anaesthetic labels require resuscitation
    to be at hand wherever they are injected."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, related_name="equipment_checks")
    date_bounds = {"date": "today"}
    date = models.DateField(_("date"))
    items = models.JSONField(_("items checked"), default=list)
    complete = models.BooleanField(_("everything present and in date"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("emergency equipment check")

    def __str__(self):
        day = self.date.isoformat() if hasattr(self.date, "isoformat") else str(self.date)
        if self.complete:
            return gettext("Emergency equipment checked on %(date)s: complete") % {"date": day}
        return gettext("Emergency equipment checked on %(date)s: something missing or out of date") % {"date": day}
