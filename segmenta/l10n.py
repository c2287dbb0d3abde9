"""Dates, times and numbers as the active language writes them, for text built in Python
(messages, labels, headings): 01.03.2026 and 72,5 on German pages, 01/03/2026 and 72,5 on
Spanish ones, 2026-03-01 and 72.5 on English ones (segmenta/formats/en). Templates use
Django's filters for the same (date:"SHORT_DATE_FORMAT", floatformat). Machine formats
(form values, CSV, JSON, FHIR, the audit trail's details) stay ISO and never come here."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import formats, timezone


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def from_case(value):
    """A date ("2026-11-24") or moment ("2026-11-24T20:00+01:00") as the case format writes
    it, as a date or datetime to be written in the page's language; anything else as it is."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return datetime.datetime.fromisoformat(value) if len(value) > 10 else datetime.date.fromisoformat(value)
    except ValueError:
        return value


def day(value, empty="?"):
    """A date (or a moment's date, in the clinic's time): 2026-03-01 / 01.03.2026 / 01/03/2026."""
    if not value:
        return empty
    if not isinstance(value, datetime.date):  # text a form has not turned into a date yet
        return str(value)
    return formats.date_format(_local(value), "SHORT_DATE_FORMAT")


def moment(value, empty="?"):
    """A moment in the clinic's time with hours and minutes: 01.03.2026 14:05."""
    if not value:
        return empty
    return formats.date_format(_local(value), "SHORT_DATETIME_FORMAT")


def number(value, empty="?", places=None):
    """A number without needless zeros, with the language's decimal mark: 72.0 → "72",
    72.5 → "72,5" in German; ``places`` rounds to at most so many decimals."""
    if value is None or isinstance(value, bool):
        return empty
    try:
        exact = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if places is not None:
        exact = round(exact, places)
    if not exact.is_finite():
        return str(value)
    exact = exact.normalize()
    if exact == exact.to_integral():
        exact = exact.quantize(Decimal(1))
    return formats.number_format(exact)


class DecimalInput(forms.TextInput):
    """A decimal typed as the language writes it: "72,5" on a German page, "72.5" on an
    English one (a browser's number field would refuse the comma or depend on the browser's
    own language). The field must be localized (``localize=True`` or the ModelForm's
    ``localized_fields``) so that the comma is read and the stored value shown with it."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **(attrs or {})})
