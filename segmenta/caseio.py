"""Reading a case for the engines' commands: from a file or standard input, validated.

Every problem becomes a CommandError with exit code 2 and one line naming the field.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from segmenta import caseformat


def read_json(path):
    """JSON from a file or standard input (``-``); CommandError (exit 2) when unreadable."""
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as error:
        raise CommandError(f"FILE: cannot read {path!r} ({error.strerror})", returncode=2) from None
    except UnicodeDecodeError:
        raise CommandError(f"FILE: {path!r} is not UTF-8 text", returncode=2) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"FILE: not JSON ({error.msg} at line {error.lineno} column {error.colno})",
                           returncode=2) from None


def read_case(path):
    data = read_json(path)
    try:
        return caseformat.validate(data)
    except caseformat.CaseError as error:
        raise CommandError(str(error), returncode=2) from None


class EngineCommand(BaseCommand):
    """`segmenta ENGINE FILE`: read a case, run one pure engine, print its JSON."""

    def engine(self, case, kb):
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="a case file, or - for standard input")

    def handle(self, *args, file, **options):
        from segmenta.knowledge.base import load

        self.stdout.write(json.dumps(self.engine(read_case(file), load()), indent=2, ensure_ascii=False))
