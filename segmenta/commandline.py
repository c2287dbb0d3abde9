"""What every `segmenta` command checks of its input the same way: a refusal is exit 2 with one
line on stderr, a clinic is named by its name, and nothing a command writes may land inside the
package tree (settings.py refuses a VAR_DIR there for the same reason)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError


def refuse(message):
    """The error a command raises for invalid input: exit 2, ``message`` on stderr."""
    return CommandError(message, returncode=2)


def clinic_named(name, option="--clinic"):
    from segmenta.accounts.models import Clinic

    clinic = Clinic.objects.filter(name=name).first()
    if clinic is None:
        raise refuse(f"{option}: no clinic named {name!r}")
    return clinic


def inside_package(path):
    """Is ``path`` (resolved) the package folder or anything below it?"""
    resolved = Path(path).expanduser().resolve()
    return resolved == settings.PACKAGE_DIR or settings.PACKAGE_DIR in resolved.parents
