"""Request and response schemas of chart entries, typed from their models.

What the OpenAPI document says comes from the same places the models check: a coded field
is an enumeration of its model's choices (which come from the knowledge base's
vocabularies), a coded list (a JSON column with a vocabulary validator) is an array of those
codes, body regions are the case format's region objects, and a field is nullable exactly
where its column holds NULL. The models' own validators stay the authority (``full_clean``):
the types only let a client know before it sends.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal, Optional

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import Field, WithJsonSchema, create_model

from segmenta import caseformat
from segmenta.knowledge import vocabulary
from segmenta.knowledge.base import load
from segmenta.patients import validation

from .schemas import Out, Strict, coded_list, number


def _red_flags():
    """The findings a complaint may carry: the vocabulary's codes that the knowledge base
    has as red flags (validation.findings refuses the others)."""
    return [code for code in vocabulary.codes("finding") if load().get("red-flag", code) is not None]


def _regions():
    return {"type": "array", "items": caseformat.build_schema()["properties"]["complaints"]["items"]
            ["properties"]["regions"]["items"]}


def region_list():
    """A list of body regions: accepted as any list here, checked by validation.regions
    (which names the bad entry), documented as the case format's region objects."""
    return Annotated[list[Any], WithJsonSchema(_regions())]


# A JSON column's documented shape, by the validator that guards it.
JSON_SHAPES = {
    validation.regions: _regions,
    validation.organs: lambda: coded_list(vocabulary.codes("organ")),
    validation.signs: lambda: coded_list(vocabulary.codes("sign")),
    validation.findings: lambda: coded_list(_red_flags()),
    validation.consent_scopes: lambda: coded_list(vocabulary.codes("consent_scope")),
}

SIMPLE = {
    models.CharField: str, models.TextField: str, models.EmailField: str,
    models.BooleanField: bool, models.DateField: date, models.DateTimeField: datetime,
    models.IntegerField: int, models.PositiveIntegerField: int, models.PositiveSmallIntegerField: int,
    models.BigAutoField: int, models.AutoField: int,
}


def _python_type(field, output):
    """The value's type, without nullability."""
    if isinstance(field, models.JSONField):
        shape = next((build for check, build in JSON_SHAPES.items() if check in field.validators), None)
        if shape is None:
            raise TypeError(f"{field.model.__name__}.{field.name}: no documented shape for this JSON column")
        return Annotated[list[Any], WithJsonSchema(shape())]
    if field.choices:
        values = [value for value, _label in field.flatchoices]
        if field.blank and "" not in values:
            values = ["", *values]
        return Literal[tuple(values)]
    if isinstance(field, models.DecimalField):
        return float if output else number(**_constraints(field))
    for kind in type(field).__mro__:
        if kind in SIMPLE:
            return SIMPLE[kind]
    raise TypeError(f"{field.model.__name__}.{field.name}: no API type for {type(field).__name__}")


def field_type(model, name):
    """A model field's request type, e.g. for a form parameter."""
    return _python_type(model._meta.get_field(name), output=False)


def _constraints(field):
    """Bounds the model's validators apply, so the document shows them too."""
    found = {}
    for check in field.validators:
        if isinstance(check, MinValueValidator):
            found["ge"] = check.limit_value
        elif isinstance(check, MaxValueValidator):
            found["le"] = check.limit_value
        elif isinstance(check, MaxLengthValidator) and not field.choices:
            found["max_length"] = check.limit_value
    if isinstance(field, (models.PositiveIntegerField, models.PositiveSmallIntegerField)):
        found.setdefault("ge", 0)
    return found


def _has_default(field):
    return field.has_default() or field.blank or field.null


def model_schema(model, name, fields, *, mode, base=None):
    """``mode``: "out" (every field present, nullable where the column is), "in" (required
    unless the column has a default or may be blank) or "patch" (every field optional)."""
    output = mode == "out"
    definitions = {}
    for name_ in fields:
        field = model._meta.get_field(name_)
        kind = _python_type(field, output)
        limits = {} if output or isinstance(field, models.DecimalField) else _constraints(field)
        if field.null:
            kind = Optional[kind]
        description = str(field.help_text) if field.help_text else None
        if output or (mode == "in" and not _has_default(field)):
            definitions[name_] = (kind, Field(..., description=description, **limits))
        elif mode == "in":
            default = field.get_default() if field.has_default() else (None if field.null else "")
            if callable(default) or isinstance(default, list):
                definitions[name_] = (kind, Field(default_factory=list, description=description, **limits))
            else:
                definitions[name_] = (kind, Field(default, description=description, **limits))
        else:
            definitions[name_] = (kind, Field(None, description=description, **limits))
    if base is None:
        base = Out if output else Strict
    return create_model(name, __base__=base, **definitions)

