from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from segmenta.knowledge import localize, retention
from segmenta.knowledge.base import load as load_knowledge
from segmenta.l10n import DecimalInput
from segmenta.stored_dates import DateInput
from segmenta.validators import jurisdiction_code

from .models import Clinic, PractitionerProfile, Role, TrainingRecord

User = get_user_model()


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label=_("Six-digit code from your authenticator app"), regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_otp_token(self):
        return self.cleaned_data["otp_token"].strip()


class ReauthForm(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))
    otp_token = forms.RegexField(
        label=_("Six-digit code from your authenticator app"), regex=r"^\s*\d{6}\s*$", required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _jurisdiction(value):
    """A jurisdiction code, upper case ("de" is meant as "DE"); empty stays empty (unknown)."""
    value = (value or "").strip().upper()
    if value and not jurisdiction_code.regex.match(value):
        raise forms.ValidationError(_("Use a country code such as DE, AT, CH or ES, or a US state as US-OR."),
                                    code="jurisdiction")
    return value


class JurisdictionInput(forms.TextInput):
    def __init__(self, attrs=None):
        super().__init__({"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off",
                          "maxlength": 10, **(attrs or {})})


class LicenceForm(forms.Form):
    """A member's profession, licence number and licence jurisdiction, as a clinic admin
    sets them; saving vouches for them (see PractitionerProfile.set_licence)."""

    profession = forms.ChoiceField(label=_("Profession"), choices=[("", "—")] + localize.choices("profession"),
                                   required=False)
    licence_number = forms.CharField(label=_("Licence number"), max_length=64, required=False)
    licence_jurisdiction = forms.CharField(
        label=_("Licence jurisdiction"), max_length=10, required=False, widget=JurisdictionInput(),
        help_text=_("Where the licence was issued: DE, AT, CH, ES, a US state as US-OR, …; "
                    "empty: the clinic's jurisdiction."))

    @classmethod
    def for_profile(cls, profile, data=None, **kwargs):
        return cls(data, initial={name: getattr(profile, name) for name in PractitionerProfile.LICENCE_FIELDS},
                   **kwargs)

    def clean_licence_jurisdiction(self):
        return _jurisdiction(self.cleaned_data.get("licence_jurisdiction"))


class ClinicSettingsForm(forms.ModelForm):
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Clinic
        fields = ["jurisdiction", "crisis_contacts", "reassess_after", "retention_years",
                  "address", "phone", "email", "letterhead", "logo"]
        widgets = {"jurisdiction": JurisdictionInput(),
                   "retention_years": forms.NumberInput(attrs={"min": 1, "max": 100, "inputmode": "numeric"}),
                   "crisis_contacts": forms.Textarea(attrs={"rows": 4}),
                   "reassess_after": forms.NumberInput(attrs={"min": 3, "max": 5, "inputmode": "numeric"}),
                   "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
                   "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
                   "email": forms.EmailInput(attrs={"autocomplete": "email"}),
                   "letterhead": forms.Textarea(attrs={"rows": 3}),
                   # A plain file input: the stored file is shown as an image, not as a link
                   # (uploads are not served); "Remove the logo" clears it.
                   "logo": forms.FileInput(attrs={"accept": "image/png,image/jpeg"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def clean_jurisdiction(self):
        return _jurisdiction(self.cleaned_data.get("jurisdiction"))

    def _lines(self, name):
        # One item per line: blank lines and stray spaces are dropped.
        lines = (line.strip() for line in (self.cleaned_data.get(name) or "").splitlines())
        return "\n".join(line for line in lines if line)

    def clean_crisis_contacts(self):
        return self._lines("crisis_contacts")

    def clean_address(self):
        return self._lines("address")

    def save(self, commit=True):
        clinic = super().save(commit=False)
        if self.cleaned_data.get("remove_logo") and not self.files.get(self.add_prefix("logo")):
            clinic.logo = ""
        if commit:
            clinic.save()
        return clinic

    def clean(self):
        cleaned = super().clean()
        years = cleaned.get("retention_years")
        # Never shorter than the law of the clinic's jurisdiction: the purge would delete too early.
        shortest = retention.shortest_allowed(cleaned.get("jurisdiction"), load_knowledge().entries["retention"])
        if years and shortest and years < shortest:
            self.add_error("retention_years", _("At least %(years)s years where the clinic practises "
                                                "(%(code)s); longer if your rules require it.")
                           % {"years": shortest, "code": cleaned.get("jurisdiction")})
        return cleaned


class TrainingRecordForm(forms.ModelForm):
    techniques = forms.MultipleChoiceField(
        label=_("Techniques covered"), choices=localize.choices("injection_target"),
        widget=forms.CheckboxSelectMultiple, required=False,
    )

    class Meta:
        model = TrainingRecord
        fields = ["course", "provider", "date", "hours", "techniques", "certificate"]
        widgets = {"date": DateInput(), "hours": DecimalInput()}
        localized_fields = ["hours"]


class LanguageForm(forms.ModelForm):
    """The interface language a user picks in their profile; empty: the browser's."""

    class Meta:
        model = PractitionerProfile
        fields = ["language"]
        labels = {"language": _("Interface language")}
        help_texts = {"language": _("Dates and numbers follow it too. With the browser's language, the "
                                    "language set in your browser applies.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each language by its own name, as people look for it; the first choice is ours to word.
        self.fields["language"].choices = [("", _("The browser's language"))] + list(settings.LANGUAGES)


class NewMemberForm(LicenceForm):
    """A clinic admin creates a colleague's account with an initial password (and, with
    a profession, verifies it)."""

    clinic = forms.ModelChoiceField(label=_("Clinic"), queryset=Clinic.objects.none())
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$",
                                error_messages={"invalid": _("Letters, digits and @ . + - _ only.")})
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    # No preselected role: the highest one should never be given by leaving a default alone.
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Choose a role"))] + Role.choices)
    password = forms.CharField(label=_("Initial password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    field_order = ["clinic", "username", "first_name", "last_name", "email", "role", "profession",
                   "licence_number", "licence_jurisdiction", "password"]

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profession"].help_text = _("Creating the account with a profession verifies it in your name.")
        self.fields["clinic"].queryset = clinics
        if clinics.count() == 1:
            self.fields["clinic"].initial = clinics.first()

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(username=cleaned.get("username", ""), first_name=cleaned.get("first_name", ""),
                             last_name=cleaned.get("last_name", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("What is this token for?"), max_length=100, required=False)
    days = forms.IntegerField(
        label=_("Valid for (days)"), required=False, min_value=1, max_value=365,
        help_text=_("Empty: the server's default. After this the token stops working; create a new one then."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].widget.attrs["placeholder"] = str(settings.SEGMENTA_TOKEN_DAYS)
