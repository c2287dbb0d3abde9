"""Clinics (the tenants), memberships with roles, practitioner profiles and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from segmenta.knowledge import localize
from segmenta.prepared import Prepared
from segmenta.validators import BoundedDates, jurisdiction_code, upload_size


def clinic_logo_path(instance, filename):
    """Under MEDIA_ROOT (in SEGMENTA_VAR_DIR), never in the package; a fresh name each time."""
    import secrets

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"clinic-logos/{instance.pk or 'new'}/{secrets.token_hex(8)}.{ext}"


LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    reassess_after = models.PositiveSmallIntegerField(
        _("reassess after session"), default=3, validators=[MinValueValidator(3), MaxValueValidator(5)],
        help_text=_("The default for new treatment plans (3–5)."))
    jurisdiction = models.CharField(
        _("jurisdiction"), max_length=10, blank=True, validators=[jurisdiction_code],
        help_text=_("Where the clinic practises: DE, AT, CH, ES, a US state as US-OR, …; empty = unknown. "
                    "Scope-of-practice rules and default crisis contacts follow it."))
    retention_years = models.PositiveSmallIntegerField(
        _("retention period (years)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How long charts are kept after the last treatment. Empty: the period the clinic's "
                    "jurisdiction requires (Germany: 10 years)."))
    crisis_contacts = models.TextField(
        _("crisis contacts"), blank=True, max_length=2000,
        help_text=_("Shown to patients after a questionnaire, one contact per line. "
                    "Empty: the defaults for the clinic's jurisdiction."))
    # The letterhead of printed documents (letters, consent sheets, the patient's copy).
    address = models.TextField(_("address"), blank=True, max_length=500,
                               help_text=_("As on the letterhead, one line per line (street, postcode and town)."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    letterhead = models.TextField(
        _("letterhead text"), blank=True, max_length=1000,
        help_text=_("Printed under the clinic's name on every document, e.g. the practitioners and their "
                    "qualifications."))
    logo = models.ImageField(_("logo"), upload_to=clinic_logo_path, blank=True,
                             validators=[FileExtensionValidator(list(LOGO_TYPES)), upload_size],
                             help_text=_("PNG or JPEG, printed at the top of every document."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self):
        return self.name

    def address_lines(self):
        return [line.strip() for line in self.address.splitlines() if line.strip()]

    def logo_data_uri(self):
        """The logo as a data: URI (for a page and a PDF alike; uploads are not served), or ""
        when there is none or its file is gone."""
        import base64

        if not self.logo:
            return ""
        try:
            with self.logo.open("rb") as image:
                data = image.read()
        except OSError:
            return ""
        kind = LOGO_TYPES.get(self.logo.name.rsplit(".", 1)[-1].lower(), "image/png")
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Clinic admin")
    PRACTITIONER = "practitioner", _("Practitioner")
    ASSISTANT = "assistant", _("Assistant")


class Membership(models.Model):
    """A user's role in one clinic. A user may belong to several clinics."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "clinic"], name="one_role_per_clinic")]
        ordering = ["clinic__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.clinic} ({self.get_role_display()})"

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def can_sign(self):
        """Assistants document, but never sign a note or approve an injection."""
        return self.role in (Role.ADMIN, Role.PRACTITIONER)


class PractitionerProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    profession = models.CharField(
        _("profession"), max_length=30, choices=localize.choices("profession"), blank=True
    )
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    licence_jurisdiction = models.CharField(
        _("licence jurisdiction"), max_length=10, blank=True, validators=[jurisdiction_code],
        help_text=_("Where the licence was issued: DE, AT, CH, ES, a US state as US-OR, …"),
    )
    # Profession, licence and jurisdiction are set by a clinic admin, who thereby
    # vouches for them; the safety engine trusts a profession only once verified.
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("verified by"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    # The interface language the user chose; empty: the browser's (see accounts.language).
    language = models.CharField(_("interface language"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("practitioner profile")
        verbose_name_plural = _("practitioner profiles")

    def __str__(self):
        return f"{self.user} ({self.get_profession_display() or '-'})"

    LICENCE_FIELDS = ("profession", "licence_number", "licence_jurisdiction")

    def set_licence(self, by, *, profession, licence_number, licence_jurisdiction):
        """A clinic admin (``by``) sets profession, licence number and jurisdiction and
        thereby vouches for them: with a profession the profile counts as verified by
        them from now on; without one there is nothing to verify. Not saved; returns
        ``{field: [old, new]}`` for what changed, for the audit trail."""
        new = {"profession": profession, "licence_number": licence_number,
               "licence_jurisdiction": licence_jurisdiction}
        changes = {name: [getattr(self, name), new[name]] for name in self.LICENCE_FIELDS
                   if getattr(self, name) != new[name]}
        for name, value in new.items():
            setattr(self, name, value)
        if self.profession:
            self.verified_by, self.verified_at = by, timezone.now()
        else:
            self.verified_by, self.verified_at = None, None
        return changes

    @property
    def verified_profession(self):
        """The profession once a clinic admin has verified it; None before."""
        return self.profession if self.profession and self.verified_at else None

    def case_practitioner(self, clinic=None, day=None):
        """This practitioner in the case format, injecting in ``clinic`` on ``day`` (today):
        an unverified profession is left out (the engine then treats it as unknown); the
        jurisdiction is where the clinic practises, whose law governs the injection, else the
        licence's; the training is what was valid on the injection's day."""
        return self.practitioner_block(self.trained_techniques(day), clinic.jurisdiction if clinic is not None else "")

    def practitioner_block(self, trained_techniques, clinic_jurisdiction=""):
        """case_practitioner() from what it reads elsewhere: the techniques trained for on
        the day (trained_techniques()) and the jurisdiction of the clinic ("" for none)."""
        found = {"trained_techniques": list(trained_techniques)}
        if self.verified_profession:
            found["profession"] = self.verified_profession
        jurisdiction = clinic_jurisdiction or self.licence_jurisdiction
        if jurisdiction:
            found["jurisdiction"] = jurisdiction
        return found

    def licensed_elsewhere(self, clinic):
        """The licence's jurisdiction when it differs from where ``clinic`` practises."""
        if clinic is not None and clinic.jurisdiction and self.licence_jurisdiction and \
                self.licence_jurisdiction != clinic.jurisdiction:
            return self.licence_jurisdiction
        return None

    def _records(self):
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("training_records")
        return prefetched if prefetched is not None else _training_records(self.pk)

    def trained_techniques(self, day=None, *, stored=False):
        """Every technique covered by a recorded training valid on ``day`` (today): taken on
        or before it and not lapsed by it. An expired certificate no longer vouches for its
        techniques, and a training taken after an injection does not vouch for it either.
        ``stored``: read the records from the database even where they were prefetched."""
        day = day or timezone.localdate()
        found = set()
        for record in _training_records(self.pk) if stored else self._records():
            if record.date <= day and not record.expired_on(day):
                found.update(record.techniques)
        return sorted(found)

    def lapsed_techniques(self, day=None):
        """{technique: the day its latest training expired} for each technique that only
        expired records cover: why the scope check warns although a training was recorded."""
        day = day or timezone.localdate()
        current = set(self.trained_techniques(day))
        lapsed = {}
        for record in self._records():
            if record.date <= day and record.expired_on(day):
                for technique in set(record.techniques) - current:
                    lapsed[technique] = max(lapsed.get(technique, record.expiry), record.expiry)
        return lapsed


# How each accepted certificate file begins: the name alone says nothing of what was uploaded.
CERTIFICATE_SIGNATURES = {"pdf": (b"%PDF-",), "png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",),
                          "jpeg": (b"\xff\xd8\xff",)}


def certificate_content_matches(upload):
    """Whether a newly uploaded certificate's first bytes are those of the type its name gives
    (a stored one was checked when it came)."""
    if not upload or getattr(upload, "_committed", True):
        return True
    ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if ext not in CERTIFICATE_SIGNATURES:
        return True  # the extension validator names that
    upload.file.seek(0)
    head = upload.file.read(16)
    upload.file.seek(0)
    return head.startswith(CERTIFICATE_SIGNATURES[ext])


def certificate_path(instance, filename):
    # A random name: the original file name may carry personal data.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"certificates/{instance.profile.user_id}/{secrets.token_hex(12)}.{ext}"


class TrainingKind(models.TextChoices):
    COURSE = "course", pgettext_lazy("training", "Course")
    CERTIFICATE = "certificate", _("Certificate")
    DIPLOMA = "diploma", _("Diploma")
    CME_EVENT = "cme_event", _("CME event")


class TrainingRecord(BoundedDates, models.Model):
    """A continuing-education record: a course, certificate, diploma or CME event, with the
    body that awarded it (a knowledge-base ``awarding-body``), its CME credits and, for a
    certificate that lapses, its expiry. An expired record no longer unlocks its techniques
    for the scope check (``PractitionerProfile.trained_techniques``); its credits still count
    on the day they were earned (segmenta/learning/cme.py)."""

    profile = models.ForeignKey(PractitionerProfile, on_delete=models.CASCADE, related_name="training_records")
    kind = models.CharField(_("kind"), max_length=20, choices=TrainingKind.choices, default=TrainingKind.COURSE)
    course = models.CharField(_("course"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    awarding_body = models.CharField(
        _("awarding body"), max_length=40, blank=True,
        help_text=_("Who awarded it, from the knowledge base's list; “Other” names it under provider."))
    date_bounds = {"date": "today", "expiry": "expiry"}
    date = models.DateField(_("date"))
    credits = models.DecimalField(
        _("CME credits"), max_digits=6, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
        help_text=_("The CME points the certificate states; empty if it awards none."))
    expiry = models.DateField(_("valid until"), null=True, blank=True,
                              help_text=_("The last day the certificate is valid; empty if it does not lapse."))
    hours = models.DecimalField(
        _("hours"), max_digits=6, decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(5000)],
    )
    techniques = models.JSONField(
        _("techniques covered"), default=list, blank=True,
        help_text=_("Injection techniques from the case-format vocabulary."),
    )
    certificate = models.FileField(
        _("certificate"), upload_to=certificate_path, blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"]), upload_size],
    )

    class Meta:
        ordering = ["-date", "course"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")

    def __str__(self):
        return f"{self.course} ({self.provider}, {self.date})"

    def techniques_display(self):
        return [localize.label("injection_target", code) for code in self.techniques]

    def clean(self):
        super().clean()
        if self.expiry and self.date and self.expiry < self.date:
            raise ValidationError({"expiry": _("A certificate cannot lapse before the day it was awarded.")})
        if not certificate_content_matches(self.certificate):
            raise ValidationError({"certificate": _("The file's content is no PDF, PNG or JPEG image, whatever "
                                                    "its name says.")})

    def expired_on(self, day):
        """Whether the record has lapsed by ``day`` (valid through its expiry day)."""
        return self.expiry is not None and self.expiry < day


def _digest(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once.

    A fast hash is enough here: tokens are 256 random bits, so there is nothing to
    brute-force the way a password can be.
    """

    PREFIX = "sgm_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_prefix = models.CharField(_("token starts with"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.key_prefix}… ({self.user})"

    @classmethod
    def issue(cls, user, name="", days=None):
        """Create a token valid for ``days`` (default SEGMENTA_TOKEN_DAYS); return (token
        object, raw token string)."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        days = days or settings.SEGMENTA_TOKEN_DAYS
        token = cls.objects.create(user=user, name=name, key_prefix=raw[:12], key_hash=_digest(raw),
                                   expires_at=timezone.now() + timedelta(days=days))
        return token, raw

    @classmethod
    def authenticate(cls, raw):
        """The active token for ``raw``, or None."""
        if not raw or not raw.startswith(cls.PREFIX) or len(raw) > 100:
            return None
        # Every API request asks this: its SQL is built once (segmenta/prepared.py).
        now = timezone.now()
        token = next((t for t in _active_token(_digest(raw)) if t.expires_at > now), None)
        if token is not None:
            # Write at most once a minute: every request would otherwise write.
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
                cls.objects.filter(pk=token.pk).update(last_used_at=now)
        return token

    @classmethod
    def has_expired(cls, raw):
        """Whether ``raw`` is a token that would still work had it not expired."""
        if not raw or not raw.startswith(cls.PREFIX) or len(raw) > 100:
            return False
        return cls.objects.filter(key_hash=_digest(raw), revoked_at__isnull=True, user__is_active=True,
                                  expires_at__lte=timezone.now()).exists()

    @property
    def active(self):
        return self.revoked_at is None

    @property
    def expired(self):
        return self.expires_at <= timezone.now()

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


# The token with this hash, if it is neither revoked nor its user deactivated (its expiry is
# compared after: Prepared takes no times).
# With the user's practitioner profile: the case export, the safety check and the scope
# check read it on nearly every API call.
_active_token = Prepared(lambda key_hash: ApiToken.objects.select_related("user", "user__profile").filter(
    key_hash=key_hash, revoked_at__isnull=True, user__is_active=True), str)
_training_records = Prepared(lambda profile_id: TrainingRecord.objects.filter(profile_id=profile_id), int)
