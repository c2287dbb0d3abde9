"""FHIR Bulk Data export: a clinic's records as NDJSON files, one per resource type.

What is exported: every type the FHIR API serves (``types.TYPES``, whatever it holds), each
row through the same mapping as a read (``resources``), of the clinics asked for only. A
line is one resource; nothing is collected in memory: rows are read in chunks by keyset
(``id > last ORDER BY id LIMIT chunk``) and each line is written to its file as it is
made, so memory stays flat however large the clinic (benchmarks/fhir_export.py).

A chart whose processing is restricted (GDPR Art. 18: kept, but not processed further) is
left out with all its records, as GDT leaves it alone; ``errors.ndjson`` says how many such
charts each clinic has (an information issue, never who), and so does the audit event.

Levels. System (``/$export``): every clinic the user administers. Patient
(``/Patient/$export``): the same, limited to the patient compartment (types whose rows
belong to a patient). Group (``/Group/{id}/$export``): a Group is a clinic's patient
register, ``Group/{clinic id}``. Segmenta keeps no other lists of patients (a patient
belongs to the clinic, not to a practitioner, and there are no panels or cohorts), so the
one group a clinic admin can name is their clinic; it narrows an admin of several clinics
to one of them.

Where the work runs, and why this way. A kick-off makes a job directory under
``VAR_DIR/fhir-export/`` (``job.json``: who asked, for what; ``progress.json``: state and a
heartbeat; the NDJSON files; ``manifest.json`` once complete) and runs the export in a
thread of the web process; no model, no migration, no queue to run. Any worker serves the
status and the files, since they are plain files. A thread does not survive its process
(a worker replaced after ``max_requests``, a restart): the heartbeat says so, and a job
whose heartbeat is older than ``STALE_AFTER`` is reported as failed ("start it again")
instead of running forever. Exports too large for that, or run on a schedule, use
``segmenta fhir export --clinic NAME -o DIR``, which writes the same files in the
foreground. A job's files are kept ``KEEP_FOR`` after it ends, then removed by the next
kick-off; a DELETE on the status URL cancels a running job and removes its files at once.

Consistency. On PostgreSQL the export reads in one REPEATABLE READ transaction, so every
file is the state at ``transactionTime`` even while the clinic works on. On SQLite a
transaction would take the write lock (IMMEDIATE) for the whole export, so each chunk is
read on its own; a row changed meanwhile may appear in its new state.

Audit: one ``export`` event per clinic when a job completes (``object_type``
``fhir_bulk_export``, the job's id; detail: level, types with their counts, ``_since``).
Not one event per patient: the trail records a clinic-wide export as the clinic's own act
on its register, as it records the patient-list CSV and the research export (one event per
clinic, patient empty), and a patient's "recent access" list, which reads events by patient,
would otherwise gain an entry for every patient at each nightly export and bury the people
who really opened the chart. Who downloaded which file is not recorded again: only the
job's owner, with a valid token, can fetch its files.
"""

import json
import logging
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from segmenta.accounts.access import admin_clinics
from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.outcomes.models import ClinicInstrument
from segmenta.patients.models import Patient

from . import params
from .questionnaires import CLINIC_PREFIX
from .types import TYPES

logger = logging.getLogger(__name__)

CHUNK = 1000  # rows per query; settings.SEGMENTA_FHIR_EXPORT_CHUNK may change it
STALE_AFTER = timedelta(minutes=2)  # a running job without a heartbeat this long has died
KEEP_FOR = timedelta(hours=24)  # how long a finished job's files stay
OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
NDJSON = "application/fhir+ndjson"
PARAMETERS = ("_type", "_since", "_outputFormat")


class Cancelled(Exception):
    """The job's directory is gone: a DELETE cancelled it."""


def jobs_dir():
    return Path(settings.VAR_DIR) / "fhir-export"


def chunk_size():
    return getattr(settings, "SEGMENTA_FHIR_EXPORT_CHUNK", CHUNK)


# --- What to export ------------------------------------------------------------------


def is_table(source):
    """A source over one table (``types.Source``); other sources (the questionnaires, which are
    not patient data) list their resources themselves through ``search(user, conditions)``."""
    return hasattr(source, "rows")


def _clinic_field(source):
    """The column that names a row's clinic, or None for a table that belongs to no clinic."""
    names = {f.name for f in source.model._meta.get_fields()}
    if "clinic" in names:
        return "clinic_id"
    return f"{source.patient_path}__clinic_id" if source.patient_path else None


def in_patient_compartment(resource_type):
    """Whether every row of the type belongs to a patient (the Patient itself included)."""
    return all(is_table(source) and (source.model is Patient or source.patient_path)
               for source in resource_type.sources)


def exportable(level):
    """The type names an export of ``level`` may hold, in the registry's order."""
    return [name for name, resource_type in TYPES.items()
            if level == "system" or in_patient_compartment(resource_type)]


def read_types(raw, level, name="_type"):
    """``_type`` (comma-separated, repeatable) as a list of type names, or BadParameter."""
    allowed = exportable(level)
    what = "the patient compartment's types" if level != "system" else "the types this server exports"
    return params.type_names(raw, allowed, what, name) or allowed


def read_since(raw, name="_since"):
    """``_since`` as an aware datetime (a FHIR instant: date, time and zone), or BadParameter."""
    return params.instant(name, raw)


def _rows(source, clinic_id, user, since):
    """The source's rows of one clinic, changed after ``since``; through the user's gate when
    there is a user (the web), else the clinic's rows as the command line reads them (the
    query ``Source.rows`` builds, without the user's gate).

    The patient and clinic each row reaches are prefetched rather than joined: a chunk of a
    thousand injections then makes a hundred patients and one clinic instead of a thousand of
    each (a third of the processor time of an injection's export, benchmarks/fhir_export.py),
    and the mapping finds them where a read finds them."""
    if user is not None:
        rows = source.rows(user)
    else:
        rows = (source.model.objects.filter(source.only).prefetch_related(*getattr(source, "prefetch", ()))
                .alias(**getattr(source, "computed", {})).annotate(last_updated=source.updated(source.model)))
    path = source.patient_path
    patients = (Prefetch(path, queryset=Patient.objects.filter(clinic_id=clinic_id)), f"{path}__clinic") if path \
        else ("clinic",)
    rows = rows.select_related(None).select_related(*source.related).prefetch_related(*patients)
    where = _clinic_field(source)
    if where is not None:
        rows = rows.filter(**{where: clinic_id})
    if source.model is Patient or path:  # a restricted chart is left out whole (see left_out)
        rows = rows.filter(**{"__".join(filter(None, (path, "restricted_at__isnull"))): True})
    if since is not None:
        rows = rows.filter(last_updated__gt=since)
    return rows


def _listed(source, user, since, clinic_ids):
    """A non-table source's resources as the user sees them, in one chunk (they are few),
    without a clinic's own questionnaires (ids ci-N) of clinics not exported (the user may
    belong to one without administering it); with ``_since``, only those that say when they
    last changed, and changed after it. None from the command line: they are listed per user."""
    if user is None:
        return None
    own = {f"{CLINIC_PREFIX}-{pk}" for pk in
           ClinicInstrument.objects.filter(clinic_id__in=clinic_ids).values_list("pk", flat=True)}
    shown = [one for one in source.search(user, {})
             if not str(one.pk).startswith(f"{CLINIC_PREFIX}-") or one.pk in own]
    if since is not None:
        shown = [one for one in shown if one.last_updated is not None and one.last_updated > since]
    return [shown] if shown else []


def _chunks(rows, size):
    """The rows in id order, ``size`` at a time (keyset paging: each query starts after the
    last id seen, so a chunk costs the same at the end of a large table as at its start)."""
    last = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        found = list(page.order_by("pk")[:size])
        if not found:
            return
        yield found
        if len(found) < size:
            return
        last = found[-1].pk


def _error_line(resource_id, type_name, error):
    return {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "exception",
        "diagnostics": f"{type_name}/{resource_id}: could not be exported ({type(error).__name__}: {error})"}]}


@dataclass
class Result:
    counts: dict = field(default_factory=dict)  # {type: resources written}
    per_clinic: dict = field(default_factory=dict)  # {clinic id: {type: count}}
    errors: int = 0  # rows that could not be mapped
    restricted: dict = field(default_factory=dict)  # {clinic id: patients left out (GDPR Art. 18)}
    files: dict = field(default_factory=dict)  # {type: path}
    skipped: list = field(default_factory=list)  # types not written: listed only for a user (the web)


class _Files:
    """The export's open files: one per type, opened at its first line, and errors.ndjson."""

    def __init__(self, directory, result):
        self.directory, self.result, self.open = directory, result, {}

    def write(self, name, lines):
        if name not in self.open:
            path = self.directory / f"{name}.ndjson"
            self.open[name] = open(path, "w", encoding="utf-8")
            if name != "errors":
                self.result.files[name] = path
        self.open[name].write("\n".join(lines) + "\n")

    def close(self):
        for out in self.open.values():
            out.close()


def _lines(source, type_name, rows, files, result):
    """The rows as NDJSON lines; a row the mapping fails on becomes a line of errors.ndjson."""
    lines = []
    for row in rows:
        resource_id = source.resource_id(row.pk)
        try:
            resource = source.to_resource(row, resource_id)
        except Exception as error:  # the rest of the export goes on; errors.ndjson names it
            files.write("errors", [json.dumps(_error_line(resource_id, type_name, error))])
            result.errors += 1
            continue
        lines.append(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
    return lines


def _left_out(clinic_ids, type_names, files, result):
    """The patients whose processing is restricted (GDPR Art. 18: kept, not processed further)
    are left out with all their records, as from every transfer to another system; an
    information line in errors.ndjson says how many, per clinic, never who."""
    if not any(in_patient_compartment(TYPES[name]) for name in type_names):
        return
    counts = dict(Patient.objects.filter(clinic_id__in=clinic_ids, restricted_at__isnull=False).order_by()
                  .values("clinic_id").annotate(n=Count("pk")).values_list("clinic_id", "n"))
    names = dict(Clinic.objects.filter(pk__in=counts).values_list("pk", "name"))
    for clinic_id, count in sorted(counts.items()):
        result.restricted[clinic_id] = count
        files.write("errors", [json.dumps({"resourceType": "OperationOutcome", "issue": [{
            "severity": "information", "code": "suppressed",
            "diagnostics": f"{names[clinic_id]}: {count} patient(s) whose processing is restricted (GDPR Art. 18) "
                           "left out, with all their records"}]}, ensure_ascii=False)])


def write_ndjson(directory, clinic_ids, type_names, since=None, user=None, chunk=None, heartbeat=None):
    """Write ``Type.ndjson`` into ``directory`` for each type with at least one resource
    (and ``errors.ndjson`` with an OperationOutcome for each row that could not be mapped, and
    one saying how many restricted charts were left out);
    return a Result. ``heartbeat(written, type_name)`` is called after every chunk; it may
    raise Cancelled."""
    size = chunk or chunk_size()
    result = Result(per_clinic={clinic_id: {} for clinic_id in clinic_ids})
    files = _Files(Path(directory), result)
    try:
        _left_out(clinic_ids, type_names, files, result)
        for type_name in type_names:
            for source in TYPES[type_name].sources:
                # A table's rows clinic by clinic; a source of no clinic once (counted for none).
                parts = ([(clinic_id, _chunks(_rows(source, clinic_id, user, since), size)) for clinic_id in clinic_ids]
                         if is_table(source) else [(None, _listed(source, user, since, clinic_ids))])
                for clinic_id, chunks in parts:
                    if chunks is None:
                        result.skipped.append(type_name)
                        continue
                    for rows in chunks:
                        lines = _lines(source, type_name, rows, files, result)
                        if lines:
                            files.write(type_name, lines)
                            result.counts[type_name] = result.counts.get(type_name, 0) + len(lines)
                            if clinic_id is not None:
                                clinic_counts = result.per_clinic[clinic_id]
                                clinic_counts[type_name] = clinic_counts.get(type_name, 0) + len(lines)
                        if heartbeat is not None:
                            heartbeat(sum(result.counts.values()), type_name)
    finally:
        files.close()
    return result


@contextmanager
def snapshot():
    """The transaction an export reads in: one consistent snapshot on PostgreSQL (REPEATABLE
    READ, read only), none on SQLite (see the module's docstring), nor inside a transaction
    already begun (its own isolation holds)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def audit(clinic_ids, result, *, level, since, job_id, user=None, request=None, username=None, via="fhir"):
    """One export event per clinic (see the module's docstring for why not one per patient)."""
    clinics = Clinic.objects.in_bulk(clinic_ids)
    with transaction.atomic():
        for clinic_id in clinic_ids:
            record("export", request=request, user=user, username=username, clinic=clinics[clinic_id],
                   object_type="fhir_bulk_export", object_id=job_id,
                   detail={"format": "ndjson", "via": via, "level": level,
                           "types": result.per_clinic.get(clinic_id, {}),
                           "restricted_left_out": result.restricted.get(clinic_id, 0),
                           "since": since.isoformat() if since else None})


# --- Jobs ------------------------------------------------------------------------------


def _write_json(path, data):
    """Replace ``path`` at once (a reader sees the old or the new file, never half of one)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def _read_json(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


@dataclass
class Job:
    id: str

    @property
    def path(self):
        return jobs_dir() / self.id

    def spec(self):
        return _read_json(self.path / "job.json")

    def progress(self):
        return _read_json(self.path / "progress.json")

    def manifest(self):
        return _read_json(self.path / "manifest.json")

    def set_progress(self, **values):
        if not self.path.is_dir():
            raise Cancelled
        _write_json(self.path / "progress.json", {**(self.progress() or {}), **values,
                                                  "heartbeat": time.time()})

    def state(self):
        """"running", "complete", "error" or "interrupted" (no heartbeat for STALE_AFTER)."""
        progress = self.progress() or {}
        state = progress.get("state", "running")
        if state == "running" and time.time() - progress.get("heartbeat", 0) > STALE_AFTER.total_seconds():
            return "interrupted"
        return state

    def expires(self):
        """When a finished job's files will be removed (seconds since the epoch)."""
        return (self.progress() or {}).get("heartbeat", time.time()) + KEEP_FOR.total_seconds()

    def file(self, name):
        """The path of one of the job's NDJSON files, or None."""
        if "/" in name or name.startswith(".") or not name.endswith(".ndjson"):
            return None
        path = self.path / name
        return path if path.is_file() else None

    def remove(self):
        """Cancel and delete: the directory is renamed away first (a running export then
        finds it gone at its next chunk and stops), then removed."""
        trash = jobs_dir() / f".deleted-{self.id}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(self.path, trash)
        except FileNotFoundError:
            return False
        shutil.rmtree(trash, ignore_errors=True)
        return True


def administers(user, clinic_ids):
    """Whether ``user`` is an admin of each of the clinics (asked again when the export runs
    and at each status and file request: a role taken away ends access to its exports)."""
    return admin_clinics(user).filter(pk__in=clinic_ids).count() == len(set(clinic_ids))


def find(job_id, user):
    """The user's job ``job_id``, or None (another user's job is none of theirs, nor one of a
    clinic they no longer administer)."""
    if not job_id.isalnum() or len(job_id) != 32:
        return None
    job = Job(job_id)
    spec = job.spec()
    if spec is None or spec["owner"] != user.pk or not administers(user, spec["clinics"]):
        return None
    if job.state() in ("complete", "error") and time.time() > job.expires():
        job.remove()
        return None
    return job


def running_jobs(user):
    """The user's jobs still running (interrupted ones do not count)."""
    found = []
    for path in jobs_dir().glob("[0-9a-f]" * 32):
        job = Job(path.name)
        spec = job.spec()
        if spec and spec["owner"] == user.pk and job.state() == "running":
            found.append(job)
    return found


def purge():
    """Remove finished jobs older than KEEP_FOR, interrupted ones, and leftovers of deletes."""
    if not jobs_dir().is_dir():
        return
    for path in jobs_dir().iterdir():
        if path.name.startswith(".deleted-"):
            shutil.rmtree(path, ignore_errors=True)
            continue
        job = Job(path.name)
        progress = job.progress() or {}
        age = time.time() - progress.get("heartbeat", 0)
        if job.state() == "interrupted" or (job.state() != "running" and age > KEEP_FOR.total_seconds()):
            job.remove()


def create(*, user, clinic_ids, types, since, level, request_url, base_url, client):
    """A new job directory (state running); the caller starts ``run`` on it."""
    job = Job(uuid.uuid4().hex)
    job.path.mkdir(parents=True)
    _write_json(job.path / "job.json", {
        "owner": user.pk, "clinics": clinic_ids, "types": types, "since": since.isoformat() if since else None,
        "level": level, "request": request_url, "base": base_url, "client": client,
        "transactionTime": timezone.now().isoformat()})
    job.set_progress(state="running", written=0, current="")
    return job


def run(job):
    """Export the job's files and write its manifest (or its error); audit on completion."""
    from django.contrib.auth import get_user_model

    spec = job.spec()
    if spec is None:  # cancelled before it began
        return
    since = datetime.fromisoformat(spec["since"]) if spec["since"] else None
    try:
        user = get_user_model().objects.get(pk=spec["owner"])
        if not administers(user, spec["clinics"]):
            raise PermissionError("you no longer administer every clinic this export was for")
        with snapshot():
            result = write_ndjson(job.path, spec["clinics"], spec["types"], since=since, user=user,
                                  heartbeat=lambda written, current: job.set_progress(written=written, current=current))
        files = f"{spec['base']}/$export-file/{job.id}"
        manifest = {
            "transactionTime": spec["transactionTime"],
            "request": spec["request"],
            "requiresAccessToken": True,
            "output": [{"type": name, "url": f"{files}/{name}.ndjson", "count": result.counts[name]}
                       for name in spec["types"] if name in result.files],
            "error": [{"type": "OperationOutcome", "url": f"{files}/errors.ndjson"}]
            if result.errors or result.restricted else [],
        }
        if not job.path.is_dir():
            raise Cancelled
        audit(spec["clinics"], result, level=spec["level"], since=since, job_id=job.id, user=user,
              request=SimpleNamespace(META=spec["client"], user=user))
        _write_json(job.path / "manifest.json", manifest)
        job.set_progress(state="complete", written=sum(result.counts.values()), current="")
    except Cancelled:
        pass
    except Exception as error:
        logger.exception("FHIR export %s failed", job.id)
        for path in job.path.glob("*.ndjson"):  # half an export is served to nobody; keep none of it
            path.unlink(missing_ok=True)
        try:
            job.set_progress(state="error", error=f"{type(error).__name__}: {error}")
        except Cancelled:
            pass


def _in_thread(job):
    try:
        run(job)
    finally:
        connections.close_all()  # this thread's connections only


def start(job):
    """Run the job in a thread of this process (see the module's docstring)."""
    thread = threading.Thread(target=_in_thread, args=(job,), name=f"fhir-export-{job.id}", daemon=True)
    thread.start()
    return thread


# --- The CapabilityStatement -----------------------------------------------------------

BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"


def declare_in(statement):
    """``statement`` (the CapabilityStatement, changed in place and returned) declaring the
    export: the Bulk Data IG's server capability, ``$export`` at system level, on Patient,
    and on Group (a clinic). For capability.py to call (its owner wires it in)."""
    # New lists throughout: the statement may share its lists with module constants.
    statement["instantiates"] = [*statement.get("instantiates", []), f"{BULK_DATA}/CapabilityStatement/bulk-data"]
    rest = statement["rest"][0]
    rest["operation"] = [*rest.get("operation", []), {
        "name": "export", "definition": f"{BULK_DATA}/OperationDefinition/export",
        "documentation": "$export with 'Prefer: respond-async' (clinic admins; their clinics): _type, _since, "
                         "_outputFormat (NDJSON). A status URL, then a manifest of NDJSON files per type."}]
    resources = {resource["type"]: resource for resource in rest["resource"]}
    if "Group" not in resources:
        resources["Group"] = {"type": "Group", "documentation": "Group/{clinic id}: a clinic's patients; only its "
                                                                "$export is served"}
        rest["resource"] = [*rest["resource"], resources["Group"]]
    for name, definition in (("Patient", "patient-export"), ("Group", "group-export")):
        resources[name]["operation"] = [*resources[name].get("operation", []), {
            "name": "export", "definition": f"{BULK_DATA}/OperationDefinition/{definition}"}]
    return statement
