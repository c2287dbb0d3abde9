"""Every page and API read of a chart, for the tests that walk them all (clinic scoping,
query-count baselines)."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def chart_items(patient):
    """(kind, id) of the first entry of each kind in ``patient``'s chart, as the chart's
    addresses name them (/patients/<pk>/<kind>/<item_id>/…)."""
    from segmenta.api.chart import KINDS

    items = []
    for kind, (model, _fields) in KINDS.items():
        item = model.objects.filter(patient=patient).order_by("id").first()
        if item is not None:
            items.append((kind, item.pk))
    return items


def readable_urls(patient, session, plan, items):
    """Every GET address of the site with its parameters taken from ``patient``'s chart."""
    values = {"pk": patient.pk, "patient_id": patient.pk, "session_id": session.pk, "plan_id": plan.pk}

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry, route)
            elif isinstance(entry, URLPattern):
                yield route

    for route in walk(get_resolver(), "/"):
        names = PARAMETER.findall(route)
        if set(names) - {"pk", "patient_id", "session_id", "plan_id", "kind", "item_id"}:
            continue
        if "kind" in names or "item_id" in names:
            for kind, item_id in items:
                yield PARAMETER.sub(lambda m: str({**values, "kind": kind, "item_id": item_id}[m[1]]), route)
        else:
            yield PARAMETER.sub(lambda m: str(values[m[1]]), route)


