"""What the calendar's page and API tests share: a German clinic closed at weekends with a
patient, a plan, a room and the treatment type, and "now" fixed on 1 December 2026, 07:00."""

import datetime

from django.utils import timezone

from segmenta.conftest import make_patient
from segmenta.patients import models as pm
from segmenta.scheduling import booking
from segmenta.scheduling.models import ClinicCalendar, Room
from segmenta.treatment.models import TreatmentPlan

NOW = datetime.date(2026, 12, 1)


def local(day, hour=10, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def fix_now(monkeypatch):
    moment = local(NOW, 7)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def german_practice(clinic, doctor):
    clinic.jurisdiction = "DE"
    clinic.save()
    ClinicCalendar.objects.create(clinic=clinic, closed_weekdays=[5, 6])
    patient = make_patient(clinic)
    complaint = pm.Complaint.objects.create(patient=patient, description="Neck pain", status="active",
                                            recorded_by=doctor)
    plan = TreatmentPlan.objects.create(patient=patient, complaint=complaint, goals="less pain", sessions_min=6,
                                        created_by=doctor)
    return {"patient": patient, "plan": plan, "room": Room.objects.create(clinic=clinic, name="Room 1"),
            "type": booking.types_of(clinic).get(kind="treatment")}
