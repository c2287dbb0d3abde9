"""The safety strip: one line at the top of the chart and of the session page with what
a careful physician checks before injecting (the treatment floor assembles it, so the
chart page shows it without the patients app importing treatment)."""

from django import template

from segmenta.knowledge import localize
from segmenta.patients.bodymap import segments
from segmenta.treatment.models import Injection
from segmenta.treatment.sessions import strip_facts

register = template.Library()


@register.inclusion_tag("treatment/_safety_strip.html")
def safety_strip(patient, facts=None):
    """``facts``: the strip's facts when the page has them already (the session page)."""
    return {"s": facts or strip_facts(patient), "patient": patient}


@register.filter
def verdict_label(code):
    """A safety verdict (ok, warn, block) as the one label every badge shows."""
    try:
        return Injection.Verdict(code).label
    except ValueError:
        return code


@register.filter
def drug_name(code):
    """A drug's code ("procaine") as the page's language names it ("Procain")."""
    try:
        return localize.label("drug", code)
    except KeyError:
        return code


@register.filter
def site_names(regions):
    """An injection's site as words: body-map segments by name, named regions with their side."""
    data = segments()
    names = []
    for region in regions or []:
        if "choir" in region and region["choir"] in data:
            segment = data[region["choir"]]
            names.append(f"{localize.text(segment, 'label')}, {localize.label('side', segment['side']).lower()}")
        elif "region" in region:
            side = f", {localize.label('side', region['side']).lower()}" if region.get("side") else ""
            names.append(f"{localize.label('region', region['region'])}{side}")
    return "; ".join(names)
