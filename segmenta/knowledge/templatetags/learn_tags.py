from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from segmenta.knowledge.base import EVIDENCE_LABELS, evidence_label

register = template.Library()


@register.filter
def kb_value(value):
    """A knowledge-base value as readable HTML: lists as lists, objects as definition lists."""
    return _render(value)


def _render(value):
    if value is None:
        return mark_safe('<span class="muted">—</span>')
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return mark_safe('<span class="muted">—</span>')
        # Short words read well in a line; sentences and objects need a list.
        if all(not isinstance(v, (dict, list)) and len(str(v)) <= 40 for v in value):
            return format_html_join(", ", "{}", ((v,) for v in value))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((_render(v),) for v in value)))
    if isinstance(value, dict):
        return format_html('<dl class="facts nested">{}</dl>', format_html_join(
            "", "<dt>{}</dt><dd>{}</dd>", ((k.replace("_", " "), _render(v)) for k, v in value.items())))
    return format_html("{}", value)


@register.filter
def label(key):
    return key.replace("_", " ").capitalize()


@register.filter
def evidence_name(status):
    """An evidence status as the Learn section names it."""
    return evidence_label(status) if status in EVIDENCE_LABELS else status


@register.filter
def evidence_class(status):
    if status in ("anatomy", "drug_label", "guideline", "review", "textbook"):
        return "strong"
    if status in ("clinical_study", "secondary_source", "approximate"):
        return "moderate"
    return "weak"
