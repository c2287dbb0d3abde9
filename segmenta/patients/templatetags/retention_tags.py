"""The chart's record-keeping card: the patient's copy and, for the clinic's admins, the
erasure request."""

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.translation import get_language

from segmenta.patients.kept import Kept

register = template.Library()

# The card as drawn, under all it is drawn from: the same on every view of a chart by the same
# kind of user, and it cost about as much as a query on every one.
_DRAWN = Kept(4_000)


@register.simple_tag(takes_context=True)
def records_card(context, patient):
    # The clinics the user administers come with every page (accounts' context processor).
    can_request_erasure = patient.clinic_id in context.get("admin_clinic_ids", ())
    key = (get_language(), get_script_prefix(), patient.pk, can_request_erasure)
    return _DRAWN.get(key, lambda: get_template("patients/_records.html").render(
        {"patient": patient, "can_request_erasure": can_request_erasure}))
