"""`segmenta backup DEST` and `segmenta restore SRC`, run as an operator would: as commands,
against real databases of the engine the suite runs on (a file in a new var directory on
SQLite, a new database on the PostgreSQL server of DATABASE_URL), restoring into a fresh
installation that has never been migrated."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.audit.backup import MAGIC, Failed, Keys

SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRESQL = SERVER_URL.startswith(("postgres://", "postgresql://"))
PASSPHRASE = "correct horse battery staple"

# A small practice, made with the suite's own factories, in whichever database the
# environment names: three patients with complete charts, their views audited, a scanned consent.
POPULATE = """
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.conftest import complete_chart, make_patient, make_user
from segmenta.patients.models import Consent

clinic = Clinic.objects.create(name="Praxis Nord")
doctor = make_user("doctor", clinic)
for family in ("Muster", "Beispiel", "Probe"):
    patient = complete_chart(make_patient(clinic, family=family), doctor)
    record("view", user=doctor, patient=patient, obj=patient)
Consent.objects.create(patient=patient, date="2024-05-01", scope="Neural therapy", scopes=["injection_therapy"],
                       method="scan", recorded_by=doctor,
                       scan=SimpleUploadedFile("consent.pdf", b"%PDF-1.4 Probe consent", content_type="application/pdf"))
record("login", user=doctor)
"""

# What an installation holds, to compare the original with its restored copy.
INSPECT = """
import hashlib, json
import django
django.setup()
from django.apps import apps
from django.conf import settings
from pathlib import Path

media = Path(settings.MEDIA_ROOT)
print(json.dumps({
    "patients": sorted(apps.get_model("patients", "Patient").objects.values_list("family_name", "birth_date")),
    "events": list(apps.get_model("audit", "AuditEvent").objects.order_by("id")
                   .values_list("id", "hash", "action", "object_type")),
    "scans": sorted(c.scan.name for c in apps.get_model("patients", "Consent").objects.exclude(scan="")),
    "uploads": {p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(media.rglob("*")) if p.is_file()},
}, default=str))
"""


def server(sql):
    with psycopg.connect(SERVER_URL, autocommit=True) as conn:
        conn.execute(sql)


class Installation:
    """A Segmenta installation of its own: a var directory and, on PostgreSQL, a database."""

    made = []

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True)
        self.var = self.root / "var"
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("DATABASE_URL", "SEGMENTA_BACKUP_PASSPHRASE", "SEGMENTA_SECRET_KEY")}
        self.env["SEGMENTA_VAR_DIR"] = str(self.var)
        if ON_POSTGRESQL:
            self.database = f"segmenta_restore_{uuid.uuid4().hex[:10]}"
            server(f'CREATE DATABASE "{self.database}"')
            Installation.made.append(self.database)
            self.env["DATABASE_URL"] = urlunsplit(urlsplit(SERVER_URL)._replace(path=f"/{self.database}"))

    def run(self, *args, check=False):
        done = subprocess.run([sys.executable, "-m", "segmenta", *map(str, args)], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def python(self, script):
        done = subprocess.run([sys.executable, "-c", script], cwd=self.root, env={
            **self.env, "DJANGO_SETTINGS_MODULE": "segmenta.settings"}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def holds(self):
        return json.loads(self.python(INSPECT))

    def is_empty(self):
        """No table at all (never migrated), and no uploads."""
        uploads = self.var / "uploads"
        files = [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []
        if ON_POSTGRESQL:
            with psycopg.connect(self.env["DATABASE_URL"]) as conn:
                tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        else:
            import sqlite3

            path = self.var / "segmenta.sqlite3"
            tables = 0
            if path.exists():
                with sqlite3.connect(path) as conn:
                    tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        return tables == 0 and not files


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("backup")
    counter = iter(range(1000))
    yield lambda name: root / f"{name}-{next(counter)}"
    for database in Installation.made:
        server(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    Installation.made.clear()


@pytest.fixture
def fresh(places):
    """A new machine's installation: nothing migrated, nothing uploaded."""
    return Installation(places("fresh"))


@pytest.fixture(scope="module")
def source(places):
    practice = Installation(places("source"))
    practice.run("migrate", "--verbosity", "0", check=True)
    practice.python(POPULATE)
    return practice


@pytest.fixture(scope="module")
def passphrase_file(places):
    path = places("passphrase")
    path.write_text(PASSPHRASE + "\n")
    return path


def backed_up(source, dest, *options):
    """(the backup, what the command said, what the source held when it ran)."""
    held = source.holds()
    done = source.run("backup", dest, *options, check=True)
    return dest, done.stdout, held


@pytest.fixture(scope="module")
def plain(source, places):
    return backed_up(source, places("plain-backup"))


@pytest.fixture(scope="module")
def encrypted(source, places, passphrase_file):
    return backed_up(source, places("encrypted-backup"), "--passphrase-file", passphrase_file, "--include-secret-key")


def assert_restored(installation, held):
    """The installation holds what the source held, and one event more: its restore."""
    now = installation.holds()
    *events, last = now["events"]
    assert {**now, "events": events} == held
    assert last[2:] == ["create", "restore"]


def manifest_of(backup):
    return json.loads((backup / "manifest.json").read_text())


def rewritten(backup, where, change):
    """A copy of ``backup`` whose manifest ``change`` has edited."""
    shutil.copytree(backup, where)
    manifest = manifest_of(where)
    change(manifest)
    (where / "manifest.json").write_text(json.dumps(manifest))
    return where


def test_a_backup_restores_on_a_fresh_installation_with_every_row_upload_and_audit_event(source, plain, fresh):
    backup, said, before = plain
    manifest = manifest_of(backup)
    assert len(before["patients"]) == 3 and len(before["scans"]) == 1 and before["events"]
    assert manifest["database"]["vendor"] == ("postgresql" if ON_POSTGRESQL else "sqlite")
    assert manifest["rows"]["patients_patient"] == 3 and manifest["rows"]["django_migrations"] > 0
    assert manifest["migrations"]["audit"].startswith("00")
    assert manifest["audit"]["verified_events"] == len(before["events"])
    assert set(manifest["uploads"]) == set(before["uploads"]) and manifest["encryption"] is None
    assert "secret key is NOT in the backup" in said and not (backup / "secret_key").exists()

    done = fresh.run("restore", backup)
    assert done.returncode == 0, done.stderr
    events = len(before["events"])
    assert f"restored {sum(manifest['rows'].values())} rows" in done.stdout
    assert f"1 files; audit chain of {events} events verified" in done.stdout
    assert "holds no secret key" in done.stdout
    assert_restored(fresh, before)
    # The source's trail says a backup was written, and where (after what the backup holds).
    export = source.holds()["events"][len(before["events"])]
    assert export[2:] == ["export", "backup"]


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(source, plain):
    held = source.holds()
    done = source.run("restore", plain[0])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "not empty" in done.stderr and "nothing restored" in done.stderr
    assert source.holds() == held


def test_a_changed_file_in_the_backup_is_named_and_nothing_is_restored(plain, places, fresh):
    backup = places("tampered")
    shutil.copytree(plain[0], backup)
    scan = next(path for path in (backup / "uploads").rglob("*") if path.is_file())
    scan.write_bytes(scan.read_bytes() + b" forged")
    for check in ([], ["--check"]):
        done = fresh.run("restore", backup, *check)
        assert done.returncode == 1
        assert f"{scan.relative_to(backup).as_posix()}: its SHA-256 differs" in done.stderr
        assert fresh.is_empty()

    scan.write_bytes((plain[0] / scan.relative_to(backup)).read_bytes())
    (backup / "uploads" / "smuggled.pdf").write_bytes(b"%PDF")
    done = fresh.run("restore", backup)
    assert done.returncode == 1 and "uploads/smuggled.pdf: in the backup but not in its manifest" in done.stderr
    assert fresh.is_empty()


def test_a_restored_trail_that_does_not_reach_the_backups_anchor_is_named(plain, places, fresh):
    """The anchor in the manifest is checked against the restored trail: here a copy whose
    anchor vouches for a hash the trail does not hold (as if events had been rewritten)."""
    def forge(manifest):
        text = json.dumps(manifest["audit"]["anchor"])
        real = re.findall(r'"([0-9a-f]{64})"', text)[-1]
        manifest["audit"]["anchor"] = json.loads(text.replace(real, "f" * 64))

    backup = rewritten(plain[0], places("forged-anchor"), forge)
    done = fresh.run("restore", backup)
    assert done.returncode == 1 and "audit anchor:" in done.stderr and "no longer has the anchored hash" in done.stderr
    assert "restore FAILED verification: 1 difference(s)" in done.stderr


def test_an_encrypted_backup_restores_only_with_its_passphrase(source, encrypted, fresh, passphrase_file, places):
    backup, said, held = encrypted
    manifest = manifest_of(backup)
    assert "encrypted" in said and "secret key is in the backup" in said
    assert manifest["encryption"]["kdf"] == "scrypt" and manifest["encryption"]["salt"]
    assert PASSPHRASE not in json.dumps(manifest)
    secret_key = (source.var / "secret_key").read_text().strip()
    for path in backup.rglob("*"):
        if path.is_file():
            stored = path.read_bytes()
            assert secret_key.encode() not in stored and b"Probe consent" not in stored and b"Muster" not in stored

    wrong = places("wrong-passphrase")
    wrong.write_text("not the passphrase at all\n")
    done = fresh.run("restore", backup, "--passphrase-file", wrong)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "wrong passphrase" in done.stderr
    assert fresh.is_empty()
    done = fresh.run("restore", backup)
    assert done.returncode == 2 and "encrypted" in done.stderr and fresh.is_empty()

    done = fresh.run("restore", backup, "--check", "--passphrase-file", passphrase_file)
    assert done.returncode == 0 and "files match their hashes and decrypt" in done.stdout, done.stderr
    assert "nothing restored" in done.stdout and fresh.is_empty()

    done = fresh.run("restore", backup, "--passphrase-file", passphrase_file)
    assert done.returncode == 0, done.stderr
    assert_restored(fresh, held)
    assert (fresh.var / "secret_key.from-backup").read_text().strip() == secret_key
    assert oct((fresh.var / "secret_key.from-backup").stat().st_mode & 0o777) == "0o600"


def test_an_encrypted_backup_whose_manifest_was_rewritten_to_hide_a_change_is_refused(encrypted, places, fresh,
                                                                                      passphrase_file):
    backup = places("re-hashed")
    shutil.copytree(encrypted[0], backup)
    database = next(backup.glob("database.*"))
    data = bytearray(database.read_bytes())
    data[-100] ^= 1
    database.write_bytes(bytes(data))
    manifest = manifest_of(backup)
    manifest["files"][database.name]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    (backup / "manifest.json").write_text(json.dumps(manifest))
    # The manifest is signed with a key from the passphrase: a rewritten one is refused.
    done = fresh.run("restore", backup, "--passphrase-file", passphrase_file)
    assert done.returncode == 2 and "manifest was changed" in done.stderr
    assert fresh.is_empty()


def test_backup_refuses_a_target_that_is_not_empty_and_a_secret_key_in_the_clear(source, places):
    taken = places("taken")
    taken.mkdir()
    (taken / "notes.txt").write_text("keep me")
    done = source.run("backup", taken)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "not an empty directory" in done.stderr
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]

    clear = places("clear")
    done = source.run("backup", clear, "--include-secret-key")
    assert done.returncode == 2 and "encrypted" in done.stderr and not clear.exists()
    assert not list(clear.parent.glob(f".{clear.name}.partial-*"))


def test_restore_of_a_missing_backup_exits_2_with_one_line(places, fresh):
    nowhere = places("nowhere")
    done = fresh.run("restore", nowhere)
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [f"CommandError: {nowhere}: no such backup directory"]
    assert fresh.is_empty()


def refusal(src):
    """Restore in this process: these refusals come before anything looks at the database."""
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(src))
    return refused.value.returncode, str(refused.value)


@pytest.mark.django_db
def test_restore_refuses_a_malformed_backup_another_engines_or_one_writing_outside_media_root(plain, places):
    empty = places("no-manifest")
    empty.mkdir()
    assert refusal(empty) == (2, f"{empty}: no manifest.json (not a Segmenta backup)")
    (empty / "manifest.json").write_text("{not json")
    assert refusal(empty)[0] == 2 and "unreadable" in refusal(empty)[1]
    other = "sqlite" if ON_POSTGRESQL else "postgresql"
    code, message = refusal(rewritten(plain[0], places("other-engine"),
                                      lambda m: m["database"].update(vendor=other)))
    assert code == 2 and f"made on {other}" in message and "cross-engine" in message
    code, message = refusal(rewritten(plain[0], places("escaping"),
                                      lambda m: m["uploads"].update({"../../outside.pdf": {"sha256": "0" * 64}})))
    assert code == 2 and "'uploads/../../outside.pdf' is not a plain relative path" in message
    code, message = refusal(rewritten(plain[0], places("newer"), lambda m: m.update(format_version=2)))
    assert code == 2 and "format version 2" in message


def test_the_stream_cipher_finds_a_cut_off_reordered_or_renamed_file(tmp_path):
    keys = Keys(PASSPHRASE, {"kdf": "scrypt", "n": 2**10, "r": 8, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="})
    plain = os.urandom(200_000)
    stored = tmp_path / "stored"
    with open(stored, "wb") as out:
        sealer = keys.encrypting("uploads/a.pdf", out)
        sealer.write(plain[:70_000])
        sealer.write(plain[70_000:])
        sealer.close()

    def decrypted(data, name="uploads/a.pdf"):
        path = tmp_path / "candidate"
        path.write_bytes(data)
        with open(path, "rb") as source:
            return b"".join(keys.decrypt(name, source))

    data = stored.read_bytes()
    assert decrypted(data) == plain
    header, chunk = len(MAGIC) + 16, 64 * 1024 + 16
    chunks = [data[header + i:header + i + chunk] for i in range(0, len(data) - header, chunk)]
    for forged, name in ((data[:header] + b"".join(chunks[:-1]), "uploads/a.pdf"),
                         (data[:header] + chunks[1] + chunks[0] + b"".join(chunks[2:]), "uploads/a.pdf"),
                         (data, "uploads/b.pdf")):
        with pytest.raises(Failed):
            decrypted(forged, name)
