"""`segmenta fhir export --clinic NAME [--type TYPE ...] [--since INSTANT] -o DIR`: the same
NDJSON files as the HTTP export (segmenta/interop/fhir/bulk.py), written in the foreground
into DIR (new or empty, outside the package), for exports too large for a web worker's
thread or run on a schedule. Audited as the HTTP export is (one event for the clinic,
``via: cli``). Prints a manifest-like JSON summary: the files with their counts, and the types only the HTTP export
writes (``not_exported_here``: the questionnaires, which are listed for a user, not a clinic)."""

import json
import uuid
from pathlib import Path

from django.conf import settings

from segmenta.commandline import clinic_named, inside_package, refuse

from . import bulk
from .params import BadParameter

HELP = "Write a clinic's records as FHIR NDJSON files, one per resource type (Bulk Data export)."


def add_arguments(parser):
    parser.add_argument("--clinic", required=True, metavar="NAME", help="the clinic's name")
    parser.add_argument("--type", action="append", default=[], metavar="TYPE",
                        help="a resource type (repeat or separate by commas; default: every type)")
    parser.add_argument("--since", metavar="INSTANT",
                        help="only resources changed after this instant (e.g. 2026-01-31T08:00:00Z)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="a new or empty folder")


def _output(raw):
    directory = Path(raw).resolve()
    if inside_package(directory):
        raise refuse(f"-o: {directory} is inside the package {settings.PACKAGE_DIR}; choose a folder elsewhere")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise refuse(f"-o: {directory} is not empty (or not a folder); give a new or empty folder")
    return directory


def handle(command, options):
    clinic = clinic_named(options["clinic"])
    try:
        types = bulk.read_types(options["type"], "system", "--type")
        since = bulk.read_since(options["since"], "--since")
    except BadParameter as error:
        raise refuse(str(error)) from None
    directory = _output(options["output"])
    directory.mkdir(parents=True, exist_ok=True)
    with bulk.snapshot():
        result = bulk.write_ndjson(directory, [clinic.pk], types, since=since)
    bulk.audit([clinic.pk], result, level="system", since=since, job_id=uuid.uuid4().hex,
               username="cli: segmenta fhir export", via="cli")
    summary = {"clinic": clinic.name, "output": [{"type": name, "file": str(result.files[name]),
                                                  "count": result.counts[name]}
                                                 for name in types if name in result.files],
               "errors": result.errors, "restricted_left_out": sum(result.restricted.values()),
               "not_exported_here": result.skipped}
    command.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
