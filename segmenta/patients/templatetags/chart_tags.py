from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta.knowledge import vocabulary
from segmenta.patients.bodymap import HEIGHT, WIDTH, segments, views
from segmenta.validators import load_json

register = template.Library()

SIDE = {"left": gettext_lazy("left"), "right": gettext_lazy("right")}


@register.inclusion_tag("patients/_bodymap.html")
def body_map(marks=None, selected=None, input_id=None, add_url=None, label_area=False):
    """The body map; with ``input_id`` its segments are selectable and fill that input; with
    ``add_url`` (the chart's) each segment links there with ``?segment=ID``, to add an item
    at that place. ``label_area`` adds a line that names the segment pointed at or focused
    (and, when selectable, the segments chosen)."""
    marks = marks or {}
    chosen = {r["choir"] for r in (selected or []) if isinstance(r, dict) and isinstance(r.get("choir"), int)}
    data = segments()
    drawn = []
    for view, paths in views():
        items = []
        for choir_id, d in paths:
            seg = data[choir_id]
            mark = marks.get(choir_id, {})
            titles = [c.description for c in mark.get("complaints", [])] + [
                h.description for h in mark.get("history", [])] + [
                _("injection: %(target)s") % {"target": i.get_target_display()} for i in mark.get("injections", [])]
            classes = ["seg"]
            if mark.get("complaints"):
                classes.append("has-complaint")
            if mark.get("history"):
                classes.append("has-history")
            if mark.get("injections"):
                classes.append("has-injection")
            supply = ", ".join(seg["trigeminal"] + seg["dermatomes"])
            items.append({
                "id": choir_id, "d": d, "side": seg["side"], "classes": " ".join(classes),
                "label": f"{_(seg['label'])}, {SIDE[seg['side']]} ({choir_id})",
                "supply": supply, "info": " · ".join(part for part in [supply, *titles] if part),
                "titles": titles, "selected": choir_id in chosen,
            })
        drawn.append({"name": view, "title": _("Front") if view == "front" else _("Back"), "items": items})
    chosen_labels = [item["label"] for view in drawn for item in view["items"] if item["selected"]]
    return {"views": drawn, "width": WIDTH, "height": HEIGHT, "input_id": input_id, "add_url": add_url,
            "label_area": label_area, "chosen_labels": chosen_labels}


# The FDI chart as the practitioner faces the patient: the patient's right on the left.
PERMANENT = [[18, 17, 16, 15, 14, 13, 12, 11, 21, 22, 23, 24, 25, 26, 27, 28],
             [48, 47, 46, 45, 44, 43, 42, 41, 31, 32, 33, 34, 35, 36, 37, 38]]
DECIDUOUS = [[55, 54, 53, 52, 51, 61, 62, 63, 64, 65],
             [85, 84, 83, 82, 81, 71, 72, 73, 74, 75]]


@register.inclusion_tag("patients/_dental_chart.html")
def dental_chart(marks=None, patient=None, input_id=None, selected=""):
    """The FDI dental chart: on the chart page each tooth links to its items; in a form
    (``input_id``) picking a tooth fills that input."""
    marks = marks or {}
    known = set(vocabulary.codes("tooth"))

    def rows(table):
        # The midline falls between the quadrants: after the first half of each row.
        return [[{"number": str(n), "items": marks.get(str(n), []), "selected": str(n) == selected,
                  "before_midline": i == len(row) // 2 - 1}
                 for i, n in enumerate(row) if str(n) in known] for row in table]

    return {"permanent": rows(PERMANENT), "deciduous": rows(DECIDUOUS), "patient": patient,
            "input_id": input_id}


@register.filter
def json_regions(value):
    """The map input's value (a list, or its JSON text after a failed submit) as a list."""
    if isinstance(value, list):
        return value
    try:
        parsed = load_json(value or "[]")
    except ValueError:
        return []
    return parsed if isinstance(parsed, list) else []


@register.filter
def labels(codes, kind):
    """Coded values as their readable labels: {{ item.signs|labels:"sign" }}."""
    return ", ".join(_(vocabulary.label(kind, code)) for code in codes or [])


@register.filter
def person(user):
    """A user's full name, else the username; empty for nobody (e.g. a deleted account)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
