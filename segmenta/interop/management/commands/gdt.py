"""`segmenta gdt SUBCOMMAND`: the GDT connection to a German practice system.

- ``read --clinic NAME FILE``: open or create the patient a request (6301, 6302, 6311)
  names; prints the patient's id (and, on standard error, where the chart and the request
  disagree);
- ``write SESSION_ID -o FILE``: the 6310 result of a signed session;
- ``poll --clinic NAME [--inbox FOLDER]``: read every request waiting in the inbox
  (SEGMENTA_GDT_INBOX), moving each to done/ or failed/; prints one line per file.

Invalid input exits 2 with one line on standard error naming the line and field.
"""

import dataclasses
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from segmenta.audit.trail import record
from segmenta.commandline import clinic_named, inside_package, refuse
from segmenta.interop.gdt import config, folders, format, patients, results
from segmenta.treatment.models import Session


def _config():
    try:
        return config.load()
    except config.ConfigError as error:
        raise refuse(str(error)) from None


def _outside_package(path, option):
    resolved = Path(path).resolve()
    if inside_package(resolved):
        raise refuse(f"{option}: {resolved} is inside the package {settings.PACKAGE_DIR}; choose a place elsewhere")
    return resolved


class Command(BaseCommand):
    help = "GDT 3.0 with the practice system: read a request, write a session's result, poll the inbox."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        read = sub.add_parser("read", help="open or create the patient of a request file; prints the patient's id")
        read.add_argument("--clinic", required=True, metavar="NAME")
        read.add_argument("file", metavar="FILE")
        write = sub.add_parser("write", help="write the 6310 result of a signed session")
        write.add_argument("session_id", metavar="SESSION_ID")
        write.add_argument("-o", "--output", required=True, metavar="FILE")
        poll = sub.add_parser("poll", help="read the requests waiting in the inbox")
        poll.add_argument("--clinic", required=True, metavar="NAME")
        poll.add_argument("--inbox", metavar="FOLDER", help="instead of SEGMENTA_GDT_INBOX")

    def handle(self, *args, subcommand, **options):
        getattr(self, f"_{subcommand}")(**options)

    def _read(self, clinic, file, **options):
        clinic = clinic_named(clinic)
        own_id = _config().own_id
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise refuse(f"FILE: cannot read {file!r} ({error.strerror})") from None
        try:
            parsed = format.check_receiver(format.parse(data), own_id)
            patient, _how, notes = patients.open_or_create(clinic, parsed, source=Path(file).name)
        except format.GdtError as error:
            raise refuse(f"{file}: {error}") from None
        for note in notes:
            self.stderr.write(f"{file}: {note}")
        self.stdout.write(str(patient.pk))

    def _write(self, session_id, output, **options):
        if not session_id.isdigit():
            raise refuse(f"SESSION_ID: {session_id!r} is not a session id")
        session = Session.objects.filter(pk=int(session_id)).first()
        if session is None:
            raise refuse(f"SESSION_ID: no session {session_id}")
        target = _outside_package(output, "-o")
        if not target.parent.is_dir():
            raise refuse(f"-o: the folder {str(target.parent)!r} does not exist")
        try:
            with transaction.atomic():
                folders.write_file(session, _config(), target)
                record("export", patient=session.patient, obj=session,
                       detail={"gdt": target.name, "record_type": format.RESULT, "via": "cli"})
        except results.ResultError as error:
            raise refuse(str(error)) from None
        except OSError as error:
            raise refuse(f"-o: cannot write {output!r} ({error.strerror})") from None
        self.stdout.write(str(target))

    def _poll(self, clinic, inbox=None, **options):
        clinic = clinic_named(clinic)
        settings_now = _config()
        if inbox:
            settings_now = dataclasses.replace(settings_now, inbox=Path(inbox))
        try:
            found = folders.poll(clinic, settings_now)
        except OSError as error:
            raise refuse(f"--inbox: {error}") from None
        failed = 0
        for name, patient, how in found:
            if patient is None:
                failed += 1
                self.stderr.write(f"{name}: {how}")
            else:
                self.stdout.write(f"{name}: patient {patient.pk} ({how})")
        if failed:
            sys.exit(2)
