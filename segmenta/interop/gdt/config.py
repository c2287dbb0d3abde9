"""The GDT connection's configuration, from the environment (or Django settings of the same
name, which tests use):

- ``SEGMENTA_GDT_INBOX``: the folder the practice system writes its requests to
  (`segmenta gdt poll` reads it and moves each file to ``done/`` or ``failed/`` inside it);
- ``SEGMENTA_GDT_OUTBOX``: the folder Segmenta writes a 6310 result to when a session is
  signed (empty: none is written);
- ``SEGMENTA_GDT_PVS_ID``: the practice system's GDT id (8315 of what Segmenta writes,
  up to 8 characters; default ``PRAX_EDV``);
- ``SEGMENTA_GDT_OWN_ID``: Segmenta's GDT id (8316; default ``SEGMENTA``);
- ``SEGMENTA_GDT_CHARSET``: 1 (7-bit), 2 (IBM CP 437, the default) or 3 (ISO 8859-15);
- ``SEGMENTA_GDT_VERSION``: ``03.00`` (the default) or ``02.10`` for a system without objects;
- ``SEGMENTA_GDT_PROCEDURE``: the 8402 code of Segmenta's results (default ``ALLG00``);
- ``SEGMENTA_GDT_LANGUAGE``: the language of the result text (default ``de``).
"""

import dataclasses
import os
from pathlib import Path

from django.conf import settings

from . import format


class ConfigError(ValueError):
    """A setting that cannot work; ``name`` is the variable."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclasses.dataclass(frozen=True)
class Config:
    inbox: Path | None
    outbox: Path | None
    pvs_id: str
    own_id: str
    charset: str
    version: str
    procedure: str
    language: str


def _setting(name, default=""):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, "")
    value = str(value).strip()
    return value or default


def _gdt_id(name, default):
    value = _setting(name, default)
    if len(value) > 8 or not value.isprintable() or not value.isascii():
        raise ConfigError(name, f"{value!r} is not a GDT id (up to 8 printable ASCII characters)")
    return value


def _folder(name):
    value = _setting(name)
    if not value:
        return None
    folder = Path(value).expanduser()
    resolved = folder.resolve()
    if resolved == settings.PACKAGE_DIR or settings.PACKAGE_DIR in resolved.parents:
        raise ConfigError(name, f"{resolved} is inside the package {settings.PACKAGE_DIR}; choose a folder elsewhere")
    return folder


def outbox_configured():
    """Whether results are to be written at all (SEGMENTA_GDT_OUTBOX set)."""
    return bool(_setting("SEGMENTA_GDT_OUTBOX"))


def load():
    """The configuration now (read each time: a change needs no restart)."""
    charset = _setting("SEGMENTA_GDT_CHARSET", format.DEFAULT_CHARSET)
    if charset not in format.CHARSETS:
        raise ConfigError("SEGMENTA_GDT_CHARSET", f"{charset!r} is not 1 (7-bit), 2 (IBM CP 437) or 3 (ISO 8859-15)")
    version = _setting("SEGMENTA_GDT_VERSION", format.GDT_30)
    if version not in format.VERSIONS:
        raise ConfigError("SEGMENTA_GDT_VERSION", f"{version!r} is not {' or '.join(format.VERSIONS)}")
    language = _setting("SEGMENTA_GDT_LANGUAGE", "de")
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ConfigError("SEGMENTA_GDT_LANGUAGE", f"{language!r} is not a language Segmenta offers")
    procedure = _setting("SEGMENTA_GDT_PROCEDURE", "ALLG00")
    if len(procedure) > 60 or not procedure.isprintable():
        raise ConfigError("SEGMENTA_GDT_PROCEDURE", f"{procedure!r} is not a procedure code")
    return Config(inbox=_folder("SEGMENTA_GDT_INBOX"), outbox=_folder("SEGMENTA_GDT_OUTBOX"),
                  pvs_id=_gdt_id("SEGMENTA_GDT_PVS_ID", "PRAX_EDV"), own_id=_gdt_id("SEGMENTA_GDT_OWN_ID", "SEGMENTA"),
                  charset=charset, version=version, procedure=procedure, language=language)
