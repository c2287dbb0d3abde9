import re

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from segmenta.knowledge import monograph
from segmenta.knowledge.base import EVIDENCE_LABELS
from segmenta.knowledge.localize import evidence_label
from segmenta.knowledge.localize import text as localized_text

register = template.Library()

# Lists of values longer than this read better one to a line.
LONG = 60


@register.filter
def kb_text(entry, field="name"):
    """One text of a knowledge-base entry in the page's language: {{ rule|kb_text:"note" }}."""
    return localized_text(entry, field)


@register.filter
def mono(value):
    """A monograph value as HTML: links to other entries, ranges of segments, lists as a line
    or, when their items are long, as a list."""
    if isinstance(value, monograph.Link):
        return format_html('<a href="{}">{}</a>', _url(value), value.text)
    if isinstance(value, monograph.Span):
        return format_html("{}–{}", mono(value.first), mono(value.last))
    if isinstance(value, monograph.With):
        return format_html("{} ({})", mono(value.value), value.extra) if value.extra else mono(value.value)
    if isinstance(value, monograph.Muted):
        return format_html('<span class="muted">{}</span>', value.text)
    if isinstance(value, monograph.Phone):
        return format_html('<a class="phone" href="tel:{}">{}</a>', value.number.replace(" ", ""), value.number)
    if isinstance(value, monograph.Url):
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', value.href, value.text)
    if isinstance(value, (list, tuple)):
        if not value:
            return mark_safe('<span class="muted">—</span>')
        if any(len(monograph.plain(v)) > LONG for v in value):
            return format_html('<ul class="values">{}</ul>', format_html_join("", "<li>{}</li>", ((mono(v),) for v in value)))
        return format_html_join(", ", "{}", ((mono(v),) for v in value))
    if value is None or value == "":
        return mark_safe('<span class="muted">—</span>')
    return format_html("{}", UNIT.sub("\\1\u00a0\\2", str(value)))


# A number and its unit stay on one line ("200 mg", "2 h").
UNIT = re.compile(r"(\d) (mg|mL|kg|min|h|s|%|days|years|mg/kg|mL/kg|mL/kg/min|mL/kg/h|mg/mL)(?![\w/])")


def _url(link):
    return reverse("knowledge:entry", args=[link.kind, link.id])


@register.filter
def kb_value(value):
    """Any knowledge-base value as readable HTML, without raw field names."""
    return mono(monograph.generic_value("", value))


@register.filter
def label(key):
    """A field's name as people read it, with its unit."""
    return monograph.label(key)


@register.filter
def evidence_name(status):
    """An evidence status as the Learn section names it."""
    return evidence_label(status) if status in EVIDENCE_LABELS else status


@register.filter
def evidence_class(status):
    if status in ("anatomy", "drug_label", "guideline", "review", "textbook", "law"):
        return "strong"
    if status in ("clinical_study", "secondary_source", "approximate"):
        return "moderate"
    return "weak"


@register.filter
def source_type(code):
    """A source's type as people read it ("drug_label" → "Drug label")."""
    return monograph.code_label(code) if code else ""
