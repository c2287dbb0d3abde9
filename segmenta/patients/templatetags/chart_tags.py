import html
from functools import lru_cache

from django import template
from django.template.loader import get_template
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, template_localtime
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from segmenta import l10n
from segmenta.knowledge import vocabulary
from segmenta.knowledge.localize import label as kb_label
from segmenta.knowledge.localize import text as kb_text
from segmenta.patients.bodymap import HEIGHT, WIDTH, segments, views
from segmenta.validators import load_json

register = template.Library()


def escape(text):
    """Django's ``escape()``, the same text, as a plain string for the markup this module
    builds and marks safe. Django's checks every argument for a lazy translation first, which
    cost a big chart (thousands of calls) 3 ms: here a lazy text is made text at once, as
    the f-string it goes into would make it anyway."""
    return html.escape(str(text))


SIDE = {"left": gettext_lazy("left"), "right": gettext_lazy("right")}


@register.inclusion_tag("patients/_bodymap.html")
def body_map(marks=None, selected=None, input_id=None, add_url=None, label_area=False):
    """The body map; with ``input_id`` its segments are selectable and fill that input; with
    ``add_url`` (the chart's) each segment links there with ``?segment=ID``, to add an item
    at that place. ``label_area`` adds a line that names the segment pointed at or focused
    (and, when selectable, the segments chosen).

    Its 74 segments are drawn in Python, not by a template loop (which cost most of the
    chart page's time): what never changes between requests comes escaped from
    :func:`_drawing`, and only each segment's marks are added per request."""
    marks = marks or {}
    chosen = {r["choir"] for r in (selected or []) if isinstance(r, dict) and isinstance(r.get("choir"), int)}
    linked = bool(add_url)
    texts = _texts(linked)
    drawn, chosen_labels, targets = [], [], {}
    for view, segments_drawn in _drawing():
        parts = []
        for segment in segments_drawn:
            mark = marks.get(segment.id)
            titles = [escape(title) for title in _titles(mark, targets)] if mark else []  # escaped once, used thrice
            classes = "seg" + ("".join(f" {name}" for key, name in _MARK_CLASSES if mark.get(key)) if mark else "")
            info = " · ".join(part for part in [segment.supply_html, *titles] if part)
            if segment.id in chosen:
                chosen_labels.append(segment.label)
            shown = "".join(f"&#10;• {t}" for t in titles)
            if linked:
                named = "".join(f"{': ' if i == 0 else '; '}{t}" for i, t in enumerate(titles))
                parts.append(
                    f'<a href="{escape(add_url)}?segment={segment.id}" class="seg-link" aria-label="{segment.label_html}'
                    f'{named}. {texts["add_here"]}"><path d="{segment.d}" class="{classes}" {segment.data} '
                    f'data-info="{info}"><title>{segment.title_html}{shown}&#10;{texts["select_hint"]}</title></path></a>')
            else:
                picked = segment.id in chosen
                extra = (f' tabindex="0" role="checkbox" aria-checked="{"true" if picked else "false"}"'
                         if input_id else "")
                parts.append(
                    f'<path d="{segment.d}" class="{classes}{" selected" if picked else ""}" {segment.data} '
                    f'data-info="{info}"{extra} aria-label="{segment.label_html}"><title>{segment.title_html}{shown}'
                    f'</title></path>')
        drawn.append({"name": view, "title": _("Front") if view == "front" else _("Back"),
                      "markup": mark_safe("\n".join(parts))})
    return {"views": drawn, "width": WIDTH, "height": HEIGHT, "input_id": input_id, "add_url": add_url,
            "label_area": label_area, "chosen_labels": chosen_labels}


_MARK_CLASSES = (("complaints", "has-complaint"), ("history", "has-history"), ("injections", "has-injection"))


def _titles(mark, targets):
    """What is placed on a segment, as its tooltip lists it. ``targets``: {injection target:
    its label}, filled as targets come up."""
    found = [c.description for c in mark.get("complaints", [])] + [h.description for h in mark.get("history", [])]
    counts = {}
    for injection in mark.get("injections", []):
        # One line per target with how many (``count`` where the chart summed them already).
        counts[injection.target] = counts.get(injection.target, 0) + getattr(injection, "count", 1)
        if injection.target not in targets:  # (its label is looked up once a page, not per segment)
            targets[injection.target] = injection.get_target_display()
    for target, count in counts.items():
        found.append(ngettext("injection: %(target)s", "%(count)s injections: %(target)s", count)
                     % {"target": targets[target], "count": count})
    return found


def _texts(linked):
    return {"add_here": escape(_("Add a history item here")),
            "select_hint": escape(_("Select it to add a history item here."))} if linked else {}


class _Segment:
    """A segment as drawn, its text escaped once: the same for every request."""

    __slots__ = ("d", "data", "id", "label", "label_html", "supply_html", "title_html")

    def __init__(self, choir_id, d, seg):
        self.id, self.d = choir_id, escape(d)
        self.label = f"{kb_text(seg, 'label')}, {SIDE[seg['side']]} ({choir_id})"
        self.supply_html = escape(", ".join(seg["trigeminal"] + seg["dermatomes"]))
        self.label_html = escape(self.label)
        self.title_html = self.label_html + (f" — {self.supply_html}" if self.supply_html else "")
        self.data = f'data-choir="{choir_id}" data-side="{escape(seg["side"])}" data-label="{self.label_html}"'


_drawings = {}


def _drawing():
    """[(view, [_Segment, …]), …] in the active language, for the knowledge base in use
    (a new base, after a reload, draws anew)."""
    data = segments()
    key = (get_language(), id(data))
    found = _drawings.get(key)
    if found is None or found[0] is not data:
        found = (data, [(view, [_Segment(choir_id, d, data[choir_id]) for choir_id, d in paths])
                        for view, paths in views()])
        _drawings[key] = found
    return found[1]


# The FDI chart as the practitioner faces the patient: the patient's right on the left.
PERMANENT = [[18, 17, 16, 15, 14, 13, 12, 11, 21, 22, 23, 24, 25, 26, 27, 28],
             [48, 47, 46, 45, 44, 43, 42, 41, 31, 32, 33, 34, 35, 36, 37, 38]]
DECIDUOUS = [[55, 54, 53, 52, 51, 61, 62, 63, 64, 65],
             [85, 84, 83, 82, 81, 71, 72, 73, 74, 75]]


@register.inclusion_tag("patients/_dental_chart.html")
def dental_chart(marks=None, patient=None, input_id=None, selected=""):
    """The FDI dental chart: on the chart page each tooth links to its items; in a form
    (``input_id``) picking a tooth fills that input. Each row's teeth are built in Python
    (a template per tooth cost more than the rest of the chart)."""
    marks = marks or {}
    known = set(vocabulary.codes("tooth"))
    add_url = escape(reverse("patients:item_new", args=[patient.pk, "history"])) if input_id is None else ""

    def tooth(number, before_midline):
        midline = " before-midline" if before_midline else ""
        if input_id:
            picked = number == selected
            return (f'<button type="button" class="tooth{" selected" if picked else ""}{midline}" '
                    f'data-tooth="{number}" aria-pressed="{"true" if picked else "false"}">{number}</button>')
        items = marks.get(number, [])
        if items:
            title = "; ".join(f"{i.description} ({i.date})" if i.date else i.description for i in items)
            count = escape(ngettext("%(n)s item", "%(n)s items", len(items)) % {"n": len(items)})
            badge = f'<span class="count" aria-label="{count}">{len(items)}</span>'
        else:
            title, badge = _("Add an item for tooth %(n)s") % {"n": number}, ""
        return (f'<a class="tooth{" has-items" if items else ""}{midline}" data-tooth="{number}" '
                f'href="{add_url}?tooth={number}" title="{escape(title)}"><span>{number}</span>{badge}</a>')

    def rows(table):
        # The midline falls between the quadrants: after the first half of each row.
        return [mark_safe("\n".join(tooth(str(n), i == len(row) // 2 - 1) for i, n in enumerate(row)
                                    if str(n) in known)) for row in table]

    return {"permanent": rows(PERMANENT), "deciduous": rows(DECIDUOUS), "input_id": input_id}


def _days(chart):
    """Each point's date as ``{{ moment|date:"SHORT_DATE_FORMAT" }}`` writes it (in the current
    time zone and the page's language), the zone and language read once for all."""
    zone, language = get_current_timezone(), get_language()
    return [_local_day(p["when"], zone, language) for p in chart["points"]]


@lru_cache(maxsize=4096)
def _local_day(moment, zone, language):
    return date_format(template_localtime(moment), "SHORT_DATE_FORMAT")


def _number(value):
    """A score at most to two decimals without needless zeros (4,5 on a German page), without
    the cost of formatting for the whole numbers NRS scores are."""
    return str(value) if type(value) is int else l10n.number(value, places=2)


def _shown(value):
    """``{{ value }}`` for a number: whole numbers as they are, others as the page writes them."""
    return str(value) if type(value) is int else localize(value)


# A date under a course chart's axis, day and month as each language writes them short:
# "1 Sep" in English, "1. Sep" in German, "1 sep" in Spanish (month names from Django's catalogs).
CHART_DAY = {"de": "j. M", "es": "j b"}


@register.filter
def chart_number(value):
    """A value on a chart's axis as the page writes numbers (2,5 on a German page)."""
    return l10n.number(value)


@register.simple_tag
def course_points(chart):
    """The points of a course chart (``plot.course_chart``) as SVG: each score before the
    session, the score after it joined by a line, a mark under sessions with injections.
    Built in Python: a template loop cost most of a long course's time. Coordinates are
    plain numbers; the values in the tooltips are written as the page writes numbers."""
    after_text = _("after the session %(v)s")
    parts = []
    for p, day in zip(chart["points"], _days(chart)):
        value = escape(_number(p["value"]))
        if p["after_y"] is not None:
            parts.append(f'<line x1="{p["x"]}" y1="{p["y"]}" x2="{p["x"]}" y2="{p["after_y"]}" class="before-after">'
                         f'</line><circle cx="{p["x"]}" cy="{p["after_y"]}" r="4" class="after"><title>{day}: '
                         f'{escape(after_text % {"v": _shown(p["after"])})}</title></circle>')
            value = f'{value} → {escape(_number(p["after"]))}'
        parts.append(f'<circle cx="{p["x"]}" cy="{p["y"]}" r="5" class="before"><title>{day}: {value}</title></circle>')
        if p["mark"]:
            parts.append(f'<path d="{p["mark"]}" class="marked"></path>')
    return mark_safe("\n  ".join(parts))


@register.simple_tag
def course_value_ticks(chart):
    """The grid lines of a course chart and their values, written as the page writes numbers."""
    left, right, text_x = chart["left"], chart["right"], chart["left"] - 7
    return mark_safe("".join(
        f'<line x1="{left}" y1="{t["y"]}" x2="{right}" y2="{t["y"]}" class="grid"></line>'
        f'<text x="{text_x}" y="{t["text_y"]}" class="tick value">{escape(l10n.number(t["value"]))}</text>'
        for t in chart["y_ticks"]))


@register.simple_tag
def course_date_ticks(chart):
    """The dates under a course chart's time axis in the page's language and the current time
    zone, with the year under the first date of each year."""
    day_format = CHART_DAY.get(get_language(), "j M")
    parts = []
    for t in chart["x_ticks"]:
        when = template_localtime(t["when"])
        parts.append(f'<text x="{t["x"]}" y="{chart["date_y"]}" class="tick date">{escape(date_format(when, day_format))}</text>')
        if t["year"]:
            parts.append(f'<text x="{t["x"]}" y="{chart["year_y"]}" class="tick year">{escape(date_format(when, "Y"))}</text>')
    return mark_safe("".join(parts))


@register.simple_tag
def course_slots(chart):
    """A tick on the time axis under each session of a course chart."""
    return mark_safe("".join(f'<line x1="{x}" y1="{chart["bottom"]}" x2="{x}" y2="{chart["tick_end"]}" class="axis">'
                             '</line>' for x in chart["slots"]))


@register.simple_tag
def course_rows(chart):
    """The rows of a course chart's table of values: session date, before, after, injections."""
    yes, none = escape(_("yes")), escape(_("none"))
    return mark_safe("".join(
        f'<tr><td>{day}</td><td>{escape(_shown(p["value"]))}</td>'
        f'<td>{escape(_shown(p["after"])) if p["after"] is not None else "—"}</td>'
        f'<td>{yes if p["marked"] else none}</td></tr>' for p, day in zip(chart["points"], _days(chart))))


@register.simple_tag
def versions(item):
    """An entry's earlier versions, as ``{% include "patients/_versions.html" with item=… %}``
    shows them, without rendering that template for the many entries never changed."""
    if not getattr(item, "last_change", None):
        return ""
    return get_template("patients/_versions.html").render({"item": item})


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
    return ", ".join(kb_label(kind, code) for code in codes or [])


@register.filter
def person(user):
    """A user's full name, else the username; empty for nobody (e.g. a deleted account)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
