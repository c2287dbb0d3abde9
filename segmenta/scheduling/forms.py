from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from segmenta.patients.models import Patient
from segmenta.stored_dates import DateInput, DateTimeInput

from .booking import WEEKDAY_NAMES, practitioners_of, types_of
from .models import Appointment, AppointmentType, ClinicCalendar, Closure, Room


class PractitionerChoice(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


def _next_quarter_hour():
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now + timezone.timedelta(minutes=(15 - now.minute % 15) % 15 or 15)


class _Parts(forms.Form):
    """Who, what and where: shared by booking one appointment and a course."""

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["practitioner"].queryset = practitioners_of(clinic)
        self.fields["type"].queryset = types_of(clinic)
        self.fields["room"].queryset = Room.objects.filter(clinic=clinic, active=True)

    practitioner = PractitionerChoice(label=_("Practitioner"), queryset=None)
    type = forms.ModelChoiceField(label=_("Appointment type"), queryset=None)
    room = forms.ModelChoiceField(label=_("Room"), queryset=None, required=False, empty_label=_("no room"))


# How many patients a search offers to pick from: more means the search needs another word.
PATIENT_MATCHES = 8


def patient_matches(clinic, text):
    """The clinic's patients a search for ``text`` finds (name parts, the record number or the
    birth date, as the patient list searches), at most ``PATIENT_MATCHES`` + 1 so that the
    page can say there are more; none for an empty search."""
    text = (text or "").strip()[:100]
    if not text:
        return []
    return list(Patient.objects.filter(clinic=clinic).search(text).select_related("clinic")[:PATIENT_MATCHES + 1])


class BookingForm(_Parts):
    """Booking one appointment. The patient is fixed when the booking starts from a chart;
    from the calendar it is found by a search (``find``) and picked from its matches
    (``patient``), never chosen from a list of the whole clinic."""

    find = forms.CharField(label=_("Patient"), required=False, max_length=100,
                           help_text=_("Name, record number or birth date; then pick the patient from the matches."))
    patient = forms.ModelChoiceField(label=_("Patient"), queryset=None, widget=forms.HiddenInput,
                                     error_messages={"invalid_choice": _("Pick a patient of this clinic.")})
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["find", "patient", "type", "practitioner", "room", "starts_at", "note"]

    def __init__(self, *args, clinic, patient=None, **kwargs):
        super().__init__(*args, clinic=clinic, **kwargs)
        self.fixed_patient = patient
        # Only checked, never listed: the matches of the search are the choices shown.
        self.fields["patient"].queryset = Patient.objects.filter(clinic=clinic)
        self.fields["patient"].required = False
        if patient is not None:  # the page's patient, whatever is posted
            del self.fields["find"], self.fields["patient"]
        self.fields["starts_at"].initial = _next_quarter_hour()

    def matches_text(self):
        return "" if self.fixed_patient is not None else (self["find"].value() or "").strip()

    def matches(self):
        """The patients the search found, to pick from (none with a fixed patient)."""
        if not hasattr(self, "_matches"):
            self._matches = patient_matches(self.clinic, self.matches_text())
        return self._matches

    def clean(self):
        data = super().clean()
        if self.fixed_patient is not None:
            data["patient"] = self.fixed_patient
        elif data.get("patient") is None and "patient" not in self.errors:
            found = self.matches()
            if len(found) == 1:  # a record number or a unique name needs no second step
                data["patient"] = found[0]
            elif found:
                self.add_error("find", _("Several patients match: pick one below, or add to the search."))
            elif self["find"].value():
                self.add_error("find", _("No patient of this clinic matches this search."))
            else:
                self.add_error("find", _("Search for the patient by name, record number or birth date."))
        return data


class CourseForm(_Parts):
    starts_at = forms.DateTimeField(label=_("First appointment"), widget=DateTimeInput())
    count = forms.IntegerField(label=_("Number of appointments"), min_value=1, max_value=50)
    interval_days = forms.IntegerField(label=_("Every … days"), min_value=1, max_value=90, initial=7,
                                       help_text=_("7: weekly, at the same time."))

    field_order = ["type", "practitioner", "room", "starts_at", "count", "interval_days"]

    def __init__(self, *args, clinic, plan, **kwargs):
        super().__init__(*args, clinic=clinic, **kwargs)
        self.fields["count"].initial = plan.sessions_min
        self.fields["starts_at"].initial = _next_quarter_hour() + timezone.timedelta(days=1)
        treatment = self.fields["type"].queryset.filter(kind=AppointmentType.Kind.TREATMENT).first()
        if treatment is not None:
            self.fields["type"].initial = treatment.pk


class MoveForm(_Parts):
    starts_at = forms.DateTimeField(label=_("New start"), widget=DateTimeInput())

    field_order = ["starts_at", "practitioner", "room", "type"]

    def __init__(self, *args, appointment, **kwargs):
        super().__init__(*args, clinic=appointment.patient.clinic, **kwargs)
        self.prefix = "move"
        self.fields["starts_at"].initial = timezone.localtime(appointment.starts_at)
        self.fields["practitioner"].initial = appointment.practitioner_id
        self.fields["room"].initial = appointment.room_id
        self.fields["type"].initial = appointment.type_id
        # The type booked stays offered even if it has been retired since.
        self.fields["type"].queryset = AppointmentType.objects.filter(clinic=appointment.clinic_id).filter(
            Q(active=True) | Q(pk=appointment.type_id))


class CancelForm(forms.Form):
    prefix = "cancel"
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=300,
                             help_text=_("E.g. cancelled by the patient, practitioner ill."))


class RoomForm(forms.ModelForm):
    prefix = "room"

    class Meta:
        model = Room
        fields = ["name", "active"]


class TypeForm(forms.ModelForm):
    prefix = "type"

    class Meta:
        model = AppointmentType
        fields = ["name", "kind", "duration_minutes", "active"]


class CalendarForm(forms.ModelForm):
    prefix = "calendar"
    closed_weekdays = forms.TypedMultipleChoiceField(
        label=_("Closed on"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        choices=[(number, name) for number, name in enumerate(WEEKDAY_NAMES)])

    class Meta:
        model = ClinicCalendar
        fields = ["holiday_country", "holiday_subdivision", "closed_weekdays", "opens_at", "closes_at"]
        widgets = {"opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean_holiday_country(self):
        return self.cleaned_data["holiday_country"].strip().upper()

    def clean_holiday_subdivision(self):
        return self.cleaned_data["holiday_subdivision"].strip().upper()

    def clean(self):
        import holidays

        data = super().clean()
        country = data.get("holiday_country") or ""
        subdivision = data.get("holiday_subdivision") or ""
        supported = holidays.list_supported_countries()
        if country and country not in supported:
            self.add_error("holiday_country", _("No public holidays are known for this country code."))
        elif subdivision:
            effective = country or (self.instance.clinic.jurisdiction or "").partition("-")[0]
            known = {s.upper() for s in supported.get(effective, [])}
            if subdivision not in known:
                self.add_error("holiday_subdivision", _("Not a state or region of this country: use e.g. BY for "
                                                        "Bavaria."))
        return data


class ClosureForm(forms.ModelForm):
    prefix = "closure"

    class Meta:
        model = Closure
        fields = ["starts_on", "ends_on", "reason"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}


# Keyed by the plain values: an enum member hashes by its name, not its value.
STATUS_ACTIONS = {
    Appointment.Status.ATTENDED.value: _("Mark attended"),
    Appointment.Status.NO_SHOW.value: _("Mark no-show"),
}
