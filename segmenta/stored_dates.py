"""Dates stored before the app refused them (segmenta.validators): rows whose date or
date-time lies before 1900 or far ahead, e.g. a year-1 session or a BC timestamp PostgreSQL
accepted from an offset of +14:00.

Such a row must still open, so that a clinician can see it and correct it through the normal
forms: on PostgreSQL a value Python cannot hold (before year 1, after 9999) reads as the
earliest or latest one it can, instead of failing the whole page, and the forms' date inputs
show it as stored (DateInput, DateTimeInput). `segmenta dates check` lists every such row
(out_of_range()); nothing here changes what is stored.
"""

from datetime import date, datetime, time, timedelta, timezone as tz

import psycopg
import psycopg.adapt
from django import forms
from django.apps import apps
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from segmenta.caseformat import EARLIEST
from segmenta.validators import AHEAD

# What a stored value Python cannot represent reads as: year 1 or 9999, a day inside them so
# that the time still converts to any time zone.
_FLOOR = {"date": date.min, "timestamp": datetime(1, 1, 2), "timestamptz": datetime(1, 1, 2, tzinfo=tz.utc)}
_CEILING = {"date": date.max, "timestamp": datetime(9999, 12, 30),
            "timestamptz": datetime(9999, 12, 30, tzinfo=tz.utc)}


def tolerate_out_of_range(sender, connection, **kwargs):
    """connection_created receiver: PostgreSQL dates and timestamps before year 1 or after
    9999 read as the earliest or latest Python value instead of raising DataError."""
    if connection.vendor != "postgresql":
        return
    adapters = connection.connection.adapters
    for name in _FLOOR:
        info = adapters.types.get(name)
        loader = adapters.get_loader(info.oid, psycopg.pq.Format.TEXT)
        if loader is not None and not getattr(loader, "tolerant", False):
            adapters.register_loader(name, _tolerant(loader, name))


def _tolerant(loader, name):
    """``loader`` (psycopg's own, often in C and final, so wrapped rather than subclassed),
    reading what it cannot hold as the earliest or latest value."""

    class Tolerant(psycopg.adapt.Loader):
        tolerant = True
        # Django compares it with the connection's time zone (its timestamptz loader's).
        timezone = getattr(loader, "timezone", None)

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.wrapped = loader(oid, context)

        def load(self, data):
            try:
                return self.wrapped.load(data)
            except psycopg.DataError:
                return (_FLOOR if bytes(data).rstrip().endswith(b"BC") else _CEILING)[name]

    return Tolerant


class DateInput(forms.DateInput):
    """A date field's input that shows every stored year with four digits: strftime writes
    year 1 as "1-01-01", which a browser's date input takes for no date at all, so a form
    would open blank and could clear the stored value on save instead of showing it. Always
    ISO, whatever the page's language: Django's own DateInput writes a German page's date as
    28.11.2026, which a browser's date input shows as empty. Every date input is this one."""

    input_type = "date"

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value.year:04d}-{value:%m-%d}"
        return super().format_value(value)


class DateTimeInput(forms.DateTimeInput):
    """The same for a date-time (a browser's datetime-local input, to the minute)."""

    input_type = "datetime-local"

    def format_value(self, value):
        if isinstance(value, datetime):
            return f"{value.year:04d}-{value:%m-%dT%H:%M}"
        return super().format_value(value)


def _bounds(model, field):
    """The earliest and latest sane value of ``field``: from 1900 to a year ahead, ten
    years for a product's expiry and for fields the model bounds itself."""
    # A version kept by django-simple-history is bounded as its model is.
    ahead = getattr(getattr(model, "instance_type", model), "date_bounds", {}).get(field.name, "year")
    latest = timezone.localdate() + AHEAD["expiry" if ahead in ("expiry", None) else "year"] + timedelta(days=1)
    if isinstance(field, models.DateTimeField):
        return (datetime.combine(EARLIEST, time.min, tzinfo=tz.utc),
                datetime.combine(latest, time.max, tzinfo=tz.utc))
    return EARLIEST, latest


def _patient_path(model):
    names = {f.name for f in model._meta.get_fields()}
    if "patient" in names:
        return "patient_id"
    if "session" in names:
        return "session__patient_id"
    return None


def out_of_range():
    """Every stored date or date-time outside its sane range, as dicts: model (app.model),
    id, field, stored (the database's own text for it) and patient (its id, or None). The
    values are compared and read as text in the database, so none has to fit Python."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateField):
                continue
            earliest, latest = _bounds(model, field)
            patient = _patient_path(model)
            rows = (model._base_manager.filter(Q(**{f"{field.name}__lt": earliest}) | Q(**{f"{field.name}__gt": latest}))
                    .annotate(stored_text=Cast(field.name, TextField()))
                    .values_list("pk", "stored_text", patient or "pk").order_by("pk"))
            found += [{"model": model._meta.label_lower, "id": pk, "field": field.name, "stored": stored,
                       "patient": owner if patient else None} for pk, stored, owner in rows]
    return found
