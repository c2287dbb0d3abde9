"""Retention and erasure: the Django shell around ``segmenta.knowledge.retention``.

When each chart's retention period ends; an erasure request (GDPR Art. 17), which within the
period restricts processing (Art. 17(3)(b) and 18) and after it purges; and the purge, which
deletes a chart with everything that belongs to it (sessions, injections, answers, uploads on
disk, every version) and leaves a tombstone in the audit trail: which clinic, which patient id,
when, why and how many rows of each kind, no name and no clinical content. The audit trail's
own events about the patient stay; they refer to it without a database constraint.
"""

import datetime
import os

from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from segmenta.audit.trail import record
from segmenta.knowledge import localize, retention
from segmenta.knowledge.base import load

from . import restriction
from .models import ChartItem, Patient

ERASURE_REQUEST = "erasure_request"  # the patient asked, and the period was over
RETENTION_ENDED = "retention_ended"  # `segmenta retention purge --confirm`


class NotDue(Exception):
    """The chart is not (or no longer) past its retention period: nothing was deleted."""


# What must outlive a chart's own period keeps the chart: an app above this one (billing, for
# issued invoices, which tax law keeps longer) registers a hold in its ready(). A hold is given
# the charts past their period and the day, and answers {patient id: {"until": the last day it
# must keep them, or None where no period is known, "why": words for the report}}.
RETENTION_HOLDS = []


def register_hold(hold):
    if hold not in RETENTION_HOLDS:
        RETENTION_HOLDS.append(hold)


def _apply_holds(found, today):
    """Charts past their period that a hold keeps are kept (KEPT, due the day after the hold
    ends, or no due day while its period is unknown) and say why (``held``)."""
    past = {chart["patient"].pk: chart for chart in found if chart["status"] == retention.PAST}
    for hold in RETENTION_HOLDS if past else []:
        for pk, held in hold([chart["patient"] for chart in past.values()], today).items():
            chart = past[pk]
            chart["status"], chart["held"] = retention.KEPT, held
            chart["due"] = held["until"] + datetime.timedelta(days=1) if held["until"] else None


def period_of(clinic):
    """The retention period that applies to ``clinic`` (its own, else its jurisdiction's, as the
    shipped knowledge base gives it: retention periods are not overridden, see knowledge.models)."""
    return retention.period(clinic.retention_years, clinic.jurisdiction, load().entries["retention"])


def _local_date(value):
    return timezone.localdate(value) if value is not None else None


def _latest_by_patient(ids, relation, field):
    rows = (Patient.objects.filter(pk__in=ids).annotate(latest=Max(f"{relation}__{field}"))
            .values_list("pk", "latest"))
    return {pk: latest for pk, latest in rows if latest is not None}


def last_dates(patients):
    """{patient id: (last session, last chart entry)} as local dates. The last entry is the
    latest of the chart's items, the questionnaire answers and the day the chart was opened."""
    ids = [p.pk for p in patients]
    sessions = _latest_by_patient(ids, "sessions", "started_at")
    entries = {p.pk: [p.created_at] for p in patients}
    chart_items = [m for m in apps.get_app_config("patients").get_models() if issubclass(m, ChartItem)]
    for model in chart_items:
        for pk, latest in (model._base_manager.filter(patient__in=ids).values("patient")
                           .annotate(latest=Max("recorded_at")).values_list("patient", "latest")):
            entries[pk].append(latest)
    for pk, latest in _latest_by_patient(ids, "responses", "answered_at").items():
        entries[pk].append(latest)
    return {pk: (_local_date(sessions.get(pk)), _local_date(max(d for d in found if d is not None)))
            for pk, found in entries.items()}


def charts(patients=None, today=None):
    """Every chart (or those of ``patients``) with its period and where it stands:
    [{"patient", "period", "last_session", "last_entry", "status", "from", "due"}]."""
    today = today or timezone.localdate()
    patients = list((patients if patients is not None else Patient.objects.all()).select_related("clinic")
                    .order_by("clinic__name", "record_number", "pk"))
    dates = last_dates(patients)
    periods = {}
    found = []
    for patient in patients:
        if patient.clinic_id not in periods:
            periods[patient.clinic_id] = period_of(patient.clinic)
        kept_for = periods[patient.clinic_id]
        last_session, last_entry = dates[patient.pk]
        found.append({"patient": patient, "period": kept_for, "last_session": last_session, "last_entry": last_entry,
                      "held": None, **retention.assess(kept_for, last_session, last_entry, today)})
    _apply_holds(found, today)
    return found


def chart_of(patient, today=None):
    return charts(Patient.objects.filter(pk=patient.pk), today)[0]


def request_erasure(patient, reason, *, request=None, user=None, today=None):
    """The patient asks to be forgotten. Past the retention period the chart is purged; within
    it (or where no period is known) processing is restricted instead. Returns (outcome, chart)
    with outcome "purged", "restricted" or "already_restricted"."""
    chart = chart_of(patient, today)
    if chart["status"] == retention.PAST:
        try:
            return "purged", purge(patient, ERASURE_REQUEST, request=request, user=user)["chart"]
        except NotDue:  # treated in the meantime: kept, and restricted below
            chart = chart_of(patient, today)
    with transaction.atomic():
        patient = Patient.objects.select_for_update().get(pk=patient.pk)
        if patient.restricted:
            return "already_restricted", chart
        restriction.restrict(patient, user, reason)
        record("update", request=request, user=user, patient=patient, obj=patient, detail={
            "erasure_request": True, "outcome": "restricted", "retention": _period_detail(chart)})
    return "restricted", chart


def _period_detail(chart):
    kept_for = chart["period"]
    return {"years": kept_for.years, "basis": kept_for.basis, "counted_from": kept_for.counted_from,
            "from": chart["from"].isoformat(), "due": chart["due"].isoformat() if chart["due"] else None}


def _delete_order():
    """Models that belong to a patient, each after every model that refers to it."""
    paths, fks = restriction.owners()
    owned = [m for m in paths if m is not Patient]
    refers = {m: {f.related_model for f in m._meta.concrete_fields
                  if f.many_to_one and f.related_model in paths and f.related_model is not m} for m in owned}
    ordered, placed = [], set()
    while len(ordered) < len(owned):
        ready = [m for m in owned if m not in placed
                 and not any(m in refers[other] for other in owned if other not in placed and other is not m)]
        if not ready:  # a cycle: the rest in any order; the database's cascades settle it
            ready = [m for m in owned if m not in placed]
        for model in ready:
            ordered.append(model)
            placed.add(model)
    return ordered


def _history_model(model):
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None


def _file_fields(model):
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def purge(patient, why, *, request=None, user=None, username=None):
    """Delete ``patient``'s chart and everything that belongs to it, in one transaction, and
    leave a tombstone in the audit trail; raise NotDue unless the chart is past its retention
    period (checked again under the lock). Uploaded files go once the transaction commits."""
    paths, fks = restriction.owners()
    with transaction.atomic(), restriction.lifted_for(patient.pk):
        patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
        chart = chart_of(patient)
        if chart["status"] != retention.PAST:
            raise NotDue(f"patient {patient.pk}: not past its retention period ({chart['status']})")
        order = _delete_order()
        rows = {model: list(model._base_manager.filter(**{paths[model]: patient.pk}).values_list("pk", flat=True))
                for model in order}
        rows[Patient] = [patient.pk]
        files, deleted, versions = set(), {}, 0
        for model in [*order, Patient]:
            history = _history_model(model)
            for name in _file_fields(model):
                files |= {(model, name, value) for value in model._base_manager.filter(pk__in=rows[model])
                          .values_list(name, flat=True) if value}
            if rows[model]:
                model._base_manager.filter(pk__in=rows[model]).delete()
                deleted[model._meta.label_lower] = len(rows[model])
            if history is not None:
                # Every version, also of rows removed earlier (a mistaken injection): by the keys they kept.
                match = Q(id__in=rows[model])
                for field in fks.get(model, []):
                    match |= Q(**{f"{field.attname}__in": rows.get(field.related_model, [])})
                old = history._base_manager.filter(match)
                for name in _file_fields(model):
                    files |= {(model, name, value) for value in old.values_list(name, flat=True) if value}
                versions += old.delete()[0]
        _forget_admin_log(rows)
        record("delete", request=request, user=user, username=username, clinic=patient.clinic, patient=patient,
               object_type="patient", object_id=str(patient.pk), detail={
                   "purged": True, "why": why, "retention": _period_detail(chart), "deleted": deleted,
                   "versions": versions, "files": len(files)})
        transaction.on_commit(lambda: _remove_files(files))
    return {"deleted": deleted, "versions": versions, "files": len(files), "chart": chart}


def _forget_admin_log(rows):
    """The admin's log names the objects it changed: those entries go with the chart."""
    if not apps.is_installed("django.contrib.admin"):
        return
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    for model, pks in rows.items():
        if pks:
            LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                                    object_id__in=[str(pk) for pk in pks]).delete()


def _remove_files(files):
    for model, field, name in files:
        storage = model._meta.get_field(field).storage
        storage.delete(name)
        if isinstance(storage, FileSystemStorage):
            folder = os.path.dirname(storage.path(name))
            if os.path.isdir(folder) and not os.listdir(folder) and folder != os.path.abspath(storage.location):
                os.rmdir(folder)


def explain(kept_for, jurisdiction):
    """The period in words, for pages and the report."""
    # The country by name ("Germany"), as the knowledge base calls it; the code where it has none.
    code = (localize.text(kept_for.rule) if kept_for.rule else "") or jurisdiction or _("no jurisdiction")
    counted = (_("the chart's last entry or session") if kept_for.counted_from == "last_entry"
               else _("the last treatment"))
    if kept_for.basis == retention.CLINIC:
        return _("%(years)s years after %(counted)s, as the clinic set it.") % {"years": kept_for.years,
                                                                              "counted": counted}
    if kept_for.basis == retention.JURISDICTION:
        return _("%(years)s years after %(counted)s, as the law of %(code)s requires.") % {
            "years": kept_for.years, "counted": counted, "code": code}
    if kept_for.basis == retention.TO_CONFIRM and kept_for.years:
        return _("Not known: the law of %(code)s names only a minimum (%(years)s years) that regional rules "
                 "extend; the clinic must set its period.") % {"code": code, "years": kept_for.years}
    if kept_for.basis == retention.TO_CONFIRM:
        return _("Not known: the law of %(code)s names no single period; the clinic must set its period.") % {
            "code": code}
    if not jurisdiction:
        return _("Not known: the clinic has neither a jurisdiction nor a period of its own; the clinic must set "
                 "its period.")
    return _("Not known: the knowledge base has no period for %(code)s; the clinic must set its period.") % {
        "code": code}
