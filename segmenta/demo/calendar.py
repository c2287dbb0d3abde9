"""The demo clinic's calendar: rooms, the default appointment types, weekends and a Christmas
break closed, appointments today and this week for the demo doctor, and a course booked from a
plan (weekly on Fridays, so Christmas and New Year move two of its dates)."""

import datetime

from django.utils import timezone

from segmenta.scheduling import booking
from segmenta.scheduling.models import Appointment, ClinicCalendar, Closure, Room

# Today's appointments (hour, minute), whatever day today is: the day's page and the
# dashboard always have something to show.
TODAY = [(8, 30), (9, 30), (11, 0), (14, 0), (15, 30)]
# The other weekdays of this week: two each.
THIS_WEEK = [(9, 0), (14, 30)]


def _at(day, hour, minute):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def create_demo_calendar(clinic, practitioner, user):
    """Idempotent: a week that already has the doctor's appointments is left as it is."""
    calendar, _ = ClinicCalendar.objects.get_or_create(clinic=clinic, defaults={"closed_weekdays": [5, 6]})
    rooms = [Room.objects.get_or_create(clinic=clinic, name=name)[0] for name in ("Room 1", "Room 2")]
    kinds = {t.kind: t for t in booking.types_of(clinic)}
    today = timezone.localdate()
    year = today.year if today <= datetime.date(today.year, 12, 31) else today.year + 1
    Closure.objects.get_or_create(clinic=clinic, starts_on=datetime.date(year, 12, 29),
                                  ends_on=datetime.date(year, 12, 31), defaults={"reason": "Christmas break"})
    monday = today - datetime.timedelta(days=today.weekday())
    week = (_at(monday, 0, 0), _at(monday + datetime.timedelta(days=7), 0, 0))
    if Appointment.objects.filter(clinic=clinic, practitioner=practitioner, starts_at__gte=week[0],
                                  starts_at__lt=week[1]).exists():
        return
    patients = list(clinic_patients(clinic))
    if not patients:
        return
    slots = [(today, h, m) for h, m in TODAY]
    closed = booking.closed_on(calendar, monday, monday + datetime.timedelta(days=6))
    for offset in range(7):
        day = monday + datetime.timedelta(days=offset)
        if day != today and not closed(day):
            slots += [(day, h, m) for h, m in THIS_WEEK]
    order = [kinds["first_visit"], kinds["treatment"], kinds["treatment"], kinds["reassessment"],
             kinds["follow_up"]]
    for number, (day, hour, minute) in enumerate(slots):
        kind = order[number % len(order)]
        starts_at = _at(day, hour, minute)
        # Written directly, not through booking.book: today may be a weekend in the demo, and
        # the slots are chosen apart so nothing overlaps.
        Appointment.objects.create(
            patient=patients[number % len(patients)], practitioner=practitioner, room=rooms[number % 2], type=kind,
            starts_at=starts_at, ends_at=starts_at + datetime.timedelta(minutes=kind.duration_minutes),
            created_by=user, status=Appointment.Status.ATTENDED if starts_at < timezone.now() - datetime.timedelta(
                hours=1) and number % 4 else Appointment.Status.BOOKED)
    _demo_course(clinic, practitioner, user, kinds["treatment"], rooms[0], today)


def clinic_patients(clinic):
    from segmenta.patients.models import Patient

    return Patient.objects.filter(clinic=clinic, restricted_at=None).order_by("family_name", "given_name")


def _demo_course(clinic, practitioner, user, kind, room, today):
    """A course from an active plan of a patient with none booked yet, on Fridays at 10:00 from
    the next Friday (or the one after, if a date is taken)."""
    from segmenta.treatment.models import TreatmentPlan

    plan = (TreatmentPlan.objects.filter(clinic=clinic, status=TreatmentPlan.Status.ACTIVE)
            .filter(appointments__isnull=True).select_related("patient", "patient__clinic")
            .order_by("patient__family_name").first())
    if plan is None:
        return
    friday = today + datetime.timedelta(days=(4 - today.weekday()) % 7 or 7)
    for weeks in range(3):
        try:
            booking.book_series(plan=plan, practitioner=practitioner, kind=kind, room=room, user=user,
                                first_start=_at(friday + datetime.timedelta(days=7 * weeks), 10, 0))
            return
        except booking.BookingRefused:
            continue
