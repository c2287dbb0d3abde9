"""The case format (segmenta-case/1): its JSON Schema and validation.

Pure Python, no Django: the engines, the API and the CLI all read cases through
:func:`validate`. The schema is built from the knowledge base's vocabularies, so a code
added there is accepted everywhere at once. See shared/contracts/case-format.md.
"""

import calendar
import re
from datetime import date, timedelta

import jsonschema_rs
from jsonschema import Draft202012Validator

from segmenta.knowledge import vocabulary

FORMAT = "segmenta-case/1"
CHOIR_FRONT = range(101, 137)
CHOIR_BACK = range(201, 239)
CHOIR_SEGMENTS = [*CHOIR_FRONT, *CHOIR_BACK]
# No clinical date lies before 1900 or more than a year ahead (a product's expiry up to ten
# years); segmenta.validators applies the same range to everything the app stores.
EARLIEST = date(1900, 1, 1)
MAX_UTC_OFFSET_MINUTES = 14 * 60  # the widest offset in use (Kiribati); PostgreSQL refuses ±16:00
PARTIAL_DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
FULL_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
# ISO 8601 date and time to the minute or finer, optionally with an offset or Z.
DATE_TIME = (r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d"
             r"(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?$")
DATE_OR_TIME = f"({FULL_DATE})|({DATE_TIME})"
JURISDICTION = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"


class CaseError(ValueError):
    """Invalid case input; ``field`` is the JSON path of the offending value."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _enum(kind):
    return {"enum": vocabulary.codes(kind)}


def _list(item):
    return {"type": "array", "items": item}


def build_schema():
    region = {
        "oneOf": [
            {"type": "object", "required": ["region"], "additionalProperties": False,
             "properties": {"region": _enum("region"), "side": _enum("side")}},
            {"type": "object", "required": ["choir"], "additionalProperties": False,
             "properties": {"choir": {"enum": CHOIR_SEGMENTS}, "side": _enum("side")}},
        ]
    }
    date = {"type": "string", "pattern": PARTIAL_DATE}
    full_date = {"type": "string", "pattern": FULL_DATE}
    full_date_or_null = {"type": ["string", "null"], "pattern": FULL_DATE}
    moment = {"type": "string", "pattern": DATE_TIME}
    text = {"type": "string", "maxLength": 2000}
    ident = {"type": "string", "minLength": 1, "maxLength": 64}
    injection = {
        "type": "object", "required": ["target", "drug", "concentration_percent", "volume_ml"],
        "additionalProperties": False,
        "properties": {
            "target": _enum("injection_target"), "history_id": ident, "regions": _list(region),
            "drug": _enum("drug"),
            "concentration_percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 20},
            "volume_ml": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "time": moment,
            "side": _enum("side"),
            "product": {
                "type": "object", "additionalProperties": False,
                "properties": {"name": text, "preservative": {"type": "boolean"},
                               "multi_dose": {"type": "boolean"}, "lot": {"type": "string", "maxLength": 64},
                               "expiry": full_date},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://segmenta.example/schemas/case-1.json",
        "title": "Segmenta case (segmenta-case/1)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT},
            "patient": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "sex": _enum("sex"),
                    "birth_date": date,
                    "weight_kg": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 400},
                    "height_cm": {"type": ["number", "null"], "minimum": 30, "maximum": 250},
                    "pregnant": {"type": ["boolean", "null"]},
                    "reviewed": {
                        "type": "object", "additionalProperties": False,
                        "properties": {"allergies": full_date_or_null, "medications": full_date_or_null,
                                       "pregnancy": full_date_or_null},
                    },
                    "allergies": _list({"type": "object", "required": ["class"], "additionalProperties": False,
                                        "properties": {"substance": text, "class": _enum("allergy_class")}}),
                    "medications": _list({"type": "object", "required": ["class"], "additionalProperties": False,
                                          "properties": {"name": text, "class": _enum("medication_class"),
                                                         "last_dose": {"type": "string", "pattern": DATE_OR_TIME}}}),
                    "conditions": _list(_enum("condition")),
                },
            },
            "practitioner": {
                "type": "object", "additionalProperties": False,
                "properties": {"profession": _enum("profession"),
                               "jurisdiction": {"type": "string", "pattern": JURISDICTION},
                               "trained_techniques": _list(_enum("injection_target"))},
            },
            "consent": {
                "type": "object", "required": ["status"], "additionalProperties": False,
                "properties": {"status": _enum("consent_status"), "date": full_date,
                               "scope": _list(_enum("consent_scope"))},
            },
            "complaints": _list({
                "type": "object", "required": ["id"], "additionalProperties": False,
                "properties": {
                    "id": ident, "description": text, "regions": _list(region),
                    "segments": _list(_enum("segment")), "organs": _list(_enum("organ")),
                    "onset": date, "nrs": {"type": ["integer", "null"], "minimum": 0, "maximum": 10},
                    "status": _enum("complaint_status"), "findings": _list(_enum("finding")),
                },
            }),
            "history": _list({
                "type": "object", "required": ["id", "kind"], "additionalProperties": False,
                "properties": {
                    "id": ident, "kind": _enum("history_kind"), "tooth": _enum("tooth"),
                    "description": text, "regions": _list(region), "organs": _list(_enum("organ")),
                    "date": date, "signs": _list(_enum("sign")), "notes": text,
                },
                "if": {"properties": {"kind": {"const": "tooth"}}},
                "then": {"required": ["tooth"]},
            }),
            "findings": _list(_enum("finding")),
            "tests": _list({
                "type": "object", "required": ["history_id", "complaint_id"], "additionalProperties": False,
                "properties": {
                    "history_id": ident, "complaint_id": ident, "date": date,
                    "onset_seconds": {"type": "number", "minimum": 0},
                    "relief_percent": {"type": "number", "minimum": 0, "maximum": 100},
                    "duration_hours": {"type": "number", "minimum": 0},
                },
            }),
            "given_injections": _list(injection),
            "planned_injections": _list(injection),
        },
    }


_VALIDATORS = None


def _validators():
    """The schema compiled once, twice over: jsonschema-rs answers "valid?" about a
    hundred times faster, and jsonschema (the reference) explains what is wrong. Only a
    case the fast one refuses is checked again by the reference, so its messages stand,
    and where the two read a pattern differently (jsonschema-rs's ``\\d`` is ASCII only,
    its ``$`` never matches before a final newline) the reference has the last word.
    Whatever JSON can hold that the fast one accepts, the reference accepts too
    (``test_case_validation``); only Python tuples, which JSON never gives, pass as lists."""
    global _VALIDATORS
    if _VALIDATORS is None:
        schema = build_schema()
        _VALIDATORS = jsonschema_rs.Draft202012Validator(schema), Draft202012Validator(schema)
    return _VALIDATORS


def _fast_valid(fast, data):
    try:
        return fast.is_valid(data)
    except (ValueError, TypeError, OverflowError):  # not JSON data (a key that is no string): ask the reference
        return False


def _path(error):
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (("." if parts else "") + str(part)))
    return "".join(parts) or "case"


def _message(error):
    if error.validator == "enum":
        return f"unknown value {error.instance!r}"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field")
    if error.validator == "oneOf":
        return "must be {\"region\": …, \"side\": …} or {\"choir\": 101–136 or 201–238, \"side\": …}"
    if error.validator == "pattern":
        return {PARTIAL_DATE: f"{error.instance!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
                FULL_DATE: f"{error.instance!r} is not a date (YYYY-MM-DD)",
                DATE_TIME: f"{error.instance!r} is not a date and time (YYYY-MM-DDTHH:MM)",
                DATE_OR_TIME: f"{error.instance!r} is not a date (YYYY-MM-DD) or a date and time "
                              "(YYYY-MM-DDTHH:MM)",
                JURISDICTION: f"{error.instance!r} is not a jurisdiction code (DE, AT, CH, ES, US-OR, …)",
                }.get(error.validator_value, error.message)
    return error.message


def errors(data):
    """Every problem in ``data`` as CaseError objects, schema first, then references."""
    fast, reference = _validators()
    found = []
    schema_errors = [] if _fast_valid(fast, data) else reference.iter_errors(data)
    for error in sorted(schema_errors, key=lambda e: list(map(str, e.absolute_path))):
        # A oneOf failure reports its branches too; the most specific one is clearer.
        if error.validator == "oneOf" and error.context:
            deepest = max(error.context, key=lambda e: len(e.absolute_path))
            if deepest.validator == "enum":
                found.append(CaseError(_path(deepest), _message(deepest)))
                continue
        found.append(CaseError(_path(error), _message(error)))
    if found or not isinstance(data, dict):
        return found
    for path, value in _dates(data):
        if not _real_date(value):
            found.append(CaseError(path, f"{value!r} is not a calendar date"))
        elif not _in_range(value, years_ahead=10 if path.endswith("expiry") else 1):
            found.append(CaseError(path, f"{value!r} lies before 1900 or too far ahead"))
    for path, value in _times(data):
        offset = re.search(r"([+-])(\d\d):?(\d\d)$", value)
        if offset and int(offset[2]) * 60 + int(offset[3]) > MAX_UTC_OFFSET_MINUTES:
            found.append(CaseError(path, f"{value!r} has a UTC offset beyond ±14:00"))
    found.extend(_reference_errors(data))
    return found


def validate(data):
    """Return ``data`` if it is a valid case; raise the first CaseError otherwise."""
    problems = errors(data)
    if problems:
        raise problems[0]
    return data


def _dates(data):
    """(path, date) of every date in the case; date-times give their date part."""
    patient = data.get("patient", {})
    if "birth_date" in patient:
        yield "patient.birth_date", patient["birth_date"]
    for key, value in (patient.get("reviewed") or {}).items():
        if value is not None:
            yield f"patient.reviewed.{key}", value
    for i, medication in enumerate(patient.get("medications", [])):
        if "last_dose" in medication:
            yield f"patient.medications[{i}].last_dose", medication["last_dose"][:10]
    if "date" in data.get("consent", {}):
        yield "consent.date", data["consent"]["date"]
    for name, key in (("complaints", "onset"), ("history", "date"), ("tests", "date")):
        for i, item in enumerate(data.get(name, [])):
            if key in item:
                yield f"{name}[{i}].{key}", item[key]
    for name in ("given_injections", "planned_injections"):
        for i, item in enumerate(data.get(name, [])):
            if "time" in item:
                yield f"{name}[{i}].time", item["time"][:10]
            if "expiry" in item.get("product", {}):
                yield f"{name}[{i}].product.expiry", item["product"]["expiry"]


def _times(data):
    """(path, date-time) of every date-time in the case."""
    for i, medication in enumerate(data.get("patient", {}).get("medications", [])):
        if len(medication.get("last_dose") or "") > 10:
            yield f"patient.medications[{i}].last_dose", medication["last_dose"]
    for name in ("given_injections", "planned_injections"):
        for i, item in enumerate(data.get(name, [])):
            if "time" in item:
                yield f"{name}[{i}].time", item["time"]


def _in_range(value, years_ahead=1):
    earliest_meant = (value[:10] + "-01-01")[:10]  # "2019-06" may be any day of June 2019
    return EARLIEST.isoformat() <= earliest_meant <= (date.today() + timedelta(days=366 * years_ahead)).isoformat()


def _real_date(value):
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return parts[2] <= calendar.monthrange(parts[0], parts[1])[1]
    return True


def _reference_errors(data):
    found = []
    ids = {}
    for name in ("complaints", "history"):
        seen = set()
        for i, item in enumerate(data.get(name, [])):
            if item["id"] in seen:
                found.append(CaseError(f"{name}[{i}].id", f"duplicate id {item['id']!r}"))
            seen.add(item["id"])
        ids[name] = seen
    for i, test in enumerate(data.get("tests", [])):
        if test["history_id"] not in ids["history"]:
            found.append(CaseError(f"tests[{i}].history_id", f"no history item with id {test['history_id']!r}"))
        if test["complaint_id"] not in ids["complaints"]:
            found.append(CaseError(f"tests[{i}].complaint_id", f"no complaint with id {test['complaint_id']!r}"))
    for name in ("given_injections", "planned_injections"):
        for i, injection in enumerate(data.get(name, [])):
            if "history_id" in injection and injection["history_id"] not in ids["history"]:
                found.append(CaseError(f"{name}[{i}].history_id",
                                       f"no history item with id {injection['history_id']!r}"))
    return found


def partial_date_key(value):
    """A partial date as a sortable (year, month, day) tuple: its period's start."""
    parts = [int(p) for p in value.split("-")] + [1, 1]
    return tuple(parts[:3])


def is_partial_date(value):
    return isinstance(value, str) and re.match(PARTIAL_DATE, value) is not None and _real_date(value)
