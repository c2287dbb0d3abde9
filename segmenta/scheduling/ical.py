"""A practitioner's appointments as an iCalendar feed (the icalendar library).

Private by default: a feed is read by third-party calendar apps and synchronised to their
servers and phones, outside the clinic's control. So an event names only what a
practitioner needs to find their way: the appointment type, the room and the patient's
record number (else their initials) — never a name, a complaint or a diagnosis.
"""

import datetime

import icalendar
from django.utils import timezone

from .models import Appointment

# From a month back (to look up what happened) to a year ahead (as far as courses are booked).
DAYS_BACK = 30
DAYS_AHEAD = 366


def initials(patient):
    return "".join(part[:1].upper() for part in (patient.given_name, patient.family_name) if part)


def feed_appointments(feed, now=None):
    now = now or timezone.now()
    return (Appointment.objects.filter(clinic=feed.clinic_id, practitioner=feed.practitioner_id,
                                       starts_at__gte=now - datetime.timedelta(days=DAYS_BACK),
                                       starts_at__lte=now + datetime.timedelta(days=DAYS_AHEAD))
            .exclude(status=Appointment.Status.NO_SHOW)
            .select_related("patient", "type", "room").order_by("starts_at", "id"))


def calendar(feed, appointments, host):
    """The feed's VCALENDAR as bytes. ``host`` makes each UID unique beyond this server."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Segmenta//Calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Segmenta · {feed.clinic.name}")
    stamp = timezone.now()
    for appointment in appointments:
        event = icalendar.Event()
        # Stable per appointment, so a moved or cancelled one updates the same event.
        event.add("uid", f"appointment-{appointment.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        who = appointment.patient.record_number or initials(appointment.patient)
        event.add("summary", f"{appointment.type.name} · {who}")
        if appointment.room_id:
            event.add("location", appointment.room.name)
        cancelled = appointment.status == Appointment.Status.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
