"""Reading a case for the engines' commands: from a file or standard input, validated.

Every problem becomes a CommandError with exit code 2 and one line naming the field.
"""

import json
import sys

from django.core.management.base import CommandError

from segmenta import caseformat


def read_case(path):
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as error:
        raise CommandError(f"FILE: cannot read {path!r} ({error.strerror})", returncode=2) from None
    except UnicodeDecodeError:
        raise CommandError(f"FILE: {path!r} is not UTF-8 text", returncode=2) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"FILE: not JSON ({error.msg} at line {error.lineno} column {error.colno})",
                           returncode=2) from None
    try:
        return caseformat.validate(data)
    except caseformat.CaseError as error:
        raise CommandError(str(error), returncode=2) from None
