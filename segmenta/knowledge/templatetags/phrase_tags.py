"""The engines' reasons in the page's language (segmenta.knowledge.wording)."""

from django import template

from segmenta.knowledge import wording

register = template.Library()


@register.filter
def said(value):
    """An engine's text for this page: a safety reason ({"code", "message", …}, live or
    stored), a phrase, a phrase's stored data, or plain text; a list of them, each."""
    if isinstance(value, (list, tuple)):
        return [said(item) for item in value]
    if isinstance(value, dict) and "message" in value:
        return wording.reason(value)
    return wording.say(value)


@register.filter
def case_date(value):
    """A case-format date, whole or partial (a complaint's onset), as the page's language writes it."""
    return wording.day(value)
