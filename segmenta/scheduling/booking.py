"""Booking, moving and closing appointments: the one place pages and the API write them.

Thin on purpose: the rules (a course's dates, what overlaps) are in ``series``; this module
reads the clinic's calendar and the busy slots, asks the rules, and writes in a transaction.
Each write locks the clinic's calendar row first, so two bookings of one clinic never pass
their conflict check side by side and both land in the same slot.
"""

import datetime
import uuid

import holidays as holiday_library
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from segmenta import l10n
from segmenta.accounts.models import Membership, Role
from segmenta.audit.trail import record

from . import series
from .models import Appointment, AppointmentType, ClinicCalendar, Closure

# Who can be booked: those who treat (assistants book for them).
TREATING_ROLES = (Role.ADMIN, Role.PRACTITIONER)

# The types a clinic starts with, the first time anyone books (kind, duration in minutes).
DEFAULT_TYPES = [
    (AppointmentType.Kind.FIRST_VISIT, _("First visit"), 60),
    (AppointmentType.Kind.TREATMENT, _("Treatment session"), 30),
    (AppointmentType.Kind.REASSESSMENT, _("Reassessment"), 45),
    (AppointmentType.Kind.FOLLOW_UP, _("Follow-up"), 30),
]

WEEKDAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
                 _("Sunday")]

# The holidays library's languages for ours; others get the library's default.
HOLIDAY_LANGUAGES = {"en": "en_US", "de": "de", "es": "es"}


class BookingRefused(ValidationError):
    """A booking that cannot be made: ``message_dict`` names each field at fault;
    ``status`` 409 for a conflict with another appointment, 422 for bad input."""

    def __init__(self, errors, status=422):
        super().__init__(errors)
        self.status = status


# --- The clinic's calendar ---------------------------------------------------------------

def calendar_of(clinic, lock=False):
    """The clinic's calendar settings, created with the defaults on first use."""
    if lock:
        ClinicCalendar.objects.get_or_create(clinic=clinic)
        return ClinicCalendar.objects.select_for_update().select_related("clinic").get(clinic=clinic)
    found, _created = ClinicCalendar.objects.select_related("clinic").get_or_create(clinic=clinic)
    return found


def types_of(clinic, active_only=True):
    """The clinic's appointment types; a clinic without any gets the defaults, named in the
    language of whoever books first (a clinic admin renames them on the settings page)."""
    if not AppointmentType.objects.filter(clinic=clinic).exists():
        AppointmentType.objects.bulk_create(
            [AppointmentType(clinic=clinic, kind=kind, name=str(name), duration_minutes=minutes)
             for kind, name, minutes in DEFAULT_TYPES], ignore_conflicts=True)
    found = AppointmentType.objects.filter(clinic=clinic)
    return found.filter(active=True) if active_only else found


def practitioners_of(clinic):
    from django.contrib.auth import get_user_model

    return (get_user_model().objects.filter(memberships__clinic=clinic, memberships__role__in=TREATING_ROLES,
                                            is_active=True).order_by("username"))


def is_treating(user, clinic):
    return Membership.objects.filter(user=user, clinic=clinic, role__in=TREATING_ROLES, user__is_active=True).exists()


def public_holidays(calendar, first, last, language=None):
    """{date: name} of the public holidays between ``first`` and ``last`` where the clinic
    practises, named in ``language`` where the library knows it; {} when the region is unknown."""
    country, subdivision = calendar.region()
    if not country:
        return {}
    code = HOLIDAY_LANGUAGES.get((language or get_language() or "en")[:2])
    years = range(first.year, last.year + 1)
    try:
        found = holiday_library.country_holidays(country, subdiv=subdivision, years=years)
        if code in getattr(found, "supported_languages", ()):
            found = holiday_library.country_holidays(country, subdiv=subdivision, years=years, language=code)
    except NotImplementedError:  # a country or state the library does not know: no holidays
        return {}
    return {day: name for day, name in found.items() if first <= day <= last}


def closed_on(calendar, first, last):
    """``closed(day)`` for the clinic between ``first`` and ``last`` (and a little beyond,
    where a course's last date may move): its weekdays, holidays and closures, each named."""
    last = last + datetime.timedelta(days=series.MAX_SHIFT_DAYS + 7)
    closures = [(c.starts_on, c.ends_on, c.reason) for c in
                Closure.objects.filter(clinic_id=calendar.clinic_id, ends_on__gte=first, starts_on__lte=last)]
    return series.closed_predicate(
        calendar.closed_weekdays, public_holidays(calendar, first, last), closures,
        weekday_reason=lambda day: gettext("the clinic's weekly closing day (%(weekday)s)") % {
            "weekday": WEEKDAY_NAMES[day.weekday()]})


def reason_text(reason):
    return gettext("the appointment before it moved") if reason == series.PUSHED else reason


# --- Conflicts ----------------------------------------------------------------------------

def _slot(appointment):
    return series.Booking(starts_at=appointment.starts_at, ends_at=appointment.ends_at,
                          practitioner=appointment.practitioner_id, patient=appointment.patient_id,
                          room=appointment.room_id, ref=appointment.pk)


def _busy(clinic_id, first, last, practitioners, rooms, patients):
    """The active appointments between ``first`` and ``last`` of any of these people and rooms."""
    from django.db.models import Q

    who = Q(practitioner_id__in=practitioners) | Q(patient_id__in=patients)
    if rooms:
        who |= Q(room_id__in=rooms)
    found = (Appointment.objects.filter(clinic_id=clinic_id, starts_at__lt=last, ends_at__gt=first,
                                        status__in=[Appointment.Status.BOOKED, Appointment.Status.ATTENDED])
             .filter(who).select_related("type", "room", "practitioner"))
    return {a.pk: a for a in found}


def conflict_message(conflict, stored):
    """What the person booking reads: the field at fault and the appointment in the way."""
    other = stored[conflict.other.ref] if conflict.other.ref in stored else None
    when = (f"{l10n.moment(conflict.other.starts_at)}–{timezone.localtime(conflict.other.ends_at):%H:%M}")
    what = other.type.name if other is not None else gettext("an appointment of this series")
    if conflict.field == "practitioner":
        who = other.practitioner.get_username() if other is not None else ""
        return gettext("%(who)s is already booked then: %(what)s, %(when)s.") % {
            "who": who or gettext("The practitioner"), "what": what, "when": when}
    if conflict.field == "room":
        return gettext("%(room)s is taken then: %(what)s, %(when)s.") % {
            "room": other.room.name if other is not None else gettext("The room"), "what": what, "when": when}
    return gettext("The patient already has an appointment then: %(what)s, %(when)s.") % {
        "what": what, "when": when}


def _check_open(calendar, starts_at, ends_at, field="starts_at"):
    """Refuse a time on a closed day or outside the opening hours, naming ``field``."""
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    closed = closed_on(calendar, local_start.date(), local_start.date())
    why = closed(local_start.date())
    if why:
        raise BookingRefused({field: gettext("The clinic is closed on %(day)s: %(reason)s.") % {
            "day": l10n.day(local_start.date()), "reason": why}})
    if (local_start.time() < calendar.opens_at or local_end.date() != local_start.date()
            or local_end.time() > calendar.closes_at):
        raise BookingRefused({field: gettext("The clinic is open from %(opens)s to %(closes)s.") % {
            "opens": calendar.opens_at.strftime("%H:%M"), "closes": calendar.closes_at.strftime("%H:%M")}})


def _check_parts(clinic, practitioner, room, kind):
    errors = {}
    if practitioner is None or not is_treating(practitioner, clinic):
        errors["practitioner"] = gettext("Choose a practitioner of this clinic.")
    if room is not None and (room.clinic_id != clinic.pk or not room.active):
        errors["room"] = gettext("Choose a room of this clinic that is in use.")
    if kind is None or kind.clinic_id != clinic.pk:
        errors["type"] = gettext("Choose an appointment type of this clinic.")
    if errors:
        raise BookingRefused(errors)


def _refuse_conflicts(found, stored, field_prefix=""):
    if found:
        raise BookingRefused({f"{field_prefix}{c.field}": conflict_message(c, stored) for c in found}, status=409)


def _aware(value):
    return value if timezone.is_aware(value) else timezone.make_aware(value)


# --- Writing ------------------------------------------------------------------------------

def book(*, patient, practitioner, kind, starts_at, room=None, plan=None, note="", user, request=None):
    """Book one appointment; its end follows from the type's duration."""
    clinic = patient.clinic
    _check_parts(clinic, practitioner, room, kind)
    if plan is not None and plan.patient_id != patient.pk:
        raise BookingRefused({"plan": gettext("This plan belongs to another patient.")})
    starts_at = _aware(starts_at)
    ends_at = starts_at + datetime.timedelta(minutes=kind.duration_minutes)
    with transaction.atomic():
        calendar = calendar_of(clinic, lock=True)
        _check_open(calendar, starts_at, ends_at)
        appointment = Appointment(patient=patient, practitioner=practitioner, room=room, type=kind,
                                  starts_at=starts_at, ends_at=ends_at, plan=plan, note=note, created_by=user)
        _validate(appointment)
        stored = _busy(clinic.pk, starts_at, ends_at, [practitioner.pk], [room.pk] if room else [], [patient.pk])
        _refuse_conflicts(series.conflicts(_slot(appointment), [_slot(a) for a in stored.values()]), stored)
        appointment.save()
        record("create", request=request, user=user, patient=patient, obj=appointment)
    return appointment


def _validate(appointment, exclude=("clinic",)):
    try:
        appointment.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise BookingRefused(error.message_dict) from None


def propose_series(*, plan, practitioner, kind, first_start, count=None, interval_days=7, room=None):
    """The course's appointments as they would be booked: a list of dicts with ``starts_at``,
    ``ends_at``, ``planned`` (the rhythm's day), ``moved`` and ``reason``, and ``conflicts``
    (field → message) for any that collide. Nothing is written."""
    clinic = plan.patient.clinic
    _check_parts(clinic, practitioner, room, kind)
    first_start = timezone.localtime(_aware(first_start))
    count = count or plan.sessions_min
    calendar = calendar_of(clinic)
    span = datetime.timedelta(days=interval_days * count)
    closed = closed_on(calendar, first_start.date(), first_start.date() + span)
    try:
        dates = series.plan_dates(first_start.date(), count, closed, interval_days)
    except series.SeriesError as error:
        field = {"count": "count", "interval_days": "interval_days"}.get(error.field, "starts_at")
        message = {"count": gettext("A course has 1 to 50 appointments."),
                   "interval_days": gettext("The interval lies between 1 and 90 days.")}.get(
            error.field, gettext("No open day found for a date of this course."))
        raise BookingRefused({field: message}) from None
    duration = datetime.timedelta(minutes=kind.duration_minutes)
    rows, wanted = [], []
    for planned in dates:
        starts_at = timezone.make_aware(datetime.datetime.combine(planned.day, first_start.time()))
        rows.append({"starts_at": starts_at, "ends_at": starts_at + duration, "planned": planned.planned,
                     "moved": planned.moved, "reason": reason_text(planned.reason) if planned.moved else "",
                     "conflicts": {}, "outside_hours": False})
        wanted.append(series.Booking(starts_at=starts_at, ends_at=starts_at + duration, practitioner=practitioner.pk,
                                     patient=plan.patient_id, room=room.pk if room else None))
    stored = _busy(clinic.pk, wanted[0].starts_at, wanted[-1].ends_at, [practitioner.pk],
                   [room.pk] if room else [], [plan.patient_id])
    for index, found in series.series_conflicts(wanted, [_slot(a) for a in stored.values()]):
        rows[index]["conflicts"] = {c.field: conflict_message(c, stored) for c in found}
    for row in rows:
        local_start, local_end = timezone.localtime(row["starts_at"]), timezone.localtime(row["ends_at"])
        row["outside_hours"] = (local_start.time() < calendar.opens_at or local_end.time() > calendar.closes_at
                                or local_end.date() != local_start.date())
    return rows


def book_series(*, plan, practitioner, kind, first_start, count=None, interval_days=7, room=None, user,
                request=None):
    """Book a whole course from a plan, all or nothing: refused (409) naming every date that
    conflicts, else every appointment written in one transaction with one series id."""
    with transaction.atomic():
        calendar_of(plan.patient.clinic, lock=True)
        rows = propose_series(plan=plan, practitioner=practitioner, kind=kind, first_start=first_start,
                              count=count, interval_days=interval_days, room=room)
        outside = [r for r in rows if r["outside_hours"]]
        if outside:
            calendar = calendar_of(plan.patient.clinic)
            raise BookingRefused({"starts_at": gettext("The clinic is open from %(opens)s to %(closes)s.") % {
                "opens": calendar.opens_at.strftime("%H:%M"), "closes": calendar.closes_at.strftime("%H:%M")}})
        clashing = [r for r in rows if r["conflicts"]]
        if clashing:
            raise BookingRefused({"starts_at": [
                gettext("%(day)s: %(problem)s") % {"day": l10n.day(timezone.localtime(r["starts_at"]).date()),
                                                   "problem": " ".join(r["conflicts"].values())}
                for r in clashing]}, status=409)
        series_id = uuid.uuid4()
        booked = []
        for number, row in enumerate(rows, start=1):
            appointment = Appointment(
                patient=plan.patient, practitioner=practitioner, room=room, type=kind, plan=plan,
                starts_at=row["starts_at"], ends_at=row["ends_at"], series=series_id, series_number=number,
                moved_reason=row["reason"][:200], created_by=user)
            _validate(appointment)
            appointment.save()
            booked.append(appointment)
        record("create", request=request, user=user, patient=plan.patient, object_type="appointment_series",
               object_id=str(series_id), detail={"appointments": [a.pk for a in booked], "plan": plan.pk})
    return booked


# The fields a move or a change of status writes; the rest of the row stays as stored.
MOVED_FIELDS = ("starts_at", "ends_at", "practitioner", "room", "type", "note")
STATUS_FIELDS = ("status", "cancel_reason")


def _lock(appointment):
    """(calendar, appointment as stored now): the clinic's calendar row locked first, then the
    appointment's row, always in this order. Every change of a booked appointment, from a page
    or the API, comes through here: two people changing one appointment wait for each other
    and each works on what the other wrote (no lost update), and no two writers ever hold the
    two locks in opposite orders (no deadlock)."""
    calendar = calendar_of(appointment.patient.clinic, lock=True)
    locked = (Appointment.objects.select_for_update(of=("self",)).select_related("patient", "patient__clinic")
              .get(pk=appointment.pk, clinic_id=appointment.clinic_id))
    return calendar, locked


def _hand_back(appointment, locked):
    """The caller's instance as stored now (its pages and answers show it)."""
    for name in (*MOVED_FIELDS, *STATUS_FIELDS):
        setattr(appointment, name, getattr(locked, name))
    return appointment


def move(appointment, *, starts_at=None, practitioner=None, room=..., kind=None, note=None, user, request=None):
    """Move an appointment (and optionally give it another practitioner, room, type or note);
    what is not given stays as stored when the row is locked, not as the caller last read it."""
    with transaction.atomic():
        calendar, locked = _lock(appointment)
        if locked.status != Appointment.Status.BOOKED:
            raise BookingRefused({"status": gettext("Only a booked appointment can be moved.")}, status=409)
        practitioner = practitioner or locked.practitioner
        room = locked.room if room is ... else room
        kind = kind or locked.type
        clinic = locked.patient.clinic
        _check_parts(clinic, practitioner, room, kind)
        starts_at = _aware(starts_at) if starts_at is not None else locked.starts_at
        ends_at = starts_at + datetime.timedelta(minutes=kind.duration_minutes)
        _check_open(calendar, starts_at, ends_at)
        before = {"starts_at": locked.starts_at.isoformat(), "practitioner": locked.practitioner_id,
                  "room": locked.room_id, "type": locked.type_id}
        locked.starts_at, locked.ends_at = starts_at, ends_at
        locked.practitioner, locked.room, locked.type = practitioner, room, kind
        if note is not None:
            locked.note = note
        _validate(locked)
        stored = _busy(clinic.pk, starts_at, ends_at, [practitioner.pk], [room.pk] if room else [],
                       [locked.patient_id])
        _refuse_conflicts(series.conflicts(_slot(locked), [_slot(a) for a in stored.values()]), stored)
        locked.save(update_fields=list(MOVED_FIELDS))
        record("update", request=request, user=user, patient=locked.patient, obj=locked,
               detail={"moved": before, **({"note": True} if note is not None else {})})
    return _hand_back(appointment, locked)


def set_note(appointment, note, *, user, request=None):
    """Change an appointment's note alone (any status): the time and the rest stay as stored."""
    with transaction.atomic():
        _calendar, locked = _lock(appointment)
        locked.note = note
        _validate(locked)
        locked.save(update_fields=["note"])
        record("update", request=request, user=user, patient=locked.patient, obj=locked, detail={"fields": ["note"]})
    return _hand_back(appointment, locked)


def set_status(appointment, status, *, user, reason="", request=None):
    """Cancel (with a reason), mark attended or a no-show. Cancelled stays cancelled."""
    status = Appointment.Status(status)
    if status == Appointment.Status.CANCELLED:
        reason = (reason or "").strip()
        if not reason:
            raise BookingRefused({"cancel_reason": gettext("Say why the appointment is cancelled.")})
        if len(reason) > 300:
            raise BookingRefused({"cancel_reason": gettext("At most 300 characters.")})
    with transaction.atomic():
        _calendar, locked = _lock(appointment)
        if locked.status == Appointment.Status.CANCELLED:
            raise BookingRefused({"status": gettext("This appointment is cancelled.")}, status=409)
        if status in (Appointment.Status.NO_SHOW, Appointment.Status.ATTENDED):
            if locked.starts_at > timezone.now() + datetime.timedelta(minutes=15):
                raise BookingRefused({"status": gettext("This appointment has not started yet.")}, status=409)
        before = locked.status
        locked.status = status
        if status == Appointment.Status.CANCELLED:
            locked.cancel_reason = reason
        locked.save(update_fields=list(STATUS_FIELDS))
        record("update", request=request, user=user, patient=locked.patient, obj=locked,
               detail={"status": [before, status.value], **({"reason": reason} if reason else {})})
    return _hand_back(appointment, locked)


def open_session(appointment, user, request=None):
    """The appointment's draft session, created the first time (for its patient, plan and
    practitioner, at its start) through the session form's own checks; refused (409) when the
    appointment is cancelled as stored, though the page read it before the cancellation."""
    from segmenta.treatment.forms import SessionForm

    if appointment.session_id:
        return appointment.session
    with transaction.atomic():
        _calendar, locked = _lock(appointment)
        if locked.session_id:
            return locked.session
        if locked.status == Appointment.Status.CANCELLED:
            raise BookingRefused({"status": gettext("This appointment is cancelled.")}, status=409)
        form = SessionForm({"started_at": timezone.localtime(locked.starts_at).strftime("%Y-%m-%dT%H:%M"),
                            "plan": locked.plan_id or "", "notes": ""}, patient=locked.patient)
        if not form.is_valid():
            raise BookingRefused(form.errors.get_json_data() and {
                name: [e["message"] for e in errs] for name, errs in form.errors.get_json_data().items()})
        session = form.save(commit=False)
        session.patient, session.practitioner = locked.patient, locked.practitioner
        session.save()
        record("create", request=request, user=user, patient=locked.patient, obj=session,
               detail={"appointment": locked.pk})
        locked.session = session
        if locked.status == Appointment.Status.BOOKED:
            locked.status = Appointment.Status.ATTENDED
        locked.save()
        record("update", request=request, user=user, patient=locked.patient, obj=locked,
               detail={"session": session.pk})
    appointment.session, appointment.status = session, locked.status
    return session
