"""The safety strip: one line at the top of the chart and of the session page with what
a careful physician checks before injecting (the treatment floor assembles it, so the
chart page shows it without the patients app importing treatment)."""

import json

from django import template
from django.template.loader import get_template
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language

from segmenta.knowledge import localize
from segmenta.patients.bodymap import segments
from segmenta.patients.kept import Kept
from segmenta.treatment.models import Injection
from segmenta.treatment.sessions import strip_facts

register = template.Library()


# The strip as drawn, kept by the process under its facts and what writes them as words (the
# language, the time zone). Why: the facts are worked out anew for every view (the dose
# window moves with the clock), but drawing them took as long again, and they are the same
# from view to view until the chart or the clock changes them.
_DRAWN = Kept(2_000)


def _written(value):
    return f"{type(value).__name__}:{value}"  # a date and its text are told apart


@register.simple_tag
def safety_strip(patient, facts=None):
    """``facts``: the strip's facts when the page has them already (the session page)."""
    facts = facts or strip_facts(patient)
    # In the facts' own order: the strip lists the drugs in it.
    key = (get_language(), get_current_timezone_name(), json.dumps(facts, default=_written))
    return _DRAWN.get(key, lambda: get_template("treatment/_safety_strip.html").render({"s": facts}))


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
