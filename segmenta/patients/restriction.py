"""Restricted processing (GDPR Art. 18): after an erasure request within the retention
period, a patient's chart is kept but read only.

The guard sits on the models, not in the views: ``pre_save`` and ``pre_delete`` of the
patient and of every model that belongs to a patient refuse the change with
:class:`ProcessingRestricted`, so no page, API call, admin action or script can create,
change or delete anything of a restricted chart. A model belongs to a patient when it has a
foreign key (with a database constraint) to the patient or to a model that belongs to one:
chart items, plans and their reviews, sessions and everything in them, questionnaire links,
answers and alerts, red-flag screenings, whatever is added later. The audit trail and the
version history refer to patients without a constraint: they record, they are not guarded.

Pages answer a refused change with a clear page (status 423, :class:`RestrictedMiddleware`),
the API with 423 and a message naming the restriction. ``QuerySet.update()`` and
``bulk_create()`` send no model signals; patient data is written through them in one place
only, marking an adverse event as reported to the medicines authority (a legal duty of
pharmacovigilance, which stays possible). Purging a chart past its retention period lifts the
guard for that one patient (:func:`lifted_for`).
"""

import contextlib
import contextvars
from functools import cache

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models.signals import pre_delete, pre_save
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGE = _("Processing of this patient's data is restricted (GDPR Art. 18) after an erasure request: the chart "
            "is kept, read only, until its retention period ends. Nothing can be added or changed; only the "
            "patient's own copy can be made.")

# Patients whose guard is lifted in this context: only while their chart is purged.
_lifted = contextvars.ContextVar("segmenta_restriction_lifted", default=frozenset())


class ProcessingRestricted(PermissionDenied):
    """A change to the chart of a patient whose processing is restricted."""

    def __init__(self, patient_id=None):
        self.patient_id = patient_id
        super().__init__(str(MESSAGE))


@contextlib.contextmanager
def lifted_for(patient_id):
    """Inside this block the chart of ``patient_id`` may be deleted (the purge, nothing else)."""
    token = _lifted.set(_lifted.get() | {patient_id})
    try:
        yield
    finally:
        _lifted.reset(token)


def _patient_model():
    return apps.get_model("patients", "Patient")


@cache
def owners():
    """({model: lookup from the model to its patient}, {model: its foreign keys towards the
    patient, the main one first}) for every model that belongs to a patient."""
    patient = _patient_model()
    owned = {patient}
    models = apps.get_models()

    def links(model):
        return [f for f in model._meta.concrete_fields
                if f.many_to_one and f.db_constraint and f.related_model in owned]

    grew = True
    while grew:
        grew = False
        for model in models:
            if model not in owned and links(model):
                owned.add(model)
                grew = True
    paths, fks = {patient: ""}, {}
    # Resolve paths from the patient outwards, so each model's main key leads to a known path.
    # The main key: straight to the patient if there is one, else one that is never empty.
    pending = [m for m in models if m in owned and m is not patient]
    strict = True  # first wait until every key's target is resolved; relax only to break a cycle
    while pending:
        progress = False
        for model in list(pending):
            found = sorted(links(model), key=lambda f: (f.related_model is not patient, f.null))
            if strict and any(f.related_model not in paths for f in found):
                continue
            main = next((f for f in found if f.related_model in paths), None)
            if main is None:
                continue
            rest = paths[main.related_model]
            paths[model] = f"{main.name}__{rest}" if rest else main.name
            fks[model] = [main, *[f for f in found if f is not main]]
            pending.remove(model)
            progress = True
        strict = progress
    return paths, fks


def owned_models():
    """Every model that belongs to a patient, the patient excluded."""
    return [m for m in owners()[0] if m is not _patient_model()]


def patient_of(instance):
    """The id of the patient ``instance`` (of a model that belongs to one) belongs to, by its
    foreign keys as they are now (not as stored); None if it has none yet."""
    paths, fks = owners()
    patient = _patient_model()
    for field in fks[type(instance)._meta.concrete_model]:
        value = getattr(instance, field.attname)
        if value is None:
            continue
        if field.related_model is patient:
            return value
        found = (field.related_model._base_manager.filter(pk=value)
                 .values_list(paths[field.related_model], flat=True).first())
        if found is not None:
            return found
    return None


def _stored_patient(model, pk):
    return model._base_manager.filter(pk=pk).values_list(owners()[0][model], flat=True).first()


def _refuse_if_restricted(patient_ids):
    ids = {pk for pk in patient_ids if pk is not None} - _lifted.get()
    if not ids:
        return
    restricted = (_patient_model()._base_manager.filter(pk__in=ids, restricted_at__isnull=False)
                  .values_list("pk", flat=True).first())
    if restricted is not None:
        raise ProcessingRestricted(restricted)


def _before_save(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures load rows as they are
        return
    model = sender._meta.concrete_model
    if model is _patient_model():
        # Restricting a patient is allowed; any change once restricted is not.
        if instance.pk is not None and not instance._state.adding:
            _refuse_if_restricted([instance.pk])
        return
    ids = [patient_of(instance)]
    if instance.pk is not None and not instance._state.adding:
        ids.append(_stored_patient(model, instance.pk))  # moving a row away from a restricted chart
    _refuse_if_restricted(ids)


def _before_delete(sender, instance, **kwargs):
    model = sender._meta.concrete_model
    if model is _patient_model():
        _refuse_if_restricted([instance.pk])
    else:
        _refuse_if_restricted([patient_of(instance)])


def connect():
    """Guard the patient and every model that belongs to one (called once the apps are ready)."""
    for model in [_patient_model(), *owned_models()]:
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"restriction-save-{model._meta.label}")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"restriction-delete-{model._meta.label}")


def restrict(patient, user, reason):
    """Restrict the processing of ``patient``'s data (call inside a transaction, with the audit)."""
    patient.restricted_at = timezone.now()
    patient.restricted_by = user
    patient.restriction_reason = reason
    patient.save(update_fields=["restricted_at", "restricted_by", "restriction_reason", "updated_at"])
    return patient


class RestrictedMiddleware:
    """A refused change to a restricted chart answers with a page saying why (423 Locked),
    not with an error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ProcessingRestricted):
            return None
        patient = None
        if exception.patient_id is not None and getattr(request, "user", None) is not None:
            patient = (_patient_model().objects.visible_to(request.user).select_related("clinic")
                       .filter(pk=exception.patient_id).first())
        return render(request, "patients/restricted.html", {"patient": patient, "message": exception.args[0]},
                      status=423)
