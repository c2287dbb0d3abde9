"""The practice outcomes' figures per complaint and per patient, kept current.

Computing them from every session takes seconds for a large practice (2,000,000 sessions),
so each change that moves them (a score, an injection, an adverse event, a session, a
complaint's region, a history item's kind) recomputes its patient's rows in the same
transaction, through the models' signals. ``rebuild()`` (`segmenta outcomes rebuild`)
recomputes everything from scratch; rows written in bulk (the synthetic practice) call it.
The figures depend on the knowledge base (the responder threshold, which targets are ganglia
or interference fields, the Huneke criteria): when those change, the next read rebuilds.

One statement with window functions computes every complaint's figures (SQLite 3.25+ and
PostgreSQL alike): a complaint's baseline is the NRS before its first scored session, its
latest the NRS before its last one; it responds when the latest is at least the knowledge
base's important change (``nrs-11``) lower. Approach: interference field when an item was
tested, ganglionic when a ganglion was injected, segmental otherwise.
"""

import hashlib
import json
import logging

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from segmenta.knowledge.base import load
from segmenta.replica import primary_only
from segmenta.patients.models import Complaint, HistoryItem, Patient
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session

from .models import ComplaintOutcome, OutcomeParameters, PatientOutcome

log = logging.getLogger(__name__)


def parameters():
    """Everything from the knowledge base that the stored figures depend on."""
    kb = load()
    return {
        "threshold": 1 - kb.get("instrument-threshold", "nrs-11")["important_change"]["percent"] / 100,
        "fields": sorted(t["id"] for t in kb.all("technique") if t["approach"] == "interference_field"),
        "ganglia": sorted(g["target"] for g in kb.all("ganglion")),
        "huneke": kb.get("protocol", "huneke")["criteria"],
    }


def fingerprint(found=None):
    text = json.dumps(found or parameters(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _json_text(column, *path):
    """The text at ``path`` inside a JSON column, in this database's dialect."""
    if connection.vendor == "postgresql":
        return f"({column}::jsonb #>> '{{{','.join(map(str, path))}}}')"
    return f"json_extract({column}, '$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) + "')"


def placeholders(values):
    return ", ".join(["%s"] * len(values))


COMPLAINT_COLUMNS = ["complaint_id", "patient_id", "clinic_id", "sessions", "baseline", "latest", "to_response",
                     "completer", "responder", "region", "approach"]
PATIENT_COLUMNS = ["patient_id", "clinic_id", "sessions", "sessions_with_events", "tests", "huneke"]


def per_complaint_sql(column, ids, found):
    """SQL and parameters: one row per complaint with a baseline above 0 of the patients
    whose ``column`` (``p.clinic_id`` or ``p.id``) is in ``ids``, in COMPLAINT_COLUMNS."""
    region = (f"COALESCE({_json_text('c.regions', 0, 'region')}, "
              f"'body-map ' || {_json_text('c.regions', 0, 'choir')})")
    sql = f"""
        WITH scored AS (
            SELECT cs.complaint_id, cs.session_id, cs.pre_nrs,
                   ROW_NUMBER() OVER (PARTITION BY cs.complaint_id ORDER BY se.started_at, cs.id) AS seq,
                   COUNT(*) OVER (PARTITION BY cs.complaint_id) AS sessions,
                   FIRST_VALUE(cs.pre_nrs) OVER (PARTITION BY cs.complaint_id ORDER BY se.started_at, cs.id)
                       AS baseline
            FROM treatment_complaintscore cs
            JOIN treatment_session se ON se.id = cs.session_id
            JOIN patients_complaint c ON c.id = cs.complaint_id
            JOIN patients_patient p ON p.id = c.patient_id
            WHERE {column} IN ({placeholders(ids)})
        ),
        injected AS (
            SELECT s.complaint_id,
                   MAX(CASE WHEN i.history_item_id IS NOT NULL OR i.target IN ({placeholders(found["fields"])}) THEN 1 ELSE 0 END)
                       AS field,
                   MAX(CASE WHEN i.target IN ({placeholders(found["ganglia"])}) THEN 1 ELSE 0 END) AS ganglionic
            FROM scored s JOIN treatment_injection i ON i.session_id = s.session_id
            GROUP BY s.complaint_id
        ),
        per_complaint AS (
            SELECT s.complaint_id, MAX(s.sessions) AS sessions, MAX(s.baseline) AS baseline,
                   MAX(CASE WHEN s.seq = s.sessions THEN s.pre_nrs END) AS latest,
                   MIN(CASE WHEN s.seq > 1 AND s.pre_nrs <= s.baseline * %s THEN s.seq END) AS to_response
            FROM scored s GROUP BY s.complaint_id
        )
        SELECT pc.complaint_id, c.patient_id, p.clinic_id, pc.sessions, pc.baseline, pc.latest, pc.to_response,
               CASE WHEN pc.sessions >= 2 THEN 1 ELSE 0 END AS completer,
               CASE WHEN pc.sessions >= 2 AND pc.latest <= pc.baseline * %s THEN 1 ELSE 0 END AS responder,
               {region} AS region,
               CASE WHEN COALESCE(inj.field, 0) = 1 THEN 'interference_field'
                    WHEN COALESCE(inj.ganglionic, 0) = 1 THEN 'ganglionic' ELSE 'segmental' END AS approach
        FROM per_complaint pc
        JOIN patients_complaint c ON c.id = pc.complaint_id
        JOIN patients_patient p ON p.id = c.patient_id
        LEFT JOIN injected inj ON inj.complaint_id = pc.complaint_id
        WHERE pc.baseline > 0
    """
    return sql, [*ids, *found["fields"], *found["ganglia"], found["threshold"], found["threshold"]]


def per_patient_sql(column, ids, found):
    """SQL and parameters: one row per patient (of ``column`` in ``ids``) with a session,
    in PATIENT_COLUMNS."""
    criteria = found["huneke"]
    sql = f"""
        SELECT p.id, p.clinic_id, COUNT(*),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM treatment_adverseevent a WHERE a.session_id = se.id)
                        THEN 1 ELSE 0 END),
               COALESCE(SUM(t.tests), 0), COALESCE(SUM(t.huneke), 0)
        FROM patients_patient p
        JOIN treatment_session se ON se.patient_id = p.id
        LEFT JOIN (
            SELECT i.session_id, COUNT(*) AS tests,
                   SUM(CASE WHEN i.relief_percent >= %s AND i.onset_seconds <= %s
                             AND ((h.kind = 'tooth' AND i.duration_hours >= %s) OR i.duration_hours >= %s)
                            THEN 1 ELSE 0 END) AS huneke
            FROM treatment_injection i JOIN patients_historyitem h ON h.id = i.history_item_id
            WHERE i.relief_percent IS NOT NULL
            GROUP BY i.session_id
        ) t ON t.session_id = se.id
        WHERE {column} IN ({placeholders(ids)})
        GROUP BY p.id, p.clinic_id
    """
    return sql, [criteria["relief_percent_min"], criteria["onset_seconds_max"],
                 criteria["duration_hours_min_tooth"], criteria["duration_hours_min"], *ids]


def rows(sql, params, using=None):
    """The rows of ``sql``, read through ``using`` (a report passes the replica's connection
    when it reads from one; the default database otherwise)."""
    with (using or connection).cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _store(column, ids, found):
    complaints = rows(*per_complaint_sql(column, ids, found))
    ComplaintOutcome.objects.bulk_create(
        [ComplaintOutcome(**dict(zip(COMPLAINT_COLUMNS, row))) for row in complaints], batch_size=2000)
    patients = rows(*per_patient_sql(column, ids, found))
    PatientOutcome.objects.bulk_create(
        [PatientOutcome(**dict(zip(PATIENT_COLUMNS, row))) for row in patients], batch_size=2000)


def refresh(patient_ids):
    """Recompute the rows of these patients (in the caller's transaction). The patients'
    rows are locked first, so two changes to one patient at once cannot both write them."""
    ids = sorted({pk for pk in patient_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        list(Patient.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        ComplaintOutcome.objects.filter(patient_id__in=ids).delete()
        PatientOutcome.objects.filter(patient_id__in=ids).delete()
        _store("p.id", ids, parameters())


def rebuild():
    """Recompute every row from scratch, clinic by clinic; return (complaints, patients)."""
    from segmenta.accounts.models import Clinic

    found = parameters()
    with transaction.atomic():
        ComplaintOutcome.objects.all().delete()
        PatientOutcome.objects.all().delete()
        for clinic_id in Clinic.objects.values_list("pk", flat=True):
            _store("p.clinic_id", [clinic_id], found)
        OutcomeParameters.objects.all().delete()
        OutcomeParameters.objects.create(fingerprint=fingerprint(found))
    return ComplaintOutcome.objects.count(), PatientOutcome.objects.count()


def ensure_current(using=None):
    """Rebuild when the stored rows were computed with other parameters, or never: at
    migrate after an update, else at the first read."""
    if using is not None and using != connection.alias:
        return  # the figures live beside the data in the default database
    # Checked and rebuilt on the primary, even inside a report that reads from a replica.
    with primary_only():
        stored = OutcomeParameters.objects.values_list("fingerprint", flat=True).first()
        if stored != fingerprint():
            log.info("practice outcomes: computed with other knowledge-base parameters%s; rebuilding",
                     "" if stored else " (or never)")
            rebuild()


# --- Keeping them current ----------------------------------------------------------------

def _session_patient(session_id):
    return Session.objects.filter(pk=session_id).values_list("patient_id", flat=True).first()


def _on_session_part(sender, instance, **kwargs):
    refresh([_session_patient(instance.session_id)])


def _on_session(sender, instance, **kwargs):
    refresh([instance.patient_id])


def _on_chart_item(sender, instance, created=False, **kwargs):
    # A complaint or history item just made is in no figure yet: the figures reach it only
    # through a score or an injection that refers to it. Recomputing the patient's rows for
    # nothing was 6 of a new complaint's 18 statements. Such a row made earlier in the same
    # transaction (references are checked at commit) still counts.
    if created and not _referred_to(sender, instance.pk):
        return
    refresh([instance.patient_id])


def _referred_to(model, pk):
    if model is Complaint:
        return ComplaintScore.objects.filter(complaint_id=pk).exists()
    return Injection.objects.filter(history_item_id=pk).exists()


def _on_patient(sender, instance, **kwargs):
    ComplaintOutcome.objects.filter(patient_id=instance.pk).exclude(clinic_id=instance.clinic_id).update(
        clinic_id=instance.clinic_id)
    PatientOutcome.objects.filter(patient_id=instance.pk).exclude(clinic_id=instance.clinic_id).update(
        clinic_id=instance.clinic_id)


def _patient_deleted(sender, instance, **kwargs):
    # Last in the chart's deletion: whatever its sessions' deletions recomputed goes too.
    ComplaintOutcome.objects.filter(patient_id=instance.pk).delete()
    PatientOutcome.objects.filter(patient_id=instance.pk).delete()


def connect():
    for model in (ComplaintScore, Injection, AdverseEvent):
        post_save.connect(_on_session_part, sender=model, dispatch_uid=f"outcomes-aggregate-{model.__name__}")
        post_delete.connect(_on_session_part, sender=model, dispatch_uid=f"outcomes-aggregate-del-{model.__name__}")
    post_save.connect(_on_session, sender=Session, dispatch_uid="outcomes-aggregate-Session")
    post_delete.connect(_on_session, sender=Session, dispatch_uid="outcomes-aggregate-del-Session")
    for model in (Complaint, HistoryItem):
        post_save.connect(_on_chart_item, sender=model, dispatch_uid=f"outcomes-aggregate-{model.__name__}")
        post_delete.connect(_on_chart_item, sender=model, dispatch_uid=f"outcomes-aggregate-del-{model.__name__}")
    post_save.connect(_on_patient, sender=Patient, dispatch_uid="outcomes-aggregate-Patient")
    post_delete.connect(_patient_deleted, sender=Patient, dispatch_uid="outcomes-aggregate-deleted-Patient")
