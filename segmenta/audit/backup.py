"""Backup and restore of a whole installation: the database, the uploads and a manifest.

A backup is a directory:

- ``database.sqlite3`` (SQLite's online backup API) or ``database.pgdump`` (``pg_dump
  --format=custom``), taken from one consistent snapshot of the database;
- ``uploads/…``, every file under MEDIA_ROOT;
- ``secret_key``, only when asked for, and only in an encrypted backup;
- ``manifest.json``: format version, Segmenta version, when, the database vendor, the last
  applied migration of each app and the row count of every table, read inside the same
  snapshot as the database copy; the audit trail's anchor (``trail.anchor()``, taken just
  before the snapshot: all it vouches for is in the copy); the SHA-256 of every file.

With a passphrase every file but the manifest is encrypted: scrypt turns the passphrase
and a random salt into a master key; each file gets its own key from it (HKDF-SHA256 with a
random salt and the file's name, so files cannot be swapped) and is sealed in 64 KiB chunks
with AES-256-GCM, each chunk's nonce its number and whether it is the last (the STREAM
construction: chunks cannot be reordered, and a cut-off file is found). The manifest holds
the salts and parameters, never a key, and an HMAC-SHA256 under a second key from the
passphrase, which tells a wrong passphrase before anything is written.

Restore goes only into an empty database and an empty MEDIA_ROOT, checks every file's
hash first, then compares the row counts, verifies the audit trail and checks it against
the anchor taken with the backup. Nothing here imports the apps above the audit trail: the
tables are counted as the database lists them.
"""

import base64
import glob
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from segmenta.audit.trail import anchor, record, verify, verify_anchor

FORMAT = "segmenta-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
UPLOADS = "uploads"
SECRET_KEY_FILE = "secret_key"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PASSPHRASE_ENV = "SEGMENTA_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 12

CHUNK = 64 * 1024
TAG = 16
MAGIC = b"segmenta-backup aes-256-gcm stream 1\n"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
BLOCK = 1024 * 1024


class BadInput(Exception):
    """Invalid input or a refusal: the command exits 2 and nothing is written."""


class Failed(Exception):
    """The backup is damaged or the restore does not match it: the command exits 1."""


# --- Passphrase and keys -------------------------------------------------------------

def read_passphrase(path):
    """The passphrase from ``path`` (its first line), else from SEGMENTA_BACKUP_PASSPHRASE, else None."""
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise BadInput(f"--passphrase-file: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        passphrase = text.splitlines()[0] if text.splitlines() else ""
        where = "--passphrase-file"
    else:
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase is None:
            return None
        where = PASSPHRASE_ENV
    if len(passphrase) < MIN_PASSPHRASE:
        raise BadInput(f"{where}: the passphrase must be at least {MIN_PASSPHRASE} characters")
    return passphrase


def add_passphrase_argument(parser, purpose):
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help=f"{purpose}: the passphrase on the file's first line (or set {PASSPHRASE_ENV})")


class Keys:
    """The two keys scrypt derives from a passphrase: one encrypts files, one signs the manifest."""

    def __init__(self, passphrase, params):
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        salt = base64.b64decode(params["salt"])
        derived = Scrypt(salt=salt, length=64, n=params["n"], r=params["r"], p=params["p"]).derive(
            passphrase.encode("utf-8"))
        self.files, self.manifest = derived[:32], derived[32:]
        self.params = params

    @classmethod
    def new(cls, passphrase):
        return cls(passphrase, {"kdf": "scrypt", **SCRYPT, "salt": base64.b64encode(os.urandom(16)).decode()})

    def sign(self, manifest):
        body = {key: value for key, value in manifest.items() if key != "mac"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return hmac.new(self.manifest, text, hashlib.sha256).hexdigest()

    def _aead(self, salt, name):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                   info=b"segmenta-backup file " + name.encode("utf-8")).derive(self.files)
        return AESGCM(key)

    def encrypting(self, name, out):
        salt = os.urandom(16)
        out.write(MAGIC + salt)
        return _Sealer(self._aead(salt, name), out)

    def decrypt(self, name, source):
        """Yield the plain chunks of the stored file ``source`` (a binary file); Failed if changed."""
        from cryptography.exceptions import InvalidTag

        header = source.read(len(MAGIC) + 16)
        if len(header) != len(MAGIC) + 16 or not header.startswith(MAGIC):
            raise Failed(f"{name}: not an encrypted backup file")
        aead = self._aead(header[len(MAGIC):], name)
        counter = 0
        chunk = source.read(CHUNK + TAG)
        while True:
            following = source.read(CHUNK + TAG)
            try:
                yield aead.decrypt(_nonce(counter, not following), chunk, None)
            except InvalidTag:
                raise Failed(f"{name}: does not decrypt (changed, cut short or reordered)") from None
            if not following:
                return
            chunk, counter = following, counter + 1


def _nonce(counter, last):
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _Sealer:
    """Writes AES-GCM chunks; the last one is marked, so a file cut short does not decrypt."""

    def __init__(self, aead, out):
        self.aead, self.out, self.buffer, self.counter = aead, out, b"", 0

    def write(self, data):
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(self.buffer[:CHUNK], last=False)
            self.buffer = self.buffer[CHUNK:]

    def close(self):
        self._seal(self.buffer, last=True)

    def _seal(self, plain, last):
        self.out.write(self.aead.encrypt(_nonce(self.counter, last), plain, None))
        self.counter += 1


class _Raw:
    """The bytes that land on disk, hashed as they go."""

    def __init__(self, path):
        self.file = _private(path)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.file.write(data)
        self.digest.update(data)
        self.size += len(data)


class _Stored:
    """One file being written into the backup: plain data in, encrypted (if keys) and hashed on disk."""

    def __init__(self, root, name, keys):
        self.name = name
        (root / name).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.raw = _Raw(root / name)
        self.plain = hashlib.sha256()
        self.out = keys.encrypting(name, self.raw) if keys else self.raw

    def write(self, data):
        self.plain.update(data)
        self.out.write(data)

    def close(self):
        if self.out is not self.raw:
            self.out.close()
        self.raw.file.close()
        return {"sha256": self.raw.digest.hexdigest(), "bytes": self.raw.size}


def _private(path):
    """A new file only its owner can read: a backup holds patient data."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


# --- What the database holds -----------------------------------------------------------

def tables():
    """Every table of the database, by name."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def row_counts():
    """Rows per table, for every table there is (the models' and any other, such as migrations)."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tables():
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def last_migrations():
    """The last applied migration of each app."""
    last = {}
    for app, name in MigrationRecorder(connection).migration_qs.order_by("app", "name").values_list("app", "name"):
        last[app] = name
    return last


def _state(kept):
    """What the manifest says of the database, read inside the snapshot the copy comes from."""
    checked, problems = verify()
    return {"migrations": last_migrations(), "rows": row_counts(),
            "audit": {"anchor": kept, "verified_events": checked, "problems_at_backup": len(problems)}}


# --- PostgreSQL tools ------------------------------------------------------------------

def pg_tool(name):
    """``pg_dump`` or ``pg_restore``: from PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda path: [int(part) if part.isdigit() else 0 for part in Path(path).parts])
    if not candidates:
        raise BadInput(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin (install the PostgreSQL client)")
    return candidates[-1]


def pg_environment():
    """The connection settings for the PostgreSQL tools, through libpq's variables (never the command line)."""
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for setting, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                              ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if db.get(setting):
            env[variable] = str(db[setting])
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                             ("sslkey", "PGSSLKEY"), ("passfile", "PGPASSFILE"), ("service", "PGSERVICE")):
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


# --- Backup ----------------------------------------------------------------------------

def backup(dest, passphrase=None, include_secret_key=False):
    """Write a backup into the new directory ``dest``; return its manifest."""
    vendor = connection.vendor
    if vendor not in DATABASE_FILES:
        raise BadInput(f"backup supports SQLite and PostgreSQL, not {vendor}")
    if include_secret_key and passphrase is None:
        raise BadInput("--include-secret-key needs an encrypted backup (--passphrase-file or "
                       f"{PASSPHRASE_ENV}): the key must never lie in a backup in the clear")
    if "audit_auditevent" not in tables():
        raise BadInput("the database holds no Segmenta tables (never migrated?): nothing to back up")
    dest = Path(dest).absolute()
    if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
        raise BadInput(f"{dest} already exists and is not an empty directory; give a new backup directory")
    media = Path(settings.MEDIA_ROOT).resolve()
    package = Path(__file__).resolve().parents[1]
    for inside, what in ((media, "MEDIA_ROOT"), (package, "the Segmenta package")):
        if dest.resolve() == inside or inside in dest.resolve().parents:
            raise BadInput(f"{dest} lies inside {what} ({inside}); put the backup elsewhere")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        keys = Keys.new(passphrase) if passphrase is not None else None
        files = {}
        name = DATABASE_FILES[vendor]
        stored = _Stored(work, name, keys)
        try:
            # The anchor is taken (and committed, should taking it write) just before the
            # snapshot: everything it vouches for is in the copy, which may hold a few events more.
            kept = anchor()
            state = _copy_sqlite(stored, kept) if vendor == "sqlite" else _dump_postgresql(stored, kept)
        finally:
            files[name] = stored.close()
        uploads = {}
        for path in _upload_files(media):
            relative = path.relative_to(media).as_posix()
            stored = _Stored(work, f"{UPLOADS}/{relative}", keys)
            with open(path, "rb") as source:
                while block := source.read(BLOCK):
                    stored.write(block)
            files[stored.name] = stored.close()
            uploads[relative] = {"sha256": stored.plain.hexdigest(), "bytes": path.stat().st_size}
        if include_secret_key:
            stored = _Stored(work, SECRET_KEY_FILE, keys)
            stored.write(settings.SECRET_KEY.encode("utf-8"))
            files[SECRET_KEY_FILE] = stored.close()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "segmenta_version": metadata.version("segmenta"),
            "created_at": timezone.now().isoformat(),
            "database": {"vendor": vendor, "file": DATABASE_FILES[vendor]},
            **state,
            "uploads": uploads,
            "secret_key_included": include_secret_key,
            "files": files,
            "encryption": None if keys is None else {
                "cipher": "AES-256-GCM", "chunk_bytes": CHUNK, "file_keys": "HKDF-SHA256(salt in each file, name)",
                "manifest_mac": "HMAC-SHA256", **keys.params},
        }
        if keys is not None:
            manifest["mac"] = keys.sign(manifest)
        with _private(work / MANIFEST) as out:
            out.write((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        if dest.exists():
            dest.rmdir()
        work.rename(dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    # A backup holds every patient's data: the trail says when one was written, and where.
    record("export", username="cli: segmenta backup", object_type="backup", object_id=dest.name, detail={
        "destination": str(dest), "encrypted": keys is not None, "secret_key_included": include_secret_key,
        "uploads": len(uploads), "manifest_sha256": sha256_of(dest / MANIFEST)})
    return manifest


def _upload_files(media):
    if not media.is_dir():
        return []
    return sorted(path for path in media.rglob("*") if path.is_file() and not path.is_symlink())


def _copy_sqlite(stored, kept):
    """SQLite's online backup API, read inside one read transaction with the counts and the check."""
    if connection.in_atomic_block:
        raise BadInput("backup cannot run inside a transaction")
    connection.ensure_connection()
    raw = connection.connection
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR, prefix=".backup-") as scratch:
        copy_path = Path(scratch) / "copy.sqlite3"
        raw.execute("BEGIN DEFERRED")
        try:
            raw.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # the read snapshot starts here
            copy = sqlite3.connect(copy_path)
            try:
                raw.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # a single file, readable read-only
            finally:
                copy.close()
            state = _state(kept)
        finally:
            raw.execute("ROLLBACK")
        with open(copy_path, "rb") as source:
            while block := source.read(BLOCK):
                stored.write(block)
    return state


def _dump_postgresql(stored, kept):
    """pg_dump from a snapshot this connection exports, so the dump and the counts agree."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _run_tool("pg_dump", ["--format=custom", f"--snapshot={snapshot}"], sink=stored)
        return _state(kept)


def _run_tool(name, args, sink=None, feed=None):
    """Run pg_dump or pg_restore, its output into ``sink`` or its input from ``feed`` (blocks of bytes)
    while its error output drains aside; Failed with its last line of errors when it fails."""
    process = subprocess.Popen([pg_tool(name), "--no-password", *args], env=pg_environment(),
                               stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE if sink is not None else subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    with tempfile.TemporaryFile() as errors:
        drain = threading.Thread(target=shutil.copyfileobj, args=(process.stderr, errors))
        drain.start()
        try:
            if sink is not None:
                while block := process.stdout.read(BLOCK):
                    sink.write(block)
            if feed is not None:
                try:
                    for block in feed:
                        process.stdin.write(block)
                    process.stdin.close()
                except BrokenPipeError:
                    pass  # the tool stopped early; its exit code and errors say why
        except BaseException:
            process.kill()
            raise
        finally:
            process.wait()
            drain.join()
        if process.returncode != 0:
            errors.seek(0)
            lines = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
            raise Failed(f"{name} failed (exit {process.returncode}): {lines[-1] if lines else 'no message'}")


# --- Restore ---------------------------------------------------------------------------

def read_manifest(src):
    src = Path(src)
    if not src.is_dir():
        raise BadInput(f"{src}: no such backup directory")
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{src}: no {MANIFEST} (not a Segmenta backup)") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BadInput(f"{src / MANIFEST}: unreadable ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadInput(f"{src / MANIFEST}: not a Segmenta backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BadInput(f"{src / MANIFEST}: format version {manifest.get('format_version')!r}; "
                       f"this Segmenta reads version {FORMAT_VERSION}")
    shapes = {"database": dict, "files": dict, "uploads": dict, "rows": dict, "migrations": dict, "audit": dict}
    for key, kind in shapes.items():
        if not isinstance(manifest.get(key), kind):
            raise BadInput(f"{src / MANIFEST}: {key}: missing or malformed")
    for name in [*manifest["files"], *(f"{UPLOADS}/{path}" for path in manifest["uploads"])]:
        if not _safe_name(name):
            raise BadInput(f"{src / MANIFEST}: files: {name!r} is not a plain relative path")
    for path, upload in manifest["uploads"].items():
        if not isinstance(upload, dict) or f"{UPLOADS}/{path}" not in manifest["files"]:
            raise BadInput(f"{src / MANIFEST}: uploads: {path!r} is not listed under files")
    return manifest


def _safe_name(name):
    path = PurePosixPath(name)
    return (isinstance(name, str) and name and not path.is_absolute() and ".." not in path.parts
            and "\\" not in name and "\x00" not in name and str(path) == name)


def _keys_for(manifest, passphrase):
    encryption = manifest.get("encryption")
    if encryption is None:
        return None
    if passphrase is None:
        raise BadInput(f"the backup is encrypted: give its passphrase (--passphrase-file FILE or {PASSPHRASE_ENV})")
    try:
        params = {key: encryption[key] for key in ("kdf", "n", "r", "p", "salt")}
        # An unsigned manifest must not make scrypt take all memory: at most what backups use, times eight.
        if params["kdf"] != "scrypt" or not (params["n"] <= 2**20 and params["r"] <= 8 and params["p"] <= 4):
            raise ValueError("unsupported key derivation parameters")
        keys = Keys(passphrase, params)
    except (KeyError, TypeError, ValueError) as error:
        raise BadInput(f"{MANIFEST}: encryption: malformed ({error})") from None
    if not hmac.compare_digest(str(manifest.get("mac", "")), keys.sign(manifest)):
        raise BadInput("wrong passphrase (or the manifest was changed): nothing restored")
    return keys


def check_files(src, manifest):
    """Problems with the stored files: missing, changed (hash) or not listed."""
    src = Path(src)
    problems = []
    for name, expected in sorted(manifest["files"].items()):
        path = src / name
        if not path.is_file():
            problems.append(f"{name}: missing from the backup")
        elif not isinstance(expected, dict) or sha256_of(path) != expected.get("sha256"):
            problems.append(f"{name}: its SHA-256 differs from the manifest's (the file was changed)")
    listed = set(manifest["files"]) | {MANIFEST}
    for path in sorted(src.rglob("*")):
        if path.is_file() and path.relative_to(src).as_posix() not in listed:
            problems.append(f"{path.relative_to(src).as_posix()}: in the backup but not in its manifest")
    return problems


def _database_file(manifest):
    vendor = manifest["database"].get("vendor")
    name = DATABASE_FILES.get(vendor)
    if name is None or manifest["database"].get("file") != name or name not in manifest["files"]:
        raise BadInput(f"{MANIFEST}: database: expected a SQLite or PostgreSQL copy listed under files")
    return name


def check(src, passphrase=None):
    """Read a backup through without restoring anything: every file's hash, every encrypted
    chunk, every upload's content and the database copy (SQLite's quick check, or pg_restore
    listing the archive). Returns (summary lines, problems)."""
    src = Path(src)
    manifest = read_manifest(src)
    keys = _keys_for(manifest, passphrase)
    name = _database_file(manifest)
    problems = check_files(src, manifest)
    if problems:
        return [], problems
    for relative, expected in sorted(manifest["uploads"].items()):
        digest = hashlib.sha256()
        with open(src / UPLOADS / relative, "rb") as source:
            for block in _plain_blocks(source, f"{UPLOADS}/{relative}", keys):
                digest.update(block)
        if digest.hexdigest() != expected.get("sha256"):
            problems.append(f"upload {relative}: its content differs from the manifest's")
    if manifest["database"]["vendor"] == "sqlite":
        with _sqlite_copy(src / name, name, keys, settings.VAR_DIR) as copy:
            tables = copy.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        database = f"the SQLite copy passes its quick check ({tables} tables)"
    else:
        with open(src / name, "rb") as source:
            for _block in _plain_blocks(source, name, keys):
                pass  # every chunk decrypts
        with open(src / name, "rb") as source:
            _run_tool("pg_restore", ["--list"], feed=_plain_blocks(source, name, keys))
        database = "pg_restore reads the PostgreSQL archive"
    summary = [f"backup {src} made {manifest.get('created_at')} by Segmenta {manifest.get('segmenta_version')}: "
               f"{len(manifest['files'])} files match their hashes{' and decrypt' if keys else ''}, "
               f"{len(manifest['uploads'])} uploads, {database}; nothing restored"]
    return summary, problems


def _target_is_empty():
    names = tables()
    counts = row_counts()
    full = {table: count for table, count in counts.items() if count}
    if full:
        raise BadInput(f"the database is not empty ({sum(full.values())} rows in {len(full)} tables"
                       f"{', migrations applied' if full.get('django_migrations') else ''}); "
                       "restore only into a new, empty database: nothing restored")
    if names and connection.vendor == "postgresql":
        raise BadInput(f"the database already holds {len(names)} tables (empty); restore into a newly created "
                       "database: nothing restored")


def restore(src, passphrase=None):
    """Restore the backup in ``src`` into this installation's empty database and MEDIA_ROOT.

    Returns (summary lines, problems); problems are sentences naming what differs."""
    src = Path(src)
    manifest = read_manifest(src)
    vendor = manifest["database"].get("vendor")
    if vendor != connection.vendor:
        raise BadInput(f"the backup was made on {vendor}, this installation uses {connection.vendor}; "
                       "restore onto the same database engine (cross-engine restore is not supported)")
    keys = _keys_for(manifest, passphrase)
    database_file = _database_file(manifest)
    _target_is_empty()
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(path.is_file() for path in media.rglob("*")):
        raise BadInput(f"MEDIA_ROOT ({media}) already holds files; restore into an empty one: nothing restored")
    damaged = check_files(src, manifest)
    if damaged:
        raise Failed("the backup is damaged, nothing restored:\n" + "\n".join(damaged))

    if vendor == "sqlite":
        _restore_sqlite(src / database_file, database_file, keys)
    else:
        _restore_postgresql(src / database_file, database_file, keys)
    for relative in sorted(manifest["uploads"]):
        name = f"{UPLOADS}/{relative}"
        target = media / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(src / name, "rb") as source, open(target, "xb") as out:
            for block in _plain_blocks(source, name, keys):
                out.write(block)
    summary, problems = _compare(manifest, media, keys, src)
    if not problems:
        # After the check, so the counts compared are the backup's own.
        record("create", username="cli: segmenta restore", object_type="restore", object_id=src.name, detail={
            "source": str(src.absolute()), "backup_created_at": manifest.get("created_at"),
            "manifest_sha256": sha256_of(src / MANIFEST)})
    return summary, problems


def _plain_blocks(source, name, keys):
    if keys is None:
        while block := source.read(BLOCK):
            yield block
    else:
        yield from keys.decrypt(name, source)


@contextmanager
def _sqlite_copy(stored, name, keys, beside):
    """The stored SQLite copy opened read-only (decrypted first into a scratch folder in
    ``beside`` if need be), after SQLite's own quick check."""
    with tempfile.TemporaryDirectory(dir=beside, prefix=".restore-") as scratch:
        plain = stored
        if keys is not None:
            plain = Path(scratch) / "copy.sqlite3"
            with open(stored, "rb") as source, _private(plain) as out:
                for block in keys.decrypt(name, source):
                    out.write(block)
        copy = sqlite3.connect(f"{plain.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise Failed(f"{name}: SQLite finds the copied database damaged")
            yield copy
        except sqlite3.DatabaseError as error:
            raise Failed(f"{name}: not a readable SQLite database ({error})") from None
        finally:
            copy.close()


def _restore_sqlite(stored, name, keys):
    """The copy goes into a new file beside the target, which then replaces the (empty) target."""
    target = Path(connection.settings_dict["NAME"])
    connection.close()
    partial = target.with_name(f".{target.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        with _sqlite_copy(stored, name, keys, target.parent) as copy:
            out = sqlite3.connect(partial)
            try:
                copy.backup(out)
            finally:
                out.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _restore_postgresql(stored, name, keys):
    connection.close()
    # The owner and grants of the old server are left out: the role running restore owns
    # everything, and `segmenta audit grant-app-role` gives the app's role its rights again.
    with open(stored, "rb") as source:
        _run_tool("pg_restore", ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                                 f"--dbname={connection.settings_dict['NAME']}"], feed=_plain_blocks(source, name, keys))


def _compare(manifest, media, keys, src):
    """What differs between the restored installation and the manifest; and the summary."""
    connection.close()
    problems = []
    counts = row_counts()
    expected = {table: count for table, count in manifest["rows"].items()}
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            problems.append(f"table {table}: {counts.get(table, 'missing')} rows, the backup counted "
                            f"{expected.get(table, 'no such table')}")
    if last_migrations() != manifest["migrations"]:
        problems.append("applied migrations differ from the backup's")
    for relative, expected_file in sorted(manifest["uploads"].items()):
        path = media / relative
        if not path.is_file() or sha256_of(path) != expected_file.get("sha256"):
            problems.append(f"upload {relative}: restored content differs from the backup's")
    checked, chain = verify()
    problems += [f"audit event {event}: {problem}" for event, problem in chain]
    kept = manifest["audit"].get("anchor")
    if isinstance(kept, dict):
        problems += [f"audit anchor: {problem}" for problem in verify_anchor(kept, checked)]
    else:
        problems.append("the manifest holds no audit anchor")
    summary = [f"restored {sum(counts.values())} rows in {sum(1 for n in counts.values() if n)} tables, "
               f"{len(manifest['uploads'])} files; audit chain of {checked} events verified"
               + (" and matches the backup's anchor" if not problems else "")]
    summary += _secret_key_note(manifest, keys, src)
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        summary.append(f"this Segmenta has {len(pending)} migrations newer than the backup: run `segmenta migrate` next")
    if connection.vendor == "postgresql":
        summary.append("grants are not restored: run `segmenta audit grant-app-role ROLE` for the role the app runs as")
    return summary, problems


def _secret_key_note(manifest, keys, src):
    if not manifest.get("secret_key_included") or keys is None:
        return ["the backup holds no secret key: set SEGMENTA_SECRET_KEY to the old installation's key, or research "
                "export pseudonyms and date shifts will differ from earlier exports (and everyone logs in again)"]
    with open(Path(src) / SECRET_KEY_FILE, "rb") as source:
        key = b"".join(keys.decrypt(SECRET_KEY_FILE, source)).decode("utf-8")
    if hmac.compare_digest(key, settings.SECRET_KEY):
        return ["the secret key in the backup is the one this installation uses"]
    path = Path(settings.VAR_DIR) / "secret_key.from-backup"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return [f"the backup's secret key is written to {path} (readable by you only): set SEGMENTA_SECRET_KEY "
            "to it (or replace var/secret_key with it) before serving"]


def describe(manifest, dest):
    """What the backup command prints."""
    rows = manifest["rows"]
    head = manifest["audit"]["anchor"]
    lines = [f"backup written to {dest}: {sum(rows.values())} rows in {sum(1 for n in rows.values() if n)} tables, "
             f"{len(manifest['uploads'])} uploaded files, audit trail of {manifest['audit']['verified_events']} events"]
    lines.append(f"audit anchor: {json.dumps(head, separators=(',', ':'), sort_keys=True)}")
    if manifest["audit"]["problems_at_backup"]:
        lines.append(f"WARNING: the audit trail already failed verification when backed up "
                     f"({manifest['audit']['problems_at_backup']} problems; see `segmenta audit verify`)")
    if manifest["encryption"]:
        lines.append("encrypted with a key from the passphrase (scrypt, AES-256-GCM); without the passphrase "
                     "it cannot be restored")
    else:
        lines.append("NOT encrypted: it holds patient data in the clear; keep it like the database itself")
    if manifest["secret_key_included"]:
        lines.append("the secret key is in the backup (encrypted)")
    else:
        lines.append("the secret key is NOT in the backup: keep SEGMENTA_SECRET_KEY (or var/secret_key) safe "
                     "elsewhere; it keys the research export's pseudonyms")
    lines.append(f"manifest SHA-256 (note it elsewhere): {sha256_of(Path(dest) / MANIFEST)}")
    return lines

