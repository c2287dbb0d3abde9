"""FHIR Bulk Data export over the demo practice: kick-off, polling, the manifest, the NDJSON
files (every line a valid R4 resource of the clinic asked for, counted right), cancelling,
_type and _since, who may export, the audit event, chunked reading, and the command line."""

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from segmenta.accounts.models import Clinic, Membership, Role
from segmenta.audit.models import AuditEvent
from segmenta.audit.views import object_label
from segmenta.interop.fhir import bulk
from segmenta.interop.fhir.types import TYPES
from segmenta.patients.models import Complaint, Condition, Patient
from segmenta.tests.test_clinic_scoping import unscoped

from .test_fhir_demo import client_of, validate

# The export's thread reads what the test wrote: committed data, not a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


def local(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    call_command("demo", stdout=open("/dev/null", "w"))
    other = Clinic.objects.get(name="Other Clinic")
    admin = get_user_model().objects.create_user("other-admin")
    Membership.objects.create(user=admin, clinic=other, role=Role.ADMIN)
    return {"demo": Clinic.objects.get(name="Demo Praxis"), "other": other}


def kick_off(client, url="/fhir/r4/$export", **extra):
    response = client.get(url, **ASYNC, **extra)
    assert response.status_code == 202, response.content
    return response["Content-Location"]


def wait(client, status_url, seconds=60):
    """Poll the status URL until it answers something other than 202."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(local(status_url))
        if response.status_code != 202:
            return response
        assert response["X-Progress"]
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.05)


def download(client, manifest):
    """{type: [resources]} of every file the manifest lists, fetched with the client's token."""
    found = {}
    for output in manifest["output"]:
        response = client.get(local(output["url"]))
        assert response.status_code == 200, response
        assert response["Content-Type"] == "application/fhir+ndjson"
        text = b"".join(response.streaming_content).decode()
        assert text.endswith("\n")
        found[output["type"]] = [json.loads(line) for line in text.splitlines()]
    return found


def exported(client, url="/fhir/r4/$export"):
    status_url = kick_off(client, url)
    response = wait(client, status_url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    expires = parsedate_to_datetime(response["Expires"])
    assert timedelta(hours=23) < expires - timezone.now() <= bulk.KEEP_FOR
    manifest = response.json()
    return status_url, manifest, download(client, manifest)


def searched_ids(username):
    """{type: ids} of everything the FHIR search shows ``username`` (following next links)."""
    client, ids = client_of(username), {}
    for name in TYPES:
        url = f"/fhir/r4/{name}?_count=1000"
        ids[name] = set()
        while url:
            bundle = client.get(url).json()
            ids[name] |= {entry["resource"]["id"] for entry in bundle.get("entry", [])}
            url = next((local(link["url"]) for link in bundle["link"] if link["relation"] == "next"), None)
    return ids


def test_kick_off_poll_download_and_delete(demo):
    admin = client_of("demo-admin")
    status_url, manifest, files = exported(admin)
    assert urlsplit(status_url).path.startswith("/fhir/r4/$export-status/")
    assert manifest["request"].endswith("/fhir/r4/$export")
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert timezone.now() - timezone.datetime.fromisoformat(manifest["transactionTime"]) < timedelta(minutes=5)
    expected = searched_ids("demo-admin")
    # A file for every type the clinic has, each line valid R4, counted right, and all of its resources.
    assert sorted(files) == sorted(name for name, ids in expected.items() if ids)
    for output in manifest["output"]:
        resources = files[output["type"]]
        assert output["count"] == len(resources) > 0
        for resource in resources:
            assert resource["resourceType"] == output["type"]
            validate(resource)
        assert {resource["id"] for resource in resources} == expected[output["type"]]
    # Deleting removes the job and its files.
    file_url = local(manifest["output"][0]["url"])
    assert admin.delete(local(status_url)).status_code == 202
    assert admin.get(local(status_url)).status_code == 404
    assert admin.get(file_url).status_code == 404
    assert not any(bulk.jobs_dir().iterdir())


def test_another_clinics_records_are_never_in_the_files(demo):
    _status, _manifest, files = exported(client_of("other-admin"))
    own, foreign = searched_ids("other-admin"), searched_ids("demo-admin")
    foreign_patients = {f"Patient/{pk}" for pk in Patient.objects.filter(clinic=demo["demo"]).values_list("pk", flat=True)}
    assert files, "the other clinic exported nothing"
    for type_name, resources in files.items():
        ids = {resource["id"] for resource in resources}
        assert ids == own[type_name]
        assert not bulk.in_patient_compartment(TYPES[type_name]) or not ids & foreign[type_name]
        text = json.dumps(resources)
        assert not any(f'"{reference}"' in text for reference in foreign_patients)


def test_questionnaires_are_the_shipped_ones_and_the_exported_clinics_own(demo):
    """An admin of one clinic who also works in another exports only the first one's own
    questionnaires; the patient-level export holds none (they are not patient data)."""
    from segmenta.outcomes.models import ClinicInstrument
    from segmenta.outcomes.scoring import instruments

    admin = get_user_model().objects.get(username="demo-admin")
    Membership.objects.create(user=admin, clinic=demo["other"], role=Role.PRACTITIONER)
    resource = {**instruments()["nrs-11"], "url": "https://clinic.example/own-scale", "title": "Our own scale"}
    mine = ClinicInstrument.objects.create(clinic=demo["demo"], instrument_id="own", resource=resource)
    theirs = ClinicInstrument.objects.create(clinic=demo["other"], instrument_id="own", resource=resource)
    client = client_of("demo-admin")
    _s, _manifest, files = exported(client, "/fhir/r4/$export?_type=Questionnaire")
    ids = {resource["id"] for resource in files["Questionnaire"]}
    assert f"ci-{mine.pk}" in ids and f"ci-{theirs.pk}" not in ids
    assert set(instruments()) <= ids
    for line in files["Questionnaire"]:
        validate(line)
    _s, _manifest, files = exported(client, "/fhir/r4/$export?_since=2000-01-01T00:00:00Z&_type=Questionnaire")
    assert [resource["id"] for resource in files["Questionnaire"]] == [f"ci-{mine.pk}"]
    response = client.get("/fhir/r4/Patient/$export?_type=Questionnaire", **ASYNC)
    assert response.status_code == 400 and "Questionnaire" in response.json()["issue"][0]["diagnostics"]


def test_a_restricted_chart_is_left_out_whole_and_the_manifest_says_how_many(demo):
    """GDPR Art. 18: a chart whose processing is restricted is kept, not handed on: neither
    the patient nor anything of theirs is in the files; an information line says how many."""
    restricted = Patient.objects.filter(clinic=demo["demo"]).order_by("pk").first()
    Patient.objects.filter(pk=restricted.pk).update(restricted_at=timezone.now(), restriction_reason="erasure asked")
    client = client_of("demo-admin")
    _s, manifest, files = exported(client)
    reference = f'"Patient/{restricted.pk}"'
    assert files["Patient"] and str(restricted.pk) not in {r["id"] for r in files["Patient"]}
    assert not any(reference in json.dumps(resource) for resources in files.values() for resource in resources)
    [error] = manifest["error"]
    response = client.get(local(error["url"]))
    [line] = [json.loads(text) for text in b"".join(response.streaming_content).decode().splitlines()]
    issue = validate(line).issue[0]
    assert (issue.severity, issue.code) == ("information", "suppressed")
    assert issue.diagnostics.startswith("Demo Praxis: 1 patient(s)") and restricted.family_name not in issue.diagnostics
    event = AuditEvent.objects.get(object_type="fhir_bulk_export")
    assert event.detail["restricted_left_out"] == 1


def test_the_group_is_the_clinic_and_patient_level_exports_the_patient_compartment(demo):
    admin = client_of("demo-admin")
    _s, group_manifest, group_files = exported(admin, f"/fhir/r4/Group/{demo['demo'].pk}/$export")
    _s, patient_manifest, patient_files = exported(admin, "/fhir/r4/Patient/$export")
    assert group_manifest["request"].endswith(f"/Group/{demo['demo'].pk}/$export")
    expected = searched_ids("demo-admin")
    for files in (group_files, patient_files):
        assert {name: {r["id"] for r in resources} for name, resources in files.items()} == \
            {name: ids for name, ids in expected.items() if ids and bulk.in_patient_compartment(TYPES[name])}
    # Another clinic's group is not found; a clinic where the user is not admin is forbidden.
    assert admin.get(f"/fhir/r4/Group/{demo['other'].pk}/$export", **ASYNC).status_code == 404
    assert admin.get("/fhir/r4/Group/nonsense/$export", **ASYNC).status_code == 404
    doctor = client_of("demo-doctor")
    response = doctor.get(f"/fhir/r4/Group/{demo['demo'].pk}/$export", **ASYNC)
    assert response.status_code == 403 and "admin" in validate(response.json()).issue[0].diagnostics


def test_type_and_since_choose_what_is_exported(demo):
    admin = client_of("demo-admin")
    _s, manifest, files = exported(admin, "/fhir/r4/$export?_type=Patient,Encounter")
    assert [output["type"] for output in manifest["output"]] == ["Patient", "Encounter"]
    assert manifest["request"].endswith("_type=Patient,Encounter")
    # _since: only what changed after it (a patient edited now, nothing else of the clinic's).
    patient = Patient.objects.filter(clinic=demo["demo"]).order_by("pk").first()
    since = timezone.now()
    time.sleep(0.01)
    patient.phone = "+49 30 1234"
    patient.save()
    query = f"_type=Patient,Condition&_since={since.isoformat().replace('+00:00', 'Z')}"
    _s, manifest, files = exported(admin, f"/fhir/r4/$export?{query}")
    assert manifest["output"] == [{"type": "Patient", "url": manifest["output"][0]["url"], "count": 1}]
    assert [resource["id"] for resource in files["Patient"]] == [str(patient.pk)]
    _s, manifest, files = exported(admin, "/fhir/r4/$export?_since=2100-01-01T00:00:00Z")
    assert manifest["output"] == [] and files == {}


@pytest.mark.parametrize("query, words", [
    ("_type=Patient,Nonsense", ["_type", "Nonsense"]),
    ("_type=", ["_type"]),
    ("_since=yesterday", ["_since"]),
    ("_since=2026-01-01T00:00:00", ["_since", "time zone"]),
    ("_outputFormat=text/csv", ["_outputFormat"]),
    ("_elements=id", ["_elements", "not a parameter"]),
    ("_typeFilter=Patient%3Fgender%3Dmale", ["_typeFilter"]),
])
def test_parameters_it_cannot_honour_are_refused(demo, query, words):
    response = client_of("demo-admin").get(f"/fhir/r4/$export?{query}", **ASYNC)
    assert response.status_code == 400, response.content
    issue = validate(response.json()).issue[0]
    assert all(word in issue.diagnostics for word in words), issue.diagnostics
    assert not bulk.jobs_dir().exists() or not any(bulk.jobs_dir().iterdir())


def test_only_a_clinic_admin_may_export_and_only_with_respond_async(demo):
    for username in ("demo-doctor", "demo-assistant", "other-doctor"):
        response = client_of(username).get("/fhir/r4/$export", **ASYNC)
        assert response.status_code == 403, username
        assert validate(response.json()).issue[0].code == "forbidden"
    assert Client().get("/fhir/r4/$export", **ASYNC).status_code == 401
    admin = client_of("demo-admin")
    response = admin.get("/fhir/r4/$export")
    assert response.status_code == 400 and "respond-async" in response.json()["issue"][0]["diagnostics"]
    assert admin.post("/fhir/r4/$export", **ASYNC).status_code == 405
    response = admin.get("/fhir/r4/$export", HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+xml")
    assert response.status_code == 400 and "Accept" in response.json()["issue"][0]["diagnostics"]
    assert not bulk.jobs_dir().exists() or not any(bulk.jobs_dir().iterdir())


def test_a_job_and_its_files_belong_to_the_user_who_started_it(demo):
    admin = client_of("demo-admin")
    status_url, manifest, _files = exported(admin)
    other_admin = client_of("other-admin")
    Membership.objects.create(user=get_user_model().objects.get(username="other-admin"), clinic=demo["demo"],
                              role=Role.ADMIN)
    assert other_admin.get(local(status_url)).status_code == 404
    assert other_admin.delete(local(status_url)).status_code == 404
    assert other_admin.get(local(manifest["output"][0]["url"])).status_code == 404
    assert admin.get(local(status_url)).status_code == 200


def test_every_export_is_audited_once_per_clinic_with_its_types_and_counts(demo):
    get_user_model()  # the admin of both clinics exports both; one event each
    admin = get_user_model().objects.get(username="demo-admin")
    Membership.objects.create(user=admin, clinic=demo["other"], role=Role.ADMIN)
    before = AuditEvent.objects.count()
    status_url, manifest, files = exported(client_of("demo-admin"), "/fhir/r4/$export?_type=Patient,Procedure")
    events = list(AuditEvent.objects.filter(action="export", object_type="fhir_bulk_export").order_by("id"))
    assert AuditEvent.objects.count() == before + 2 == before + len(events)
    job_id = urlsplit(status_url).path.rsplit("/", 1)[1]
    for event, clinic in zip(events, (demo["demo"], demo["other"])):
        assert (event.clinic, event.user, event.patient, event.object_id) == (clinic, admin, None, job_id)
        assert event.detail["level"] == "system" and event.source_ip == "127.0.0.1"
        assert event.detail["types"]["Patient"] == Patient.objects.filter(clinic=clinic).count()
    counts = {output["type"]: output["count"] for output in manifest["output"]}
    assert {name: sum(e.detail["types"].get(name, 0) for e in events) for name in counts} == counts
    assert object_label("fhir_bulk_export") == "FHIR bulk export"  # as the audit page names it
    patients = {r["id"] for r in files["Patient"]}
    assert patients == {str(pk) for pk in Patient.objects.filter(clinic__in=demo.values()).values_list("pk", flat=True)}


def test_a_running_export_answers_202_with_its_progress_and_a_dead_one_says_so(demo):
    admin = get_user_model().objects.get(username="demo-admin")
    client = client_of("demo-admin")
    job = bulk.create(user=admin, clinic_ids=[demo["demo"].pk], types=["Patient"], since=None, level="system",
                      request_url="http://testserver/fhir/r4/$export", base_url="http://testserver/fhir/r4",
                      client={})
    job.set_progress(written=12, current="Patient")
    response = client.get(f"/fhir/r4/$export-status/{job.id}")
    assert response.status_code == 202
    assert response["X-Progress"] == "12 resources written, now Patient" and response["Retry-After"]
    # A second export waits for the first.
    assert client.get("/fhir/r4/$export", **ASYNC).status_code == 429
    # No heartbeat for longer than STALE_AFTER: the thread died with its process.
    progress = job.path / "progress.json"
    data = json.loads(progress.read_text())
    progress.write_text(json.dumps({**data, "heartbeat": time.time() - bulk.STALE_AFTER.total_seconds() - 1}))
    response = client.get(f"/fhir/r4/$export-status/{job.id}")
    assert response.status_code == 500 and "start it again" in validate(response.json()).issue[0].diagnostics
    assert client.get(f"/fhir/r4/$export-status/{job.id}/x").status_code == 404


def test_a_failed_export_says_why_and_keeps_no_files(demo):
    """The clinic's admin role is taken away between the kick-off and the run: nothing is
    exported, the status says why; an export that fails after writing keeps no half files."""
    admin = get_user_model().objects.get(username="demo-admin")
    client = client_of("demo-admin")

    def new_job(clinic_ids):
        return bulk.create(user=admin, clinic_ids=clinic_ids, types=["Patient"], since=None, level="system",
                           request_url="http://testserver/fhir/r4/$export", base_url="http://testserver/fhir/r4",
                           client={})

    job = new_job([demo["demo"].pk])
    Membership.objects.filter(user=admin, clinic=demo["demo"]).update(role=Role.PRACTITIONER)
    bulk.run(job)
    assert job.state() == "error" and "no longer administer" in job.progress()["error"]
    assert client.get(f"/fhir/r4/$export-status/{job.id}").status_code == 404  # nor may they see it
    Membership.objects.filter(user=admin, clinic=demo["demo"]).update(role=Role.ADMIN)
    response = client.get(f"/fhir/r4/$export-status/{job.id}")
    assert response.status_code == 500 and "no longer administer" in validate(response.json()).issue[0].diagnostics
    # The Patient file was written, then the manifest could not be (a folder stands in its place): no file kept.
    job = new_job([demo["demo"].pk])
    (job.path / "manifest.json").mkdir()
    bulk.run(job)
    assert job.state() == "error" and "manifest.json" in job.progress()["error"]
    assert not list(job.path.glob("*.ndjson"))
    assert client.get(f"/fhir/r4/$export-status/{job.id}").status_code == 500


def test_a_cancelled_export_stops_leaves_no_files_and_no_audit_event(demo, settings):
    settings.SEGMENTA_FHIR_EXPORT_CHUNK = 1
    admin = get_user_model().objects.get(username="demo-admin")
    client = client_of("demo-admin")
    for cancel_before_it_starts in (True, False):
        job = bulk.create(user=admin, clinic_ids=[demo["demo"].pk], types=list(TYPES), since=None, level="system",
                          request_url="http://testserver/fhir/r4/$export", base_url="http://testserver/fhir/r4",
                          client={})
        if cancel_before_it_starts:
            assert client.delete(f"/fhir/r4/$export-status/{job.id}").status_code == 202
            bulk.run(job)
        else:
            # Cancelled while it runs: the next heartbeat finds the directory gone and stops.
            beats = []

            def cancel_on_the_third_chunk(written, current):
                beats.append(written)
                if len(beats) == 3:
                    assert client.delete(f"/fhir/r4/$export-status/{job.id}").status_code == 202
                job.set_progress(written=written, current=current)

            with pytest.raises(bulk.Cancelled):
                bulk.write_ndjson(job.path, [demo["demo"].pk], list(TYPES), heartbeat=cancel_on_the_third_chunk)
            assert len(beats) == 3
        assert not any(bulk.jobs_dir().iterdir())
    assert not AuditEvent.objects.filter(object_type="fhir_bulk_export").exists()


def test_finished_exports_are_removed_after_they_expire(demo):
    client = client_of("demo-admin")
    status_url, _manifest, _files = exported(client)
    job = bulk.Job(urlsplit(status_url).path.rsplit("/", 1)[1])
    progress = json.loads((job.path / "progress.json").read_text())
    (job.path / "progress.json").write_text(json.dumps(
        {**progress, "heartbeat": time.time() - bulk.KEEP_FOR.total_seconds() - 1}))
    assert client.get(local(status_url)).status_code == 404
    assert not job.path.exists()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
def test_chunked_reading_writes_every_row_once_whatever_the_chunk_size(demo, tmp_path, chunk):
    reference = tmp_path / "reference"
    reference.mkdir()
    bulk.write_ndjson(reference, [demo["demo"].pk], list(TYPES), chunk=100_000)
    out = tmp_path / f"chunk-{chunk}"
    out.mkdir()
    beats = []
    result = bulk.write_ndjson(out, [demo["demo"].pk], list(TYPES), chunk=chunk,
                               heartbeat=lambda written, current: beats.append(written))
    for path in reference.iterdir():
        assert (out / path.name).read_text() == path.read_text()
        ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
        assert len(ids) == len(set(ids)) == result.counts[path.stem]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in reference.iterdir())
    assert beats == sorted(beats) and beats[-1] == sum(result.counts.values())
    if chunk == 1:
        assert len(beats) >= sum(result.counts.values())


def test_the_command_line_writes_the_same_files(demo, tmp_path, settings):
    from django.core.management import call_command as call

    out = tmp_path / "cli"
    call("fhir", "export", "--clinic", "Demo Praxis", "--type", "Patient", "--type", "Procedure", "-o", str(out),
         stdout=open("/dev/null", "w"))
    reference = tmp_path / "reference"
    reference.mkdir()
    bulk.write_ndjson(reference, [demo["demo"].pk], ["Patient", "Procedure"])
    assert sorted(p.name for p in out.iterdir()) == ["Patient.ndjson", "Procedure.ndjson"]
    for path in reference.iterdir():
        assert (out / path.name).read_text() == path.read_text()
    event = AuditEvent.objects.get(object_type="fhir_bulk_export")
    assert event.clinic == demo["demo"] and event.detail["via"] == "cli"
    assert event.detail["types"]["Patient"] == Patient.objects.filter(clinic=demo["demo"]).count()


@pytest.mark.parametrize("args, words", [
    (["--clinic", "No Such Clinic", "-o", "{tmp}/x"], ["--clinic", "No Such Clinic"]),
    (["--clinic", "Demo Praxis", "--type", "Nonsense", "-o", "{tmp}/x"], ["--type", "Nonsense"]),
    (["--clinic", "Demo Praxis", "--since", "yesterday", "-o", "{tmp}/x"], ["--since"]),
    (["--clinic", "Demo Praxis", "-o", "{package}/exported"], ["-o", "inside the package"]),
    (["--clinic", "Demo Praxis", "-o", "{tmp}/not-empty"], ["-o", "not empty"]),
])
def test_the_command_line_refuses_bad_input_with_one_line_and_exit_2(demo, tmp_path, args, words):
    from django.core.management import call_command as call
    from django.core.management.base import CommandError

    (tmp_path / "not-empty").mkdir()
    (tmp_path / "not-empty" / "old.ndjson").write_text("{}\n")
    package = Path(__file__).resolve().parents[2]
    args = [a.format(tmp=tmp_path, package=package) for a in args]
    with pytest.raises(CommandError) as refused:
        call("fhir", "export", *args)
    assert refused.value.returncode == 2
    message = str(refused.value)
    assert "\n" not in message and all(word in message for word in words), message
    assert not (package / "exported").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite reads each chunk on its own (see bulk.py)")
def test_on_postgresql_the_files_are_the_state_when_the_export_began(demo, tmp_path):
    """A condition recorded and a patient renamed while the export runs (committed by another
    connection) are not in the files: every chunk reads the snapshot the export began with."""
    patients = list(Patient.objects.filter(clinic=demo["demo"]).order_by("pk"))
    changed = []

    def change_meanwhile(written, current):
        if changed:
            return

        def other_connection():
            try:
                Condition.objects.create(patient=patients[0], text="recorded during the export")
                Patient.objects.filter(pk=patients[-1].pk).update(family_name="Renamed")
            finally:
                connection.close()

        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join()
        changed.append(written)

    conditions_before = Condition.objects.filter(clinic=demo["demo"]).count()
    with bulk.snapshot():
        result = bulk.write_ndjson(tmp_path, [demo["demo"].pk], ["Patient", "Condition"], chunk=1,
                                   heartbeat=change_meanwhile)
    assert changed == [1]
    assert Patient.objects.get(pk=patients[-1].pk).family_name == "Renamed"
    names = [json.loads(line)["name"][0]["family"] for line in (tmp_path / "Patient.ndjson").read_text().splitlines()]
    assert names == [p.family_name for p in patients]
    texts = (tmp_path / "Condition.ndjson").read_text()
    assert "recorded during the export" not in texts
    assert result.counts["Condition"] == conditions_before + Complaint.objects.filter(clinic=demo["demo"]).count()


def test_the_capability_statement_can_declare_the_export(db):
    from segmenta.interop.fhir.capability import capability_statement

    statement = bulk.declare_in(capability_statement("http://testserver/fhir/r4"))
    validate(statement)
    # It adds to new lists, never to those the statement may share with the module's constants.
    again = bulk.declare_in(capability_statement("http://testserver/fhir/r4"))
    assert again == statement
    assert "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" in statement["instantiates"]
    rest = statement["rest"][0]
    assert [op["name"] for op in rest["operation"]].count("export") == 1
    resources = {resource["type"]: resource for resource in rest["resource"]}
    for name, definition in (("Patient", "patient-export"), ("Group", "group-export")):
        exports = [op for op in resources[name]["operation"] if op["name"] == "export"]
        assert [op["definition"] for op in exports] == [f"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/{definition}"]


def test_the_queries_follow_the_chunks_not_the_rows_and_name_the_clinic(demo, tmp_path):
    """Each chunk costs its query and a few prefetches (patients, clinic, a plan's sessions),
    never one query per row: the demo clinic in one chunk per table takes a handful of queries
    per table, however many rows it has."""
    from django.db import connection as default
    from django.test.utils import CaptureQueriesContext

    tables = [source for t in TYPES.values() for source in t.sources if bulk.is_table(source)]
    with CaptureQueriesContext(default) as queries:
        result = bulk.write_ndjson(tmp_path, [demo["demo"].pk], list(TYPES), chunk=100_000)
    rows = sum(result.counts.values())
    assert rows > 10 * len(tables)
    assert len(queries) <= 5 * len(tables), [q["sql"][:120] for q in queries]
    # Every query names the clinic (segmenta/accounts/scoping.py), the patients' prefetch too; only
    # the lastUpdated subquery into a table's change history does not (types.py, as for a search).
    unnamed = {table for q in queries for table in unscoped(q["sql"])}
    assert all(table.split("_", 1)[1].startswith("historical") for table in unnamed), unnamed


def test_the_command_exits_2_with_one_line_on_stderr(tmp_path):
    env = {"SEGMENTA_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "segmenta", "migrate", "-v", "0"], env=env, check=True, timeout=300)
    result = subprocess.run([sys.executable, "-m", "segmenta", "fhir", "export", "--clinic", "Nowhere",
                             "-o", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "--clinic" in result.stderr
    # A missing option: argparse's usage, then the one line naming it.
    result = subprocess.run([sys.executable, "-m", "segmenta", "fhir", "export", "--clinic", "Nowhere"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "-o" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "out").exists()


def without_segment_sides(fields):
    """History fields with the side of a body-map segment left out. KNOWN GAP (told to the
    lead): a segment's side ({"choir": 116, "side": "right"}) goes out only inside the
    segment's name (resources._sites) and comes back without it; everything else must match."""
    def plain(regions):
        return json.dumps([{k: v for k, v in region.items() if not ("choir" in region and k == "side")}
                           for region in json.loads(regions)], sort_keys=True)
    return sorted((kind, tooth, date, text, plain(regions), organs) for kind, tooth, date, text, regions, organs
                  in fields)


def test_a_clinic_exported_in_bulk_and_imported_elsewhere_has_the_same_charts(demo):
    """The round trip: the demo clinic's NDJSON files into a new clinic through the import
    (segmenta/interop/fhir/imports.py): every patient, with the same allergies, medications and
    weights, the history proposed as it was, and a second import adds nothing."""
    from segmenta.interop.fhir import imports
    from segmenta.interop.models import FieldProposal
    from segmenta.patients.models import HistoryItem

    from .test_fhir_import_http import _chart, _fields

    _s, manifest, _files = exported(client_of("demo-admin"))
    client = client_of("demo-admin")
    found = []
    for output in manifest["output"]:
        body = b"".join(client.get(local(output["url"])).streaming_content)
        found += imports.read_document(f"{output['type']}.ndjson", body)
    target = Clinic.objects.create(name="Next practice")
    report = imports.run_import(target, found)
    sources = list(Patient.objects.filter(clinic=demo["demo"]))
    assert report["refused"] == 0, report["details"]
    assert report["patients"] == len(sources) == Patient.objects.filter(clinic=target).count()
    for source in sources:
        copy = Patient.objects.get(clinic=target, family_name=source.family_name, given_name=source.given_name,
                                   birth_date=source.birth_date)
        theirs, ours = _chart(source), _chart(copy)
        for key in ("allergies", "medications", "weights"):
            assert ours[key] == theirs[key], (source, key)
        history = HistoryItem.objects.filter(patient=source, entered_in_error_at__isnull=True)
        assert without_segment_sides(_fields(FieldProposal.objects.filter(patient=copy))) == \
            without_segment_sides(_fields(history)), source
    again = imports.run_import(target, found)
    assert (again["imported"], again["proposed"]) == (0, 0)
