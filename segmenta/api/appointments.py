"""/api/v1/appointments: the calendar, scoped to the caller's clinics.

The same rules as the pages (segmenta.scheduling.booking): a conflict with another appointment
of the practitioner, the room or the patient answers 409 naming the field and the appointment
in the way; bad input 422 naming the field; a course from a plan is booked all or nothing."""

from datetime import datetime
from typing import Optional
from uuid import UUID

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import ConfigDict

from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.patients.models import Patient
from segmenta.scheduling import booking
from segmenta.scheduling.booking import BookingRefused
from segmenta.scheduling.models import Appointment, AppointmentType, Room
from segmenta.treatment.models import TreatmentPlan

from . import schemas
from .dates import ClinicalDateTime, FilterDateTime
from .errors import FieldErrors, refusals
from .modelschema import field_type
from .pagination import BoundedPagination

router = Router(tags=["appointments"])

ID = Field(..., ge=1, le=2**63 - 1)
PRACTITIONER_HELP = "username of a practitioner or clinic admin of the patient's clinic"


class Strict(schemas.Strict):
    model_config = ConfigDict(str_strip_whitespace=True)


class AppointmentOut(schemas.Out):
    id: int
    clinic: int
    patient: int
    practitioner: str = Field(..., description="username")
    room: Optional[int]
    room_name: Optional[str]
    type: int
    type_name: str
    kind: field_type(AppointmentType, "kind")
    starts_at: datetime
    ends_at: datetime
    status: field_type(Appointment, "status")
    plan: Optional[int]
    series: Optional[UUID] = Field(..., description="shared by the appointments of a course booked at once")
    series_number: Optional[int]
    session: Optional[int] = Field(..., description="the session opened from this appointment")
    note: str
    cancel_reason: str
    moved_reason: str = Field(..., description="why a course's date moved from its rhythm (a holiday, a closure)")
    created_by: Optional[str]
    created_at: datetime


class RoomOut(schemas.Out):
    id: int
    clinic: int
    name: str
    active: bool


class TypeOut(schemas.Out):
    id: int
    clinic: int
    name: str
    kind: field_type(AppointmentType, "kind")
    duration_minutes: int
    active: bool


class AppointmentIn(Strict):
    patient: int = ID
    practitioner: str = Field(..., min_length=1, max_length=150, description=PRACTITIONER_HELP)
    type: int = Field(..., ge=1, le=2**63 - 1, description="id of an appointment type of the clinic; sets the end")
    room: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    starts_at: ClinicalDateTime
    plan: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    note: str = Field("", max_length=2000)


class AppointmentPatch(Strict):
    """Moving or changing a booked appointment: only what is sent changes; ``room`` may be null
    (no room), nothing else."""

    starts_at: ClinicalDateTime = None
    practitioner: str = Field(None, min_length=1, max_length=150, description=PRACTITIONER_HELP)
    type: int = Field(None, ge=1, le=2**63 - 1)
    room: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    note: str = Field(None, max_length=2000)


class CancelIn(Strict):
    reason: str = Field(..., min_length=1, max_length=300)


class SeriesIn(Strict):
    plan: int = ID
    practitioner: str = Field(..., min_length=1, max_length=150, description=PRACTITIONER_HELP)
    type: int = Field(..., ge=1, le=2**63 - 1)
    room: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    starts_at: ClinicalDateTime = Field(..., description="the first appointment; the others at the same time of day")
    count: Optional[int] = Field(None, ge=1, le=50, description="default: the plan's expected sessions (from)")
    interval_days: int = Field(7, ge=1, le=90, description="7: weekly")


class ListFilters(Schema):
    from_: Optional[FilterDateTime] = Field(None, alias="from", description="appointments ending after this moment")
    to: Optional[FilterDateTime] = Field(None, description="appointments starting before this moment")
    practitioner: Optional[str] = Field(None, max_length=150, description="username")
    room: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    patient: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    status: Optional[field_type(Appointment, "status")] = None
    clinic: Optional[int] = Field(None, ge=1, le=2**63 - 1)


def _out(a):
    return {
        "id": a.pk, "clinic": a.clinic_id, "patient": a.patient_id, "practitioner": a.practitioner.get_username(),
        "room": a.room_id, "room_name": a.room.name if a.room_id else None, "type": a.type_id,
        "type_name": a.type.name, "kind": a.type.kind, "starts_at": a.starts_at, "ends_at": a.ends_at,
        "status": a.status, "plan": a.plan_id, "series": a.series, "series_number": a.series_number,
        "session": a.session_id, "note": a.note, "cancel_reason": a.cancel_reason, "moved_reason": a.moved_reason,
        "created_by": a.created_by.get_username() if a.created_by_id else None, "created_at": a.created_at,
    }


def _visible(request):
    return Appointment.objects.visible_to(request.user).select_related("practitioner", "room", "type", "created_by")


def _appointment(request, appointment_id):
    return get_object_or_404(_visible(request).select_related("patient", "patient__clinic"), pk=appointment_id)


def _refused(error):
    """A refusal as the API answers it: 409 for a conflict, 422 naming each field."""
    problems = [{"field": field, "message": str(message)} for field, messages in error.message_dict.items()
                for message in messages]
    if error.status == 409:
        raise HttpError(409, "; ".join(f"{p['field']}: {p['message']}" for p in problems))
    raise FieldErrors(problems)


def _practitioner(clinic, username, field="practitioner"):
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not booking.is_treating(user, clinic):
        raise FieldErrors([{"field": field, "message": "not a practitioner of the patient's clinic"}])
    return user


def _of_clinic(model, clinic, pk, field):
    if pk is None:
        return None
    found = model.objects.filter(clinic=clinic, pk=pk).first()
    if found is None:
        raise FieldErrors([{"field": field, "message": f"not a {model._meta.verbose_name} of the patient's clinic"}])
    return found


class AuditedAppointments:
    """A page of appointments that records, per clinic, the appointments and patients it showed."""

    def __init__(self, request, queryset, detail):
        self.request, self.queryset, self.detail = request, queryset, detail

    def __getitem__(self, index):
        page = list(self.queryset[index.start:index.stop])
        by_clinic = {}
        for a in page:
            by_clinic.setdefault(a.clinic_id, []).append(a)
        for clinic_id, rows in by_clinic.items() or [(None, [])]:
            record("view", request=self.request, clinic_id=clinic_id,
                   object_type="appointment_list", detail={**self.detail, "appointments": [a.pk for a in rows],
                                                           "patients": sorted({a.patient_id for a in rows})})
        return [_out(a) for a in page]

    def count(self):
        return self.queryset.count()

    def all(self):
        return self


@router.get("/appointments", response=list[AppointmentOut], url_name="list_appointments", summary="List appointments")
@paginate(BoundedPagination)
def list_appointments(request, filters: Query[ListFilters]):
    found = _visible(request)
    if filters.clinic is not None:
        found = found.filter(clinic_id=filters.clinic)
    if filters.from_ is not None:
        found = found.filter(ends_at__gt=filters.from_)
    if filters.to is not None:
        found = found.filter(starts_at__lt=filters.to)
    if filters.practitioner:
        found = found.filter(practitioner__username=filters.practitioner)
    if filters.room is not None:
        found = found.filter(room_id=filters.room)
    if filters.patient is not None:
        found = found.filter(patient_id=filters.patient)
    if filters.status:
        found = found.filter(status=filters.status)
    detail = {"api": True, **{k: str(v) for k, v in filters.dict(exclude_none=True).items()}}
    return AuditedAppointments(request, found.order_by("starts_at", "id"), detail)


@router.post("/appointments", response={201: AppointmentOut, **refusals(409, 423)}, url_name="create_appointment",
             summary="Book an appointment (409 on a conflict)")
def create_appointment(request, payload: AppointmentIn):
    patient = Patient.objects.visible_to(request.user).filter(pk=payload.patient).select_related("clinic").first()
    if patient is None:
        raise FieldErrors([{"field": "patient", "message": "no such patient among your clinics'"}])
    clinic = patient.clinic
    plan = None
    if payload.plan is not None:
        plan = TreatmentPlan.objects.filter(patient=patient, pk=payload.plan).first()
        if plan is None:
            raise FieldErrors([{"field": "plan", "message": "not a plan of this patient"}])
    try:
        appointment = booking.book(
            patient=patient, practitioner=_practitioner(clinic, payload.practitioner),
            kind=_of_clinic(AppointmentType, clinic, payload.type, "type"),
            room=_of_clinic(Room, clinic, payload.room, "room"), starts_at=payload.starts_at, plan=plan,
            note=payload.note, user=request.user, request=request)
    except BookingRefused as error:
        _refused(error)
    return Status(201, _out(appointment))


@router.post("/appointments/series", response={201: list[AppointmentOut], **refusals(409, 423)},
             url_name="book_series", summary="Book a course from a treatment plan (all or nothing)")
def book_series(request, payload: SeriesIn):
    plan = (TreatmentPlan.objects.visible_to(request.user).filter(pk=payload.plan)
            .select_related("patient", "patient__clinic").first())
    if plan is None:
        raise FieldErrors([{"field": "plan", "message": "no such plan among your clinics'"}])
    clinic = plan.patient.clinic
    try:
        booked = booking.book_series(
            plan=plan, practitioner=_practitioner(clinic, payload.practitioner),
            kind=_of_clinic(AppointmentType, clinic, payload.type, "type"),
            room=_of_clinic(Room, clinic, payload.room, "room"), first_start=payload.starts_at,
            count=payload.count, interval_days=payload.interval_days, user=request.user, request=request)
    except BookingRefused as error:
        _refused(error)
    return Status(201, [_out(a) for a in _visible(request).filter(pk__in=[a.pk for a in booked],
                                                                  clinic_id=clinic.pk).order_by("starts_at")])


@router.get("/appointments/rooms", response=list[RoomOut], url_name="list_rooms", summary="The clinics' rooms")
def list_rooms(request):
    return [{"id": r.pk, "clinic": r.clinic_id, "name": r.name, "active": r.active}
            for r in Room.objects.filter(clinic__memberships__user=request.user).order_by("clinic_id", "name")]


@router.get("/appointments/types", response=list[TypeOut], url_name="list_appointment_types",
            summary="The clinics' appointment types")
def list_types(request):
    clinics = list(Clinic.objects.filter(memberships__user=request.user))
    for clinic in clinics:
        booking.types_of(clinic)  # a clinic without any gets the defaults, as on the pages
    return [{"id": t.pk, "clinic": t.clinic_id, "name": t.name, "kind": t.kind,
             "duration_minutes": t.duration_minutes, "active": t.active}
            for t in AppointmentType.objects.filter(clinic__in=clinics).order_by("clinic_id", "name")]


@router.get("/appointments/{int:appointment_id}", response=AppointmentOut, url_name="read_appointment",
            summary="Read an appointment")
def read_appointment(request, appointment_id: int):
    appointment = _appointment(request, appointment_id)
    record("view", request=request, patient=appointment.patient, obj=appointment, detail={"api": True})
    return _out(appointment)


@router.patch("/appointments/{int:appointment_id}", response={200: AppointmentOut, **refusals(409, 423)},
              url_name="update_appointment", summary="Move or change a booked appointment (409 on a conflict)")
def update_appointment(request, appointment_id: int, payload: AppointmentPatch):
    changes = payload.dict(exclude_unset=True)
    for name in ("starts_at", "practitioner", "type", "note"):
        if name in changes and changes[name] is None:
            raise FieldErrors([{"field": name, "message": "may not be null"}])
    # booking.py locks the clinic's calendar and then the appointment, as for the pages: the
    # API takes no lock of its own, which would come in the other order.
    appointment = _appointment(request, appointment_id)
    clinic = appointment.patient.clinic
    if not changes:
        return _out(appointment)
    note = changes.pop("note", None)
    try:
        if not changes:
            booking.set_note(appointment, note, user=request.user, request=request)
        else:
            booking.move(
                appointment, starts_at=changes.get("starts_at"),
                practitioner=_practitioner(clinic, changes["practitioner"]) if "practitioner" in changes else None,
                room=_of_clinic(Room, clinic, changes["room"], "room") if "room" in changes else ...,
                kind=_of_clinic(AppointmentType, clinic, changes["type"], "type") if "type" in changes else None,
                note=note, user=request.user, request=request)
    except BookingRefused as error:
        _refused(error)
    return _out(_appointment(request, appointment_id))


def _set_status(request, appointment_id, status, reason=""):
    appointment = _appointment(request, appointment_id)
    try:
        booking.set_status(appointment, status, reason=reason, user=request.user, request=request)
    except BookingRefused as error:
        _refused(error)
    return _out(appointment)


@router.post("/appointments/{int:appointment_id}/cancel", response={200: AppointmentOut, **refusals(409, 423)},
             url_name="cancel_appointment", summary="Cancel an appointment, saying why")
def cancel_appointment(request, appointment_id: int, payload: CancelIn):
    return _set_status(request, appointment_id, Appointment.Status.CANCELLED, payload.reason)


@router.post("/appointments/{int:appointment_id}/no-show", response={200: AppointmentOut, **refusals(409, 423)},
             url_name="no_show_appointment", summary="Record that the patient did not come")
def no_show(request, appointment_id: int):
    return _set_status(request, appointment_id, Appointment.Status.NO_SHOW)


@router.post("/appointments/{int:appointment_id}/attended", response={200: AppointmentOut, **refusals(409, 423)},
             url_name="attended_appointment", summary="Record that the patient came")
def attended(request, appointment_id: int):
    return _set_status(request, appointment_id, Appointment.Status.ATTENDED)

