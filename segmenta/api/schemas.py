"""Bases every API schema builds on, and the error body every refusal answers."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from django.db.models import Model
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from segmenta import caseformat


def _no_null_defaults(schema, model):
    # An optional field that refuses null is documented without "default": null, so no
    # client (or generator) takes null for an allowed value.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None and not _allows_null(prop):
            del prop["default"]


def _allows_null(prop):
    kinds = prop.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(_allows_null(option) for option in prop.get("anyOf", []) + prop.get("oneOf", []))


class Strict(Schema):
    """A request body: unknown fields are refused, so a misspelt field is never silently lost."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_no_null_defaults)


# Values django-ninja's getter hands on as they are (it calls a callable, lists a manager,
# gives a file's address).
_PLAIN = (str, int, float, Decimal, date, type(None))
_ABSENT = object()


class Out(Schema):
    """A response body: every field is always present (null where it has no value).

    From a model instance, the fields are read into a dict for pydantic at once. Why:
    django-ninja lets pydantic ask its getter for each field, a call into Python per field
    that is twice the work of the reading itself: 40 % of answering a page of 15 patients
    (docs/scaling.md). What the getter does beyond reading a plain value (resolvers, a
    dotted path, managers, callables, files) it still does, field by field. A schema whose
    fields may also be read by name (populate_by_name) or through alias choices or paths is
    read by django-ninja's getter alone."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values, handler, info):  # replaces django-ninja's, of this name
        keys = _keys(cls)
        if keys is None or not isinstance(values, Model):
            return _NINJA_ROOT_VALIDATOR(cls, values, handler, info)
        getter, data = None, {}
        for key in keys:
            value = _ABSENT if key in cls._ninja_resolvers else getattr(values, key, _ABSENT)
            if not isinstance(value, _PLAIN):
                getter = getter or DjangoGetter(values, cls, info.context)
                try:
                    # What was read is converted as the getter converts it, not read again
                    # (a property may run queries); what was not, the getter reads.
                    value = getattr(getter, key) if value is _ABSENT else getter._convert_result(value)
                except AttributeError:
                    continue  # missing: pydantic says so, or takes the default
            data[key] = value
        return handler(data)


_NINJA_ROOT_VALIDATOR = Schema.__pydantic_decorators__.model_validators["_run_root_validator"].func.__func__


def _keys(cls):
    """The names pydantic reads ``cls``'s fields by (an alias, where a field has one), or
    None where a field may be read by more than one name."""
    if "_segmenta_keys" not in cls.__dict__:
        keys = tuple(field.validation_alias or field.alias or name for name, field in cls.model_fields.items())
        plain = all(isinstance(key, str) for key in keys) and not cls.model_config.get("populate_by_name")
        cls._segmenta_keys = keys if plain else None
    return cls._segmenta_keys


class FieldError(Schema):
    field: str = Field(..., description="The field, as a dotted path (`body` for the request as a whole)")
    message: str


class ErrorOut(Out):
    detail: str = Field(..., description="One sentence naming the field and what is wrong")
    errors: list[FieldError] = Field(default_factory=list, description="Each bad field (422, 423)")

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)


def coded_list(codes):
    """A JSON list of codes from one vocabulary, each at most once."""
    return {"type": "array", "items": {"enum": list(codes)}, "uniqueItems": True}


_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def number(**limits):
    """A decimal sent as a JSON number (a numeric string is accepted too, and never
    documented: clients send numbers). ``limits``: gt, ge, lt, le, max_digits, decimal_places."""
    schema = {"type": "number", **{_BOUNDS[k]: float(v) for k, v in limits.items() if k in _BOUNDS}}
    if "max_digits" in limits and not {"lt", "le"} & limits.keys():
        places = limits.get("decimal_places", 0)
        schema["maximum"] = float(10 ** (limits["max_digits"] - places) - Decimal(10) ** -places)
    return Annotated[Decimal, Field(**limits), WithJsonSchema(schema)]


def published(build):
    """A published JSON Schema (`segmenta schema NAME`) as a schema of this document."""
    return WithJsonSchema({key: value for key, value in build().items() if key not in ("$schema", "$id")})


# A case in the case format, segmenta-case/1. As a request body any JSON object goes in (the
# engine names each bad field in a 422); the document shows the format, so a client knows
# what a valid case is.
Case = Annotated[dict, published(caseformat.build_schema)]
