"""The calendar pages: a practitioner's or a room's day and week, booking one appointment or a
course from a plan, an appointment's page (move, cancel, no-show, attended, open its session)
and the clinic admin's settings (rooms, types, holidays, closed weekdays and closures)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from segmenta.accounts.access import admin_clinics, chosen_clinic, clinic_admin_required
from segmenta.audit.trail import record
from segmenta.patients.audit import record_list_view
from segmenta.patients.models import Patient
from segmenta.treatment.models import TreatmentPlan

from . import booking
from .booking import BookingRefused
from .forms import (PATIENT_MATCHES, STATUS_ACTIONS, BookingForm, CalendarForm, CancelForm, ClosureForm, CourseForm,
                    MoveForm, RoomForm, TypeForm, patient_matches)
from .models import Appointment, AppointmentType, Closure, Room


def _clinic(request):
    clinic, clinics = chosen_clinic(request)
    if clinic is None:
        raise Http404
    return clinic, clinics


def _day(value):
    try:
        return datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _int(value):
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _refused(form, error):
    """Put a refusal's messages beside the fields they name (else above the form)."""
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


# --- Day and week ------------------------------------------------------------------------

@login_required
def calendar_day(request):
    return _calendar(request, "day")


@login_required
def calendar_week(request):
    return _calendar(request, "week")


def _calendar(request, view):
    clinic, clinics = _clinic(request)
    day = _day(request.GET.get("date"))
    practitioners = list(booking.practitioners_of(clinic))
    rooms = list(Room.objects.filter(clinic=clinic, active=True))
    room = next((r for r in rooms if r.pk == _int(request.GET.get("room"))), None)
    practitioner = None
    if room is None:
        wanted = _int(request.GET.get("practitioner")) or request.user.pk
        practitioner = next((p for p in practitioners if p.pk == wanted), practitioners[0] if practitioners else None)
    first = day - datetime.timedelta(days=day.weekday()) if view == "week" else day
    days = [first + datetime.timedelta(days=n) for n in range(7 if view == "week" else 1)]
    step = datetime.timedelta(days=7 if view == "week" else 1)
    start = timezone.make_aware(datetime.datetime.combine(days[0], datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(days[-1] + datetime.timedelta(days=1), datetime.time.min))
    shown = Appointment.objects.filter(clinic=clinic, starts_at__lt=end, ends_at__gt=start)
    if room is not None:
        shown = shown.filter(room=room)
    elif practitioner is not None:
        shown = shown.filter(practitioner=practitioner)
    else:
        shown = shown.none()
    appointments = list(shown.select_related("patient", "patient__clinic", "type", "room", "practitioner")
                        .order_by("starts_at", "id"))
    calendar = booking.calendar_of(clinic)
    closed = booking.closed_on(calendar, days[0], days[-1])
    by_day = {d: [] for d in days}
    for appointment in appointments:
        by_day.setdefault(timezone.localtime(appointment.starts_at).date(), []).append(appointment)
    record_list_view(request, [a.patient for a in appointments], {
        "page": f"calendar-{view}", "date": day.isoformat(), "appointments": [a.pk for a in appointments],
        **({"room": room.pk} if room else {"practitioner": practitioner.pk if practitioner else None})})
    query = {"room": room.pk} if room else ({"practitioner": practitioner.pk} if practitioner else {})
    if len(clinics) > 1:
        query["clinic"] = clinic.pk
    return render(request, "scheduling/calendar.html", {
        "view": view, "clinic": clinic, "clinics": clinics, "day": day, "today": timezone.localdate(),
        "days": [{"date": d, "appointments": by_day[d], "closed": closed(d)} for d in days],
        "practitioners": practitioners, "rooms": rooms, "practitioner": practitioner, "room": room,
        "previous": (day - step).isoformat(), "next": (day + step).isoformat(),
        "query": urlencode(query), "calendar": calendar,
        "booking_query": urlencode({**query, "date": day.isoformat()}),
    })


# --- Booking -----------------------------------------------------------------------------

@login_required
def book(request):
    clinic, clinics = _clinic(request)
    patient = None
    if _int(request.GET.get("patient")):
        patient = Patient.objects.for_user_or_404(request.user, _int(request.GET.get("patient")))
        clinic = patient.clinic
    finding = request.method == "POST" and request.POST.get("action") == "find"
    if finding:
        # "Find" (the search without JavaScript): the same form again with its matches, not judged yet.
        form = BookingForm(initial=request.POST.dict(), clinic=clinic, patient=patient)
    else:
        form = BookingForm(request.POST or None, clinic=clinic, patient=patient)
    if request.method != "POST":
        _preset(form, request)
    if request.method == "POST" and not finding and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = booking.book(patient=data["patient"], practitioner=data["practitioner"], kind=data["type"],
                                       room=data["room"], starts_at=data["starts_at"], note=data["note"],
                                       user=request.user, request=request)
        except BookingRefused as error:
            _refused(form, error)
        else:
            messages.success(request, _("Appointment booked: %(appointment)s.") % {"appointment": appointment})
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    _record_matches(request, form.matches())
    return render(request, "scheduling/book.html", {
        "form": form, "clinic": clinic, "clinics": clinics, "patient": patient, **_matches_context(form),
        "matches_url": reverse("scheduling:book_patients") + (f"?clinic={clinic.pk}" if len(clinics) > 1 else ""),
    }, status=400 if form.is_bound and form.errors else 200)


@login_required
def book_patients(request):
    """The booking's patient search as the user types (htmx): the clinic's patients matching
    ``find``, to pick one; the same part of the page the booking form shows after "Find"."""
    clinic, _clinics = _clinic(request)
    text = request.GET.get("find", "")
    matches = patient_matches(clinic, text)
    _record_matches(request, matches)
    return render(request, "scheduling/_patient_matches.html", {
        "matches": matches[:PATIENT_MATCHES], "more": len(matches) > PATIENT_MATCHES, "searched": bool(text.strip()),
        "picked": matches[0].pk if len(matches) == 1 else None})


def _matches_context(form):
    """What the booking form's patient part shows: the search's matches (the picked patient
    among them even when the search has changed since), the one picked, and whether more match."""
    matches = form.matches()
    picked = form.cleaned_data.get("patient") if hasattr(form, "cleaned_data") else None
    if picked is None and len(matches) == 1:
        picked = matches[0]
    shown = matches[:PATIENT_MATCHES]
    if picked is not None and form.fixed_patient is None and picked not in shown:
        shown = [picked, *shown]
    return {"matches": shown, "more": len(matches) > PATIENT_MATCHES, "searched": bool(form.matches_text()),
            "picked": picked.pk if picked is not None else None}


def _record_matches(request, matches):
    """A search's matches are a list of patients shown: audited as the patient list is."""
    if matches:
        record_list_view(request, matches[:PATIENT_MATCHES], {"page": "booking-patient-search"})


def _preset(form, request):
    """A booking opened from a calendar keeps its practitioner, room and day."""
    if _int(request.GET.get("practitioner")):
        form.fields["practitioner"].initial = _int(request.GET.get("practitioner"))
    elif "practitioner" in form.fields and booking.is_treating(request.user, form.clinic):
        form.fields["practitioner"].initial = request.user.pk
    if _int(request.GET.get("room")):
        form.fields["room"].initial = _int(request.GET.get("room"))
    if request.GET.get("date"):
        day = _day(request.GET.get("date"))
        start = timezone.localtime(form.fields["starts_at"].initial)
        if day != start.date():
            opens = booking.calendar_of(form.clinic).opens_at
            form.fields["starts_at"].initial = datetime.datetime.combine(day, opens)


@login_required
def book_course(request, plan_id):
    plan = get_object_or_404(TreatmentPlan.objects.visible_to(request.user)
                             .select_related("patient", "patient__clinic", "complaint"), pk=plan_id)
    patient = plan.patient
    form = CourseForm(request.POST or None, clinic=patient.clinic, plan=plan)
    if request.method != "POST" and booking.is_treating(request.user, patient.clinic):
        form.fields["practitioner"].initial = request.user.pk
    proposal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {"plan": plan, "practitioner": data["practitioner"], "kind": data["type"], "room": data["room"],
                     "first_start": data["starts_at"], "count": data["count"], "interval_days": data["interval_days"]}
        try:
            if request.POST.get("action") == "confirm":
                booked = booking.book_series(**arguments, user=request.user, request=request)
                messages.success(request, ngettext("%(count)s appointment booked for this course.",
                                                   "%(count)s appointments booked for this course.",
                                                   len(booked)) % {"count": len(booked)})
                return redirect(reverse("scheduling:week") + "?" + urlencode(
                    {"practitioner": data["practitioner"].pk, "date": booked[0].starts_at.date().isoformat()}))
            proposal = booking.propose_series(**arguments)
        except BookingRefused as error:
            _refused(form, error)
            if error.status == 409:
                proposal = booking.propose_series(**arguments)
    if proposal is not None:
        record("view", request=request, patient=patient, obj=plan, detail={"course_proposal": len(proposal)})
    return render(request, "scheduling/course.html", {
        "form": form, "plan": plan, "patient": patient, "proposal": proposal,
        "can_confirm": proposal is not None and not any(r["conflicts"] or r["outside_hours"] for r in proposal),
        "series": Appointment.objects.filter(plan=plan, clinic=plan.clinic_id).exclude(
            status=Appointment.Status.CANCELLED).select_related("type").order_by("starts_at")[:60],
    }, status=400 if form.errors else 200)


# --- One appointment ---------------------------------------------------------------------

def _appointment(request, appointment_id):
    return get_object_or_404(Appointment.objects.visible_to(request.user).select_related(
        "patient", "patient__clinic", "practitioner", "room", "type", "plan", "plan__complaint", "session"),
        pk=appointment_id)


@login_required
def appointment_detail(request, appointment_id):
    appointment = _appointment(request, appointment_id)
    record("view", request=request, patient=appointment.patient, obj=appointment)
    return _detail(request, appointment)


def _detail(request, appointment, status=200, move_form=None, cancel_form=None):
    booked = appointment.status == Appointment.Status.BOOKED
    return render(request, "scheduling/appointment.html", {
        "appointment": appointment, "patient": appointment.patient,
        "move_form": move_form or (MoveForm(appointment=appointment) if booked else None),
        "cancel_form": cancel_form or (CancelForm() if appointment.status != Appointment.Status.CANCELLED else None),
        "status_actions": [(code, label) for code, label in STATUS_ACTIONS.items()
                           if appointment.status != Appointment.Status.CANCELLED and appointment.status != code
                           and appointment.starts_at <= timezone.now() + datetime.timedelta(minutes=15)],
        "open_move": move_form is not None, "open_cancel": cancel_form is not None,
        "others": Appointment.objects.filter(series=appointment.series, clinic=appointment.clinic_id)
        .select_related("type").order_by("starts_at") if appointment.series else [],
    }, status=status)


@login_required
@require_POST
def appointment_move(request, appointment_id):
    appointment = _appointment(request, appointment_id)
    form = MoveForm(request.POST, appointment=appointment)
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking.move(appointment, starts_at=data["starts_at"], practitioner=data["practitioner"],
                         room=data["room"], kind=data["type"], user=request.user, request=request)
        except BookingRefused as error:
            _refused(form, error)
            appointment.refresh_from_db()
        else:
            messages.success(request, _("Appointment moved to %(when)s.") % {"when": _when(appointment)})
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    return _detail(request, appointment, status=409 if form.errors and "starts_at" not in form.data else 400,
                   move_form=form)


def _when(appointment):
    from segmenta import l10n

    return l10n.moment(appointment.starts_at)


@login_required
@require_POST
def appointment_cancel(request, appointment_id):
    appointment = _appointment(request, appointment_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            booking.set_status(appointment, Appointment.Status.CANCELLED, reason=form.cleaned_data["reason"],
                               user=request.user, request=request)
        except BookingRefused as error:
            _refused(form, error)
        else:
            messages.success(request, _("Appointment cancelled."))
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    return _detail(request, appointment, status=400, cancel_form=form)


@login_required
@require_POST
def appointment_status(request, appointment_id):
    appointment = _appointment(request, appointment_id)
    status = request.POST.get("status")
    if status not in STATUS_ACTIONS:
        raise Http404
    try:
        booking.set_status(appointment, status, user=request.user, request=request)
    except BookingRefused as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("Appointment marked: %(status)s.") % {"status": appointment.get_status_display()})
    return redirect("scheduling:appointment", appointment_id=appointment.pk)


@login_required
@require_POST
def appointment_session(request, appointment_id):
    """Open the appointment: its draft session, created the first time."""
    appointment = _appointment(request, appointment_id)
    if appointment.status == Appointment.Status.CANCELLED:
        messages.error(request, _("This appointment is cancelled."))
        return redirect("scheduling:appointment", appointment_id=appointment.pk)
    try:
        session = booking.open_session(appointment, request.user, request=request)
    except BookingRefused as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
        return redirect("scheduling:appointment", appointment_id=appointment.pk)
    return redirect("treatment:session", session_id=session.pk)


# --- The clinic's calendar settings ------------------------------------------------------

def _admin_clinic(request):
    clinics = list(admin_clinics(request.user).order_by("name"))
    chosen = _int(request.GET.get("clinic"))
    clinic = next((c for c in clinics if c.pk == chosen), None) if chosen else (clinics[0] if clinics else None)
    if clinic is None:
        raise Http404
    return clinic, clinics


SETTINGS_FORMS = {"calendar": CalendarForm, "room": RoomForm, "type": TypeForm, "closure": ClosureForm}


@clinic_admin_required
def calendar_settings(request):
    clinic, clinics = _admin_clinic(request)
    calendar = booking.calendar_of(clinic)
    booking.types_of(clinic)
    bound = {}
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind not in SETTINGS_FORMS:
            raise Http404
        instance = _settings_instance(clinic, calendar, kind, request.POST.get("id"))
        prefix = f"{kind}-{instance.pk}" if instance.pk and kind != "calendar" else None
        form = SETTINGS_FORMS[kind](request.POST, instance=instance, **({"prefix": prefix} if prefix else {}))
        if form.is_valid():
            try:
                with transaction.atomic():
                    row = form.save(commit=False)
                    if kind != "calendar":
                        row.clinic = clinic
                    row.save()
                    record("update" if instance.pk else "create", request=request, clinic=clinic, obj=row,
                           detail={"fields": {name: str(form.cleaned_data[name]) for name in form.changed_data}})
            except IntegrityError:
                form.add_error("name", _("Your clinic already has one of this name."))
            else:
                messages.success(request, _("Saved: %(item)s.") % {"item": row})
                return redirect(reverse("scheduling:settings") + _clinic_query(clinic, clinics))
        bound[kind if instance.pk is None or kind == "calendar" else f"{kind}-{instance.pk}"] = form
    rooms = list(Room.objects.filter(clinic=clinic))
    kinds = list(AppointmentType.objects.filter(clinic=clinic))
    for room in rooms:
        room.form = bound.get(f"room-{room.pk}") or RoomForm(instance=room, prefix=f"room-{room.pk}")
    for item in kinds:
        item.form = bound.get(f"type-{item.pk}") or TypeForm(instance=item, prefix=f"type-{item.pk}")
    today = timezone.localdate()
    country, subdivision = calendar.region()
    return render(request, "scheduling/settings.html", {
        "clinic": clinic, "clinics": clinics, "calendar": calendar, "country": country, "subdivision": subdivision,
        "calendar_form": bound.get("calendar") or CalendarForm(instance=calendar),
        "room_form": bound.get("room") or RoomForm(), "type_form": bound.get("type") or TypeForm(),
        "closure_form": bound.get("closure") or ClosureForm(),
        "rooms": rooms, "types": kinds,
        "closures": Closure.objects.filter(clinic=clinic, ends_on__gte=today - datetime.timedelta(days=30)),
        "holidays": sorted(booking.public_holidays(calendar, today, today + datetime.timedelta(days=365)).items()),
        "clinic_query": _clinic_query(clinic, clinics),
    }, status=400 if bound else 200)


def _settings_instance(clinic, calendar, kind, row_id):
    if kind == "calendar":
        return calendar
    model = SETTINGS_FORMS[kind]._meta.model
    if row_id:
        return get_object_or_404(model, clinic=clinic, pk=_int(row_id) or 0)
    return model(clinic=clinic)


def _clinic_query(clinic, clinics):
    return f"?clinic={clinic.pk}" if len(clinics) > 1 else ""


@clinic_admin_required
@require_POST
def closure_delete(request, closure_id):
    closure = get_object_or_404(Closure, pk=closure_id, clinic__in=admin_clinics(request.user))
    with transaction.atomic():
        record("delete", request=request, clinic=closure.clinic, obj=closure, detail={"closure": str(closure)})
        closure.delete()
    messages.success(request, _("Closure removed."))
    clinics = list(admin_clinics(request.user))
    return redirect(reverse("scheduling:settings") + _clinic_query(closure.clinic, clinics))
