"""The safety strip: one line at the top of the chart and of the session page with what
a careful physician checks before injecting (the treatment floor assembles it, so the
chart page shows it without the patients app importing treatment)."""

from django import template

from segmenta.treatment.sessions import strip_facts

register = template.Library()


@register.inclusion_tag("treatment/_safety_strip.html")
def safety_strip(patient):
    return {"s": strip_facts(patient), "patient": patient}
