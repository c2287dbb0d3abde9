"""What was sent about an appointment, for the appointment's page:
``{% load reminder_tags %}{% appointment_reminders appointment %}``."""

from django import template

from segmenta.scheduling import reminders
from segmenta.scheduling.models_reminders import Message

register = template.Library()


@register.inclusion_tag("scheduling/_appointment_reminders.html")
def appointment_reminders(appointment):
    sent = list(Message.objects.filter(appointment=appointment, clinic=appointment.clinic_id))
    for message in sent:
        message.reason_label = reminders.reason_label(message)
    return {"sent": sent, "appointment": appointment}
