"""Reading a case for the engines' commands: from a file or standard input, validated.

Every problem becomes a CommandError with exit code 2 and one line naming the field.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from pydantic_core import to_json

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
        parser.add_argument("--indent", type=int, metavar="N",
                            help="indent the JSON by N spaces (0: one line); default 2 on a terminal, "
                                 "one line when the output goes to a file or a program")

    def handle(self, *args, file, indent=None, **options):
        from segmenta.knowledge.base import load

        if indent is not None and not 0 <= indent <= 8:
            raise CommandError(f"--indent: {indent} is not between 0 and 8", returncode=2)
        result = self.engine(read_case(file), load())
        if indent is None:
            indent = 2 if self.stdout.isatty() else 0
        # One line is what programs read, and pydantic-core writes it several times faster
        # than Python's json (byte for byte the same as json.dumps(..., separators=(",", ":"))).
        self.stdout.write(json.dumps(result, indent=indent, ensure_ascii=False) if indent
                          else to_json(result).decode())
