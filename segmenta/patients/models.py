"""Patients. Every patient belongs to exactly one clinic; nobody outside it sees them."""

import datetime
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from segmenta import l10n
from segmenta.accounts.scoping import ClinicScoped
from segmenta.knowledge import localize, wording
from segmenta.prepared import Prepared
from segmenta.validators import CLOCK_SLACK, BoundedDates, upload_size, when_problem

from . import search_index, validation


def fold(text):
    """A name as it is searched and sorted: without accents, case folded ("Öztürk" →
    "ozturk", "Krüger" → "kruger", "Straße" → "strasse"), the same on SQLite and PostgreSQL
    (DIN 5007-1 files umlauts under their base letter)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Patients of the clinics ``user`` belongs to: the one gate for pages, API and exports."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(clinic__memberships__user=user)

    def with_clinic_name(self):
        """Each patient with ``clinic_name``, its clinic's name, read along: for lists that
        show the name and need nothing else of the clinic."""
        return self.annotate(clinic_name=models.F("clinic__name"))

    def for_user_or_404(self, user, pk):
        """One patient of ``user``'s clinics; anything else is a 404 that reveals nothing.
        (Every chart page and API read asks this: its SQL is built once, segmenta/prepared.py.)"""
        if not user.is_authenticated or not is_id(pk):
            return get_object_or_404(self.none(), pk=pk)
        found = _visible_patient(user.pk, pk, using=self.db)
        if not found:
            raise Http404("No patient matches the given query.")
        return found[0]

    def search(self, q):
        """Every word must match a name part, the whole record number or, written as a date
        (1970-03-12 or 12.03.1970), the birth date; names are compared folded ("krüger"
        finds "KRÜGER" and "Kruger"), on every database, through an index (search_index)."""
        queryset = self
        connection = connections[self.db]
        for term in q.split()[:5]:
            folded = fold(term)
            found = search_index.name_contains(folded, connection) | search_index.record_number_is(term, connection)
            born = _as_date(term)
            queryset = queryset.filter(found | models.Q(birth_date=born) if born else found)
        if q.split() and connection.vendor == "postgresql":
            # In name order, but sorted after matching rather than by walking the name index
            # until 50 match: PostgreSQL's planner otherwise walks it for a name in the middle
            # of the alphabet through tens of thousands of rows. (SQLite picks well alone, and
            # sorting whole rows by an expression would cost it more.)
            queryset = queryset.order_by(Concat("name_key", models.Value("")), "id")
        return queryset


# A patient of the clinics of the user with this id (PatientQuerySet.visible_to, for one id).
_visible_patient = Prepared(lambda user_id, pk: Patient.objects.filter(
    clinic__memberships__user_id=user_id, pk=pk).select_related("clinic"), int, int)
# Every patient of the user's clinics, or of one of them, in name order: the list without a
# search, which the API is asked for most (pages of it through ``limit`` and ``offset``).
# Each row carries its clinic's name, not the clinic: building a clinic for every row cost a
# third of reading a page of 15.
_visible_patients = Prepared(lambda user_id: Patient.objects.filter(
    clinic__memberships__user_id=user_id).with_clinic_name(), int)
_visible_patients_of_clinic = Prepared(lambda user_id, clinic_id: Patient.objects.filter(
    clinic__memberships__user_id=user_id, clinic_id=clinic_id).with_clinic_name(), int, int)
# One patient of the user's clinics as the list reads each (with its clinic's name): the API's
# read of a patient, whose answer the list may already have written (api/patients.py).
_visible_patient_named = Prepared(lambda user_id, pk: Patient.objects.filter(
    clinic__memberships__user_id=user_id, pk=pk).with_clinic_name(), int, int)


def is_id(pk):
    """Whether ``pk`` can be a row's id: an int a query's parameter can hold (a larger one from
    an address is no patient, a 404, not an error)."""
    return isinstance(pk, int) and -2**63 <= pk < 2**63


def visible_query(user, clinic_id=None):
    """(prepared, values): the Prepared query of the patients ``user`` may see, in name order,
    of the clinic ``clinic_id`` if given (PatientQuerySet.visible_to, with its SQL built once),
    and the values to call it with; None for an anonymous user. Each row has ``clinic_name``
    (PatientQuerySet.with_clinic_name)."""
    if not user.is_authenticated:
        return None
    return ((_visible_patients, (user.pk,)) if clinic_id is None
            else (_visible_patients_of_clinic, (user.pk, clinic_id)))


def visible_row(user, pk):
    """(prepared, row): the patient ``pk`` of ``user``'s clinics as the database returns it,
    a row of the Prepared query ``prepared`` (whose columns are those of visible_query's);
    anything else is a 404 that reveals nothing, as for_user_or_404."""
    rows = _visible_patient_named.rows(user.pk, pk) if user.is_authenticated and is_id(pk) else []
    if not rows:
        raise Http404("No patient matches the given query.")
    return _visible_patient_named, rows[0]


def _as_date(term):
    """A search word written as a date (ISO or day.month.year), or None."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(term, pattern).date()
        except ValueError:
            continue
    return None


class Patient(BoundedDates, models.Model):
    date_bounds = {"birth_date": "today"}
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="patients")
    record_number = models.CharField(
        _("record number"), max_length=32, blank=True, help_text=_("The clinic's own chart number, if it uses one.")
    )
    family_name = models.CharField(_("family name"), max_length=100)
    given_name = models.CharField(_("given name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=10, choices=localize.choices("sex"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # Where letters and invoices go: printed as written, one line per line.
    address = models.TextField(_("address"), blank=True, max_length=500,
                               help_text=_("Street, postcode and town, one per line, as printed on invoices."))
    # The language of everything the patient reads (answer links, questionnaires, the
    # patient's copy, consent texts), whatever the clinician's. Each language by its own name.
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text=_("The language of everything the patient reads: questionnaires and their links, "
                    "the patient's copy, consent texts."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "Family given", folded: what names are searched and ordered by, alike on every database.
    name_key = models.CharField(max_length=210, editable=False, db_index=True, default="")
    # An erasure request during the retention period restricts processing (GDPR Art. 18)
    # instead of deleting: the chart is then read only.
    restricted_at = models.DateTimeField(_("processing restricted"), null=True, blank=True)
    restricted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("restricted by"))
    restriction_reason = models.CharField(_("reason for the restriction"), max_length=500, blank=True)

    objects = PatientQuerySet.as_manager()
    versions = HistoricalRecords()

    class Meta:
        ordering = ["name_key", "id"]  # "Öztürk" among the O, not after "Yilmaz"
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"],
                condition=~models.Q(record_number=""),
                name="record_number_unique_per_clinic",
            ),
            # What the chart's entries refer to on PostgreSQL: their patient and its clinic at once.
            models.UniqueConstraint(fields=["id", "clinic"], name="patient_id_clinic"),
        ]
        # Names and record numbers are searched through search_index's own index.
        indexes = [models.Index(fields=["clinic", "name_key"]), models.Index(fields=["birth_date"])]

    def __str__(self):
        return f"{self.family_name}, {self.given_name}"

    def save(self, *args, **kwargs):
        self.name_key = f"{fold(self.family_name)} {fold(self.given_name)}"
        if kwargs.get("update_fields") is not None and {"family_name", "given_name"} & set(kwargs["update_fields"]):
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    @property
    def restricted(self):
        return self.restricted_at is not None

    @property
    def display_name(self):
        return f"{self.given_name} {self.family_name}"

    def in_own_language(self):
        """``with patient.in_own_language():`` what is made inside is in the patient's language."""
        return translation.override(offered_language(self.language))


def offered_language(code):
    """``code`` ("de", "de-AT", "es-MX") as one of the languages Segmenta offers, else the default."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


class PatientStamp(models.Model):
    """A random token the database renews whenever any of a patient's data changes
    (segmenta/patients/stamps.py): what is worked out from the whole chart is kept under it.
    Written only by triggers."""

    clinic_id = models.BigIntegerField()
    patient_id = models.BigIntegerField()
    token = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic_id", "patient_id"], name="patientstamp_clinic_patient")]
        verbose_name = _("patient data stamp")

    def __str__(self):
        return gettext("Data stamp of patient %(id)s") % {"id": self.patient_id}


# --- The chart ----------------------------------------------------------------------
# Lists of coded values (regions, organs, signs, findings) are JSON lists validated
# against the knowledge base's vocabularies by segmenta.patients.validation; partial
# dates ("1998", "2019-06", "2019-06-14") are kept as text in ISO form.


class ChartItem(ClinicScoped, BoundedDates, models.Model):
    """Common bookkeeping of every chart entry. Every version is kept (``versions``, with
    who and when: the original content and the time of a change stay visible, §630f BGB),
    and a mistake is marked "entered in error" with a reason, never deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_in_error_at = models.DateTimeField(_("entered in error"), null=True, blank=True)
    entered_in_error_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+",
                                            verbose_name=_("marked in error by"))
    error_reason = models.CharField(_("why it was entered in error"), max_length=500, blank=True)
    versions = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    @property
    def in_error(self):
        return self.entered_in_error_at is not None

    def __str__(self):
        """The entry as a clinician reads it in a list or a drop-down, never "… object (16)"."""
        label = self.clinical_label()
        return gettext("%(entry)s (entered in error)") % {"entry": label} if self.in_error else label

    def clinical_label(self):
        return str(self._meta.verbose_name)

    def _get_FIELD_display(self, field):
        """``get_kind_display()`` and the like, by looking up the one label. Django's own hashes
        every label of the field's choices on each call, and ours are lazy (they follow the
        page's language): a chart of 200 history items translated some thousand labels to
        show two hundred."""
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            shown = labels.get(value, value)
        except TypeError:  # a value that cannot be looked up (a list): as Django does it
            return super()._get_FIELD_display(field)
        return force_str(shown, strings_only=True)


_CHOICE_LABELS = {}  # {field: {code: its lazy label}}


def _day(value):
    """A date as the page's language writes it (2026-03-01, 01.03.2026), also before the
    form has turned text into a date."""
    return l10n.day(value, empty="")


def _number(value):
    """72.0 → "72", 72.5 → "72.5" ("72,5" in German)."""
    return l10n.number(value)


def _vocab(kind, code):
    """A coded value's label in the user's language."""
    try:
        return localize.label(kind, code)
    except KeyError:
        return code


class WeightMeasurement(ChartItem):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    date_bounds = {"date": "today"}
    date = models.DateField(_("date"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1,
                                    validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(400)])
    # Height gives the lean body weight on which LAST's lipid emulsion is dosed.
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("30")), MaxValueValidator(250)])

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("weight")

    def clinical_label(self):
        if self.height_cm is not None:
            return gettext("%(kg)s kg, %(cm)s cm on %(date)s") % {
                "kg": _number(self.weight_kg), "cm": _number(self.height_cm), "date": _day(self.date)}
        return gettext("%(kg)s kg on %(date)s") % {"kg": _number(self.weight_kg), "date": _day(self.date)}


class Allergy(ChartItem):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=200)
    allergy_class = models.CharField(_("class"), max_length=40, choices=localize.choices("allergy_class"))
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-active", "substance", "id"]
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")

    def clinical_label(self):
        label = gettext("%(substance)s (%(class)s)") % {"substance": self.substance,
                                                         "class": _vocab("allergy_class", self.allergy_class)}
        return label if self.active else gettext("%(entry)s, inactive") % {"entry": label}


class Medication(ChartItem):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(_("name"), max_length=200)
    medication_class = models.CharField(_("class"), max_length=40, choices=localize.choices("medication_class"))
    dose = models.CharField(_("dose"), max_length=100, blank=True)
    date_bounds = {"last_dose": None}  # clean() refuses a dose yet to come
    last_dose = models.DateTimeField(_("last dose taken"), null=True, blank=True,
                                     help_text=_("For blood thinners: when the patient last took it. "
                                                 "Empty = unknown."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-active", "name", "id"]
        verbose_name = _("medication")

    def clinical_label(self):
        label = f"{self.name} {self.dose}".strip()
        return label if self.active else gettext("%(entry)s, stopped") % {"entry": label}

    def clean(self):
        # Minutes of clock drift between a tablet and the server are no future dose.
        if (self.last_dose and not when_problem(self.last_dose, None)
                and self.last_dose > timezone.now() + CLOCK_SLACK):
            raise ValidationError({"last_dose": _("The last dose lies in the future.")})


class ChartReview(ChartItem):
    """A clinician's statement that a list of the chart is complete as of a date: with an
    empty list it reads "no known drug allergies" or "no regular medication". A list never
    reviewed is unknown, not empty, and the safety engine says so."""

    class Kind(models.TextChoices):
        ALLERGIES = "allergies", _("Allergies")
        MEDICATIONS = "medications", _("Medications")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(_("list"), max_length=20, choices=Kind.choices)
    date_bounds = {"date": "today"}
    date = models.DateField(_("reviewed on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("chart review")

    def clinical_label(self):
        return gettext("%(list)s reviewed on %(date)s") % {"list": self.get_kind_display(), "date": _day(self.date)}

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("A review cannot lie in the future.")})


class Condition(ChartItem):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(_("condition"), max_length=40, choices=localize.choices("condition"), blank=True,
                            help_text=_("Coded, where the condition matters to the safety rules."))
    text = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-active", "code", "text", "id"]
        verbose_name = _("condition")
        constraints = [models.CheckConstraint(condition=~models.Q(code="", text=""), name="condition_code_or_text")]

    def clinical_label(self):
        label = ": ".join(part for part in (_vocab("condition", self.code) if self.code else "", self.text) if part)
        return label if self.active else gettext("%(entry)s, inactive") % {"entry": label}


class PregnancyStatus(ChartItem):
    """Each entry states the status on a date; the newest entry is the current one."""

    class Status(models.TextChoices):
        PREGNANT = "pregnant", _("Pregnant")
        NOT_PREGNANT = "not_pregnant", _("Not pregnant")
        UNKNOWN = "unknown", _("Unknown")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="pregnancy_statuses")
    date_bounds = {"date": "today"}
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("pregnancy status")
        verbose_name_plural = _("pregnancy statuses")

    def clinical_label(self):
        return gettext("%(status)s on %(date)s") % {"status": self.get_status_display(), "date": _day(self.date)}


def consent_scan_path(instance, filename):
    import secrets

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"consents/{instance.patient_id}/{secrets.token_hex(12)}.{ext}"


class Consent(ChartItem):
    """Informed consent to neural therapy, signed by the patient (scan or on screen)."""

    class Method(models.TextChoices):
        SCAN = "scan", _("Uploaded scan of the signed form")
        SIGNATURE = "signature", _("Signed on screen")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    date_bounds = {"date": "today"}  # a withdrawal may be announced ahead
    date = models.DateField(_("date"))
    scope = models.TextField(_("scope"), max_length=2000,
                             help_text=_("What the patient agreed to, e.g. segmental and interference-field "
                                         "injections with procaine."))
    class Decision(models.TextChoices):
        GIVEN = "given", _("Consent given")
        REFUSED = "refused", _("Consent refused")

    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.GIVEN)
    scopes = models.JSONField(_("covers"), default=list, blank=True, validators=[validation.consent_scopes],
                              help_text=_("What the consent covers, as codes (injection therapy, research use)."))
    # A refusal may be recorded without a signed form; a consent given names how it was signed.
    method = models.CharField(_("signed by"), max_length=20, choices=Method.choices, blank=True)
    scan = models.FileField(_("scan"), upload_to=consent_scan_path, blank=True,
                            validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"]),
                                        upload_size])
    signature_svg = models.TextField(_("signature"), blank=True, help_text=_("The on-screen signature's strokes."),
                                     validators=[validation.signature_strokes])
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("consent")

    @property
    def active(self):
        return self.withdrawn_on is None

    def clinical_label(self):
        if self.decision == self.Decision.REFUSED:
            return gettext("Consent refused on %(date)s") % {"date": _day(self.date)}
        if self.withdrawn_on:
            return gettext("Consent of %(date)s, withdrawn on %(withdrawn)s") % {
                "date": _day(self.date), "withdrawn": _day(self.withdrawn_on)}
        return gettext("Consent given on %(date)s") % {"date": _day(self.date)}

    def clean(self):
        """Every problem at once, each naming its field."""
        errors = {}
        given = self.decision == self.Decision.GIVEN
        if given and not self.method:
            errors["method"] = _("Say how the patient signed the consent.")
        if given and not self.scopes:
            errors["scopes"] = _("A consent given covers at least one use; tick what it covers.")
        if self.method == self.Method.SCAN and not self.scan:
            errors["scan"] = _("Upload the scan of the signed consent form.")
        if self.method == self.Method.SIGNATURE and not self.signature_svg:
            errors["signature_svg"] = _("The patient has not signed yet.")
        if not given and self.withdrawn_on:
            errors["withdrawn_on"] = _("Only a consent given can be withdrawn.")
        elif (isinstance(self.withdrawn_on, datetime.date) and isinstance(self.date, datetime.date)
              and self.withdrawn_on < self.date):
            errors["withdrawn_on"] = _("Withdrawal lies before the consent.")
        if errors:
            raise ValidationError(errors)


class Complaint(ChartItem):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="complaints")
    description = models.CharField(_("description"), max_length=300)
    regions = models.JSONField(_("body regions"), default=list, blank=True, validators=[validation.regions])
    organs = models.JSONField(_("organs"), default=list, blank=True, validators=[validation.organs])
    onset = models.CharField(_("onset"), max_length=10, blank=True, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD"),
                             validators=[validation.partial_date])
    nrs = models.PositiveSmallIntegerField(_("pain now (NRS 0–10)"), null=True, blank=True,
                                           validators=[MaxValueValidator(10)])
    findings = models.JSONField(_("red-flag findings"), default=list, blank=True, validators=[validation.findings])
    status = models.CharField(_("status"), max_length=10, choices=localize.choices("complaint_status"),
                              default="active")
    notes = models.TextField(_("notes"), blank=True, max_length=4000)

    class Meta:
        ordering = ["status", "-id"]
        verbose_name = _("complaint")
        constraints = [
            models.CheckConstraint(condition=models.Q(nrs__lte=10), name="complaint_nrs_0_10"),
            # Rows of patient data refer to it and its clinic at once (segmenta/accounts/scoping.py).
            models.UniqueConstraint(fields=["id", "clinic"], name="complaint_id_clinic"),
        ]

    @property
    def case_id(self):
        return f"c{self.pk}"

    def clinical_label(self):
        if self.status == "active":
            return self.description
        return f"{self.description} ({_vocab('complaint_status', self.status)})"


class HistoryItem(ChartItem):
    """A candidate interference field: scar, tooth, tonsils, sinus, fracture, …"""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(_("kind"), max_length=20, choices=localize.choices("history_kind"))
    tooth = models.CharField(_("tooth (FDI)"), max_length=2, choices=localize.choices("tooth"), blank=True)
    date = models.CharField(_("date"), max_length=10, blank=True, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD"),
                            validators=[validation.partial_date])
    regions = models.JSONField(_("body regions"), default=list, blank=True, validators=[validation.regions])
    organs = models.JSONField(_("organs"), default=list, blank=True, validators=[validation.organs])
    description = models.CharField(_("description"), max_length=300)
    signs = models.JSONField(_("signs"), default=list, blank=True, validators=[validation.signs])
    notes = models.TextField(_("notes"), blank=True, max_length=4000)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("history item")
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="tooth", tooth=""), name="tooth_item_names_its_tooth"),
            # Rows of patient data refer to it and its clinic at once (segmenta/accounts/scoping.py).
            models.UniqueConstraint(fields=["id", "clinic"], name="historyitem_id_clinic"),
        ]

    def clean(self):
        if self.kind == "tooth" and not self.tooth:
            raise ValidationError({"tooth": _("Pick the tooth (FDI number).")})
        if self.kind != "tooth" and self.tooth:
            raise ValidationError({"tooth": _("Only tooth items name a tooth.")})

    @property
    def case_id(self):
        return f"h{self.pk}"

    def clinical_label(self):
        """As the chart lists it: "Tooth 38: wisdom tooth removed (2015)"."""
        kind = _vocab("history_kind", self.kind)
        label = f"{kind} {self.tooth}: {self.description}" if self.tooth else f"{kind}: {self.description}"
        return f"{label} ({wording.day(self.date)})" if self.date else label
