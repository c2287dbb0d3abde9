"""The chart's record-keeping card: the patient's copy and, for the clinic's admins, the
erasure request."""

from django import template

register = template.Library()


@register.inclusion_tag("patients/_records.html", takes_context=True)
def records_card(context, patient):
    # The clinics the user administers come with every page (accounts' context processor).
    return {"patient": patient, "can_request_erasure": patient.clinic_id in context.get("admin_clinic_ids", ())}
