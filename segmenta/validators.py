"""Validators shared by every app."""

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from segmenta.caseformat import EARLIEST, MAX_UTC_OFFSET_MINUTES


def upload_size(upload):
    """Scans and certificates: a few MB at most (the web server may cap it earlier)."""
    limit = settings.SEGMENTA_MAX_UPLOAD_BYTES
    if upload and getattr(upload, "size", 0) > limit:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // 2**20},
                              code="file_size")


# Where a licence was issued or a clinic practises: ISO 3166-1 alpha-2, optionally with a
# subdivision as in ISO 3166-2 ("DE", "CH", "US-OR"). Scope-of-practice rules are keyed by it.
jurisdiction_code = RegexValidator(
    r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
    message="Use a country code such as DE, AT, CH or ES, or a US state as US-OR.",
    code="jurisdiction",
)


# Dates a clinic can mean: none before 1900, none more than a year ahead, and fields that
# record what already happened (a birth, a weighing, a dose taken) not in the future beyond
# a few minutes of clock drift. PostgreSQL stores no year before 1 AD and Python none before
# year 1, so these bounds also keep every stored date convertible and every page opening.
CLOCK_SLACK = timedelta(minutes=15)
MAX_UTC_OFFSET = timedelta(minutes=MAX_UTC_OFFSET_MINUTES)
# How far ahead a field may lie: "today" (a past event's day), "now" (a past event's moment),
# "year" (planned within a year), "expiry" (a product's shelf life) or None (no upper bound
# here: the model's own clean() says why a later value is wrong).
AHEAD = {"year": timedelta(days=366), "expiry": timedelta(days=3660)}


def when_problem(value, ahead="year"):
    """Why the date or date-time ``value`` is no sane clinical value (None if it is)."""
    if value is None:
        return None
    if isinstance(value, datetime) and value.utcoffset() is not None and abs(value.utcoffset()) > MAX_UTC_OFFSET:
        return _("The time's UTC offset lies beyond ±14:00.")
    day = value.date() if isinstance(value, datetime) else value
    today = timezone.localdate()
    if day < EARLIEST:
        return _("Enter a date from 1900 on.")
    if ahead is None:
        return None
    if ahead in AHEAD:
        if day > today + AHEAD[ahead]:
            return _("Enter a date at most a year ahead.") if ahead == "year" else _(
                "Enter a date at most ten years ahead.")
        return None
    if day > today + timedelta(days=1):
        return _("This cannot lie in the future.")
    if ahead == "today" and day > today:
        return _("This cannot lie in the future.")
    if ahead == "now" and isinstance(value, datetime):
        aware = value if timezone.is_aware(value) else timezone.make_aware(value)
        if aware > timezone.now() + CLOCK_SLACK:
            return _("This cannot lie in the future.")
    return None


def clinical_date(ahead="year"):
    """A validator for a date or date-time field: see when_problem()."""
    def check(value):
        problem = when_problem(value, ahead)
        if problem:
            raise ValidationError(problem, code="date_range")
    return check


class BoundedDates:
    """Model mixin: every date and date-time the user sets is checked by when_problem(),
    under ``date_bounds`` (field name -> how far ahead; "year" for a field not named)."""

    date_bounds = {}

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if (not isinstance(field, models.DateField) or getattr(field, "auto_now", False)
                    or getattr(field, "auto_now_add", False) or field.name in (exclude or ())
                    or field.name in errors):
                continue
            problem = when_problem(getattr(self, field.attname), self.date_bounds.get(field.name, "year"))
            if problem:
                errors[field.name] = [ValidationError(problem, code="date_range")]
        if errors:
            raise ValidationError(errors)


# JSON from a user: a clinical value never nests deeper than a few levels.
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    pass


def nesting_depth(value):
    """How deep lists and objects nest in ``value`` (0 for a scalar), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_json(text):
    """json.loads, but nesting deeper than MAX_JSON_DEPTH is a ValueError with a clear
    message, never a RecursionError."""
    try:
        data = json.loads(text)
    except RecursionError:
        data = None
        deep = True
    else:
        deep = nesting_depth(data) > MAX_JSON_DEPTH
    if deep:
        raise JSONTooDeep(_("nested deeper than %(depth)d levels") % {"depth": MAX_JSON_DEPTH})
    return data
