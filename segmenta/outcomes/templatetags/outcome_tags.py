from django import template

from segmenta import l10n

register = template.Library()


@register.inclusion_tag("outcomes/_alert_banner.html", takes_context=True)
def alert_banner(context, patient):
    """The patient's unacknowledged alerts as an urgent banner at the top of the chart;
    practitioners and clinic admins get the form to acknowledge each."""
    from segmenta.outcomes.alerts import AcknowledgeForm, can_acknowledge
    from segmenta.outcomes.models import Alert

    alerts = Alert.open_on_chart(patient)
    request = context.get("request")
    allowed = bool(alerts) and request is not None and can_acknowledge(request.user, patient)
    return {"alerts": alerts, "patient": patient, "can_acknowledge": allowed,
            "form": AcknowledgeForm() if allowed else None, "csrf_token": context.get("csrf_token")}


@register.simple_tag
def open_alert_patients(patients):
    """The ids among ``patients`` (e.g. a page of the patient list) with an unacknowledged
    alert: one query, however many rows."""
    from segmenta.outcomes.models import Alert

    patients = list(patients)
    return set(Alert.open_for(patients).values_list("patient_id", flat=True)) if patients else set()


@register.inclusion_tag("outcomes/_ci_bar.html")
def ci_bar(group, population="", kind=""):
    """A proportion and its 95 % interval on a 0–100 scale; ``population`` names it for
    screen readers, ``kind`` ("itt") styles the intention-to-treat bar apart."""
    if not group["n"]:
        return {"show": False}
    low, high = group["ci_low"] * 100, group["ci_high"] * 100
    label = f"{l10n.number(group['proportion'] * 100, places=0)} %"
    return {"show": True, "low": round(low, 1), "width": round(high - low, 1), "kind": kind,
            "point": round(group["proportion"] * 100, 1), "label": f"{population}: {label}" if population else label}


@register.filter
def group_label(value):
    """A group's code as people read it: regions by their vocabulary label."""
    from segmenta.outcomes.labels import group_label as label

    return label(value)


@register.filter
def huneke_label(classification):
    """A test injection's classification in words ("Huneke phenomenon", not "huneke")."""
    from segmenta.outcomes.labels import huneke_label as label

    return label(classification)


@register.simple_tag
def band_words(instrument_id, band):
    """A score band in words ("moderately severe", "Much improved"), not its code."""
    from segmenta.outcomes.labels import band_label

    return band_label(instrument_id, band) or "—"


@register.filter
def signed(value, digits=1):
    """A change with its sign as printed: "−1", "+2", "−17" (a real minus sign, not a hyphen;
    ``digits`` decimals at most, none where they are zero)."""
    if value is None:
        return ""
    number = round(float(value), int(digits))
    text = l10n.number(abs(number), places=int(digits))
    return f"−{text}" if number < 0 else f"+{text}" if number > 0 else "0"
