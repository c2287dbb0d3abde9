"""The exchange folders: results written into the outbox whole (a practice system never
sees half a file), requests read from the inbox and moved aside when done.

A result is named as practice systems expect, receiver then sender, four characters each
(``PRAXSEGM.gdt``); while an earlier one waits there unread, the next are numbered
(``PRAXSEGM.001`` …), the sequential form GDT allows, so no result overwrites another.
"""

import os
import time
from pathlib import Path

from . import format, patients, results

DONE, FAILED = "done", "failed"
# A request younger than this may still be being written by the practice system.
SETTLE_SECONDS = 2


def _short(gdt_id):
    return "".join(c for c in gdt_id.upper() if c.isalnum())[:4].ljust(4, "_")


def write_result(session, config, folder=None):
    """Write the session's 6310 record into ``folder`` (default: the outbox); its path.
    ResultError when the session cannot be sent, OSError when the folder cannot be written."""
    folder = Path(folder or config.outbox or "")
    if not str(folder) or not folder.is_dir():
        raise FileNotFoundError(f"the GDT outbox {str(folder)!r} is not a folder")
    data = results.record(session, config)
    stem = f"{_short(config.pvs_id)}{_short(config.own_id)}"
    names = [f"{stem}.gdt", *(f"{stem}.{n:03d}" for n in range(1, 1000))]
    partial = folder / f".{stem}.{os.getpid()}.partial"
    partial.write_bytes(data)
    try:
        for name in names:
            target = folder / name
            try:
                os.link(partial, target)  # fails if the name is taken: nothing is overwritten
            except FileExistsError:
                continue
            except OSError:  # a share without hard links: claim the name, then fill it
                try:
                    with open(target, "xb") as claimed:
                        claimed.write(data)
                except FileExistsError:
                    continue
            return target
        raise FileExistsError(f"999 results wait unread in {folder}")
    finally:
        partial.unlink(missing_ok=True)


def write_file(session, config, path):
    """Write the 6310 record to ``path`` (the command line's -o), whole or not at all."""
    path = Path(path)
    data = results.record(session, config)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def requests(inbox, now=None):
    """The request files waiting in ``inbox``, oldest first (hidden and fresh files aside)."""
    now = time.time() if now is None else now
    found = [p for p in Path(inbox).iterdir()
             if p.is_file() and not p.name.startswith(".") and now - p.stat().st_mtime >= SETTLE_SECONDS]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def _move(path, where):
    folder = path.parent / where
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    return target


def poll(clinic, config, now=None):
    """Read every waiting request of ``config.inbox`` for ``clinic``: [(file, patient or
    None, how or the error)], each file moved to done/ or failed/ (with the error beside it)."""
    if config.inbox is None or not Path(config.inbox).is_dir():
        raise FileNotFoundError(f"the GDT inbox {str(config.inbox or '')!r} is not a folder")
    found = []
    for path in requests(config.inbox, now):
        try:
            parsed = format.check_receiver(format.parse(path.read_bytes()), config.own_id)
            patient, how, _notes = patients.open_or_create(clinic, parsed, source=path.name)
        except format.GdtError as error:
            moved = _move(path, FAILED)
            moved.with_name(moved.name + ".error.txt").write_text(str(error) + "\n", encoding="utf-8")
            found.append((path.name, None, str(error)))
            continue
        _move(path, DONE)
        found.append((path.name, patient, how))
    return found
