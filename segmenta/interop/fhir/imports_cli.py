"""`segmenta fhir import --clinic NAME PATH…`: FHIR Bundles, resources and NDJSON files (or
folders of them) into a clinic's charts (segmenta/interop/fhir/imports.py). Prints the report
as JSON: ``patients``, ``imported``, ``proposed``, ``refused`` and the ``details``. A missing
path, an unknown clinic or a file that is no FHIR JSON at all exits 2 with one line; a
resource that cannot be read is refused in the report and the rest goes through."""

import json
from pathlib import Path

from segmenta.commandline import clinic_named, refuse

from ..models import ImportRun
from . import imports

HELP = ("Import FHIR R4 records (Bundles, resources, NDJSON files or folders of them) into a clinic; "
        "candidate interference fields are proposed, never entered unseen.")
SUFFIXES = (".json", ".ndjson")


def add_arguments(parser):
    parser.add_argument("--clinic", required=True, metavar="NAME", help="the clinic's name")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a .json or .ndjson file, or a folder of them")


def files_of(paths):
    """The files named and the .json/.ndjson files inside the folders named, in name order."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
            if not inside:
                raise refuse(f"{raw}: no .json or .ndjson file in this folder")
            found += inside
        elif path.is_file():
            found.append(path)
        else:
            raise refuse(f"{raw}: no such file or folder")
    return found


def handle(command, options):
    clinic = clinic_named(options["clinic"])
    found = []
    paths = files_of(options["paths"])
    for path in paths:
        try:
            found += imports.read_document(str(path), path.read_bytes())
        except (imports.Unreadable, UnicodeDecodeError) as error:
            raise refuse(str(error) if isinstance(error, imports.Unreadable) else f"{path}: not UTF-8 text") from None
    report = imports.run_import(clinic, found, via=ImportRun.Via.CLI, files=", ".join(p.name for p in paths))
    command.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
