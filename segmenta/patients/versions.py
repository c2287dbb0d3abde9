"""Every version of a chart entry, a patient's details or a plan, read from the history that
django-simple-history keeps (``Model.versions``), for the chart and the API.

Works for any model with ``versions`` (the patients floor never imports the plans' app: a
plan's versions are read through the plan's own class). One query per model, however many
entries and versions; what a version shows is worked out by :mod:`.timeline`.
"""

import datetime
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta import l10n
from segmenta.knowledge import localize
from segmenta.prepared import Prepared

from .bodymap import segments
from .timeline import CHANGED, CREATED, DELETED, ENTERED_IN_ERROR, last_change, timeline

# Who and when an entry was first recorded, the owner, the sort key: never content.
BOOKKEEPING = {"id", "patient", "clinic", "recorded_at", "recorded_by", "created_at", "updated_at", "created_by",
               "name_key"}
ERROR_FIELDS = ("entered_in_error_at", "entered_in_error_by", "error_reason")
CREATORS = ("recorded_by", "created_by")
# Coded lists and the vocabulary that names their codes.
CODED = {"organs": "organ", "signs": "sign", "findings": "finding", "scopes": "consent_scope"}

KIND_LABELS = {CREATED: gettext_lazy("created"), CHANGED: gettext_lazy("changed"),
               ENTERED_IN_ERROR: gettext_lazy("entered in error"), DELETED: gettext_lazy("deleted")}


def content_fields(model):
    """The fields that make up an entry's content, in the model's order."""
    return [f for f in model._meta.concrete_fields if f.name not in BOOKKEEPING and f.name not in ERROR_FIELDS]


def _tracked(model):
    return content_fields(model) + [model._meta.get_field(name) for name in ERROR_FIELDS
                                     if any(f.name == name for f in model._meta.concrete_fields)]


def _creator(model):
    return next((name for name in CREATORS if any(f.name == name for f in model._meta.concrete_fields)), None)


def _error_field(model):
    return "entered_in_error_at" if any(f.name == "entered_in_error_at" for f in model._meta.concrete_fields) else None


def histories(model, ids, clinic_id, patient_id=None):
    """{id: [version, …] oldest first} of the entries ``ids`` of ``model`` (of the clinic
    ``clinic_id``, and of the patient ``patient_id`` where known): one query.

    A version's ``by`` is the user who saved it; where that was not recorded (entries that
    existed before versions were kept, or saved outside a request), the first version
    names whoever recorded the entry, and the others nobody.
    """
    ids = list(ids)
    if not ids:
        return {}
    creator = _creator(model)
    of_patient = _of_one_patient(model) if patient_id is not None else None
    if of_patient is not None:
        # Entries of one patient, as the chart asks: the versions of that patient's entries
        # of this model from the first asked for on, through SQL built once, keeping those
        # asked for. (A long list shows its newest entries: the older ones are not read.)
        wanted = set(ids)
        records = [record for record in of_patient(clinic_id, patient_id, min(ids)) if record.id in wanted]
    else:
        records = (model.versions.filter(clinic_id=clinic_id, id__in=ids)
                   .select_related("history_user", *([creator] if creator else [])).order_by("history_date", "history_id"))
    fields = _tracked(model)
    snapshots = {}
    for record in records:
        by = record.history_user
        if by is None and record.history_type == "+" and creator:
            by = getattr(record, creator)
        snapshots.setdefault(record.id, []).append({
            "mark": record.history_type, "at": record.history_date, "by": by,
            "note": record.history_change_reason,
            "values": {f.name: getattr(record, f.attname) for f in fields},
        })
    names = [f.name for f in fields]
    error_field = _error_field(model)
    return {pk: timeline(found, names, error_field) for pk, found in snapshots.items()}


_OF_ONE_PATIENT = {}
_PATIENT = apps.get_model("patients", "Patient")


def _of_one_patient(model):
    """A Prepared query (clinic id, patient id, first id) of every version of one patient's
    entries of ``model`` from id ``first id`` on (of the patient's own details, for the
    patient), oldest first; None for a model whose rows name no patient (an injection's)."""
    if model not in _OF_ONE_PATIENT:
        names = {f.name for f in model._meta.concrete_fields}
        if model is not _PATIENT and "patient" not in names:
            _OF_ONE_PATIENT[model] = None
        else:
            field = "id" if model is _PATIENT else "patient_id"
            creator = _creator(model)
            _OF_ONE_PATIENT[model] = Prepared(lambda clinic_id, patient_id, first_id: model.versions.filter(
                clinic_id=clinic_id, id__gte=first_id, **{field: patient_id}).select_related(
                "history_user", *([creator] if creator else [])).order_by("history_date", "history_id"),
                int, int, int)
    return _OF_ONE_PATIENT[model]


# --- For the chart: labels and readable values ------------------------------------------

def attach(items):
    """Give each of ``items`` (entries of one model) its versions for the chart: ``timeline``
    (newest first, readable) and ``last_change`` (the newest version if it was ever changed,
    else None). One query for the versions, one more per related model that a changed
    version names (a plan's complaint, say)."""
    items = list(items)
    if not items:
        return items
    model = items[0]._meta.model
    patients = {item.pk if model is _PATIENT else getattr(item, "patient_id", None) for item in items}
    found = histories(model, [item.pk for item in items], items[0].clinic_id,
                      patient_id=patients.pop() if len(patients) == 1 else None)
    changed = {pk: versions for pk, versions in found.items() if len(versions) > 1}
    lookups = _related_lookups(model, [v for versions in changed.values() for v in versions])
    for item in items:
        versions = changed.get(item.pk, [])
        readable = [_readable(model, version, lookups) for version in versions]
        item.timeline = list(reversed(readable))
        item.last_change = item.timeline[0] if last_change(versions) else None
    return items


def _related_lookups(model, versions):
    """{field name: {pk: text}} for the foreign keys that the versions name, one query per field."""
    lookups = {}
    for field in _tracked(model):
        if not isinstance(field, models.ForeignKey):
            continue
        pks = {v["values"][field.name] for v in versions} | {
            (v["previous"] or {}).get(field.name) for v in versions}
        pks.discard(None)
        if pks:
            related = field.related_model._base_manager.filter(pk__in=pks)
            lookups[field.name] = {obj.pk: _object_text(obj) for obj in related}
    return lookups


def _object_text(obj):
    if hasattr(obj, "get_username"):
        return obj.get_full_name() or obj.get_username()
    return getattr(obj, "description", None) or str(obj)


def _readable(model, version, lookups):
    values, previous = version["values"], version["previous"]
    shown = content_fields(model)
    result = {"number": version["number"], "kind": version["kind"], "kind_label": KIND_LABELS[version["kind"]],
              "at": version["at"], "by": version["by"], "note": version["note"], "rows": [], "content": [],
              "reason": ""}
    if version["kind"] == ENTERED_IN_ERROR:
        result["reason"] = values.get("error_reason") or ""
    if previous is None:
        result["content"] = [{"label": _label(f), "value": display(f, values[f.name], lookups)}
                             for f in shown if not _empty(values[f.name])]
    else:
        for field in shown:
            if field.name not in version["changed"]:
                continue
            old, new = display(field, previous[field.name], lookups), display(field, values[field.name], lookups)
            if old == new:  # a new signature or file reads like the old one: say it was replaced
                new = _("%(value)s (replaced)") % {"value": new}
            result["rows"].append({"label": _label(field), "old": old, "new": new})
    return result


def _label(field):
    text = str(field.verbose_name)
    return text[:1].upper() + text[1:]


def _empty(value):
    return value is None or value == "" or value == []


def display(field, value, lookups=None):
    """A stored value as a clinician reads it: labels for codes, local times, yes/no."""
    if _empty(value):
        return "—"
    if isinstance(field, models.ForeignKey):
        return (lookups or {}).get(field.name, {}).get(value) or _("#%(id)s (no longer on record)") % {"id": value}
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField):
        return l10n.moment(value)
    if isinstance(field, models.DateField):
        return l10n.day(value)
    if isinstance(field, models.FileField):
        return _("file %(name)s") % {"name": str(value).rsplit("/", 1)[-1]}
    if field.name == "signature_svg":
        return _("signed on screen")
    if field.name == "regions":
        return ", ".join(region_text(r) for r in value)
    if field.name in CODED and isinstance(value, list):
        return ", ".join(localize.label(CODED[field.name], code) for code in value)
    if isinstance(value, (Decimal, float)):
        return l10n.number(value)
    return str(value)


def region_text(region):
    """{"choir": 107, "side": "right"} or {"region": "shoulder", "side": "left"} as words."""
    if not isinstance(region, dict):
        return str(region)
    side = region.get("side")
    if "choir" in region:
        segment = segments().get(region["choir"])
        name = localize.text(segment, "label") if segment else str(region["choir"])
        text = f"{name} ({region['choir']})"
    else:
        text = localize.label("region", region.get("region"))
    return f"{text}, {localize.label('side', side)}" if side else text


# --- For the API: plain values ---------------------------------------------------------

def plain(field, value, users):
    """A stored value as JSON: dates in ISO form, users by username, other records by id."""
    if value is None:
        return None
    if isinstance(field, models.ForeignKey):
        if field.related_model is not None and hasattr(field.related_model, "get_username"):
            return users.get(value)
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(field, models.FileField):
        return str(value) or None
    return value


def as_json(model, versions):
    """The versions of one entry, newest first, as the API answers them."""
    from django.contrib.auth import get_user_model

    fields = {f.name: f for f in _tracked(model)}
    user_fields = [f for f in fields.values() if isinstance(f, models.ForeignKey)
                   and hasattr(f.related_model, "get_username")]
    pks = {v["values"][f.name] for v in versions for f in user_fields} - {None}
    users = dict(get_user_model().objects.filter(pk__in=pks).values_list("pk", "username")) if pks else {}
    return [{
        "version": v["number"],
        "type": v["kind"],
        "at": v["at"],
        "by": v["by"].get_username() if v["by"] is not None else None,
        "changed_fields": v["changed"],
        "note": v["note"],
        "content": {name: plain(field, v["values"][name], users) for name, field in fields.items()},
    } for v in reversed(versions)]
