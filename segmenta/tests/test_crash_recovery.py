"""A crash loses nothing acknowledged: the real app under gunicorn (two workers, production
settings on plain HTTP to loopback) takes writes from several clients at once through the API,
is killed with SIGKILL (master and workers, the whole process group) in the middle of them,
and after a restart every write it answered with 2xx is there, unchanged, and the audit chain
verifies.

It runs on the suite's own database kind: on SQLite a database file in a temporary var
directory (WAL, see settings), on PostgreSQL a database of its own on the server that
DATABASE_URL names (pytest-django's test database lives inside a transaction), created here
and dropped afterwards."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from django.conf import settings

pytestmark = pytest.mark.crash

BIN = Path(sys.executable).parent
CLIENTS = 6
# Kill after this many acknowledged writes, or after LOAD_SECONDS, whichever comes first.
KILL_AFTER_WRITES = 80
LOAD_SECONDS = 10
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_url(tmp_path):
    """A fresh, empty database of the suite's kind, as a DATABASE_URL."""
    if not ON_POSTGRESQL:
        yield f"sqlite:///{tmp_path / 'var' / 'segmenta.sqlite3'}"
        return
    suite = urlsplit(os.environ["DATABASE_URL"])
    name = f"segmenta_crash_{uuid.uuid4().hex[:10]}"
    server = settings.DATABASES["default"]

    def admin():
        return psycopg.connect(host=server["HOST"], port=server["PORT"] or 5432, user=server["USER"],
                               password=server["PASSWORD"] or None, dbname=suite.path.lstrip("/"), autocommit=True)

    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(suite._replace(path=f"/{name}"))
    finally:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class App:
    """The app as an operator runs it: `segmenta` commands and gunicorn, in production mode."""

    def __init__(self, tmp_path, database_url):
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("SEGMENTA_", "DJANGO_"))}
        self.env.update({
            "DATABASE_URL": database_url,
            "SEGMENTA_ENV": "production",
            "SEGMENTA_SECRET_KEY": uuid.uuid4().hex * 2,
            "SEGMENTA_ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP to loopback: no TLS proxy in front here.
            "SEGMENTA_SSL_REDIRECT": "0",
            "SEGMENTA_VAR_DIR": str(tmp_path / "var"),
        })
        self.cwd = tmp_path
        self.server = None
        self.log = tmp_path / "gunicorn.log"

    def segmenta(self, *args):
        return subprocess.run([BIN / "segmenta", *args], env=self.env, cwd=self.cwd, capture_output=True,
                              text=True, timeout=120)

    def start(self):
        self.url = f"http://127.0.0.1:{free_port()}"
        with self.log.open("a") as log:
            # A session of its own, so that one signal reaches the master and every worker.
            self.server = subprocess.Popen(
                [BIN / "gunicorn", "segmenta.wsgi", "--workers", "2", "--bind", self.url.removeprefix("http://"),
                 "--no-control-socket", "--timeout", "30"],
                env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_serving(self, token):
        # Workers load every view before they accept (segmenta/wsgi.py): seconds on a busy machine.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.server.poll() is None, f"gunicorn exited: {self.log.read_text()[-2000:]}"
            try:
                if requests.get(f"{self.url}/api/v1/patients", headers=bearer(token), timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not serve within 90 s: {self.log.read_text()[-2000:]}")

    def kill(self):
        """SIGKILL to the master and its workers at once: nothing gets to finish or clean up."""
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.server.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise AssertionError("gunicorn's workers outlived SIGKILL")

    def stop(self):
        if self.server is not None and self.server.poll() is None:
            self.kill()


@pytest.fixture
def app(tmp_path, database_url):
    app = App(tmp_path, database_url)
    yield app
    app.stop()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Writer(threading.Thread):
    """One client charting patient after patient: the patient, a complaint, a weight and a
    session. Every write answered 2xx is kept: its model, id, where to read it back and the
    values it must hold."""

    def __init__(self, number, app, token, acknowledged, stop):
        super().__init__(daemon=True)
        self.number, self.app, self.token = number, app, token
        self.acknowledged, self.stop_event = acknowledged, stop
        self.refused = 0
        self.answered_otherwise = []

    def write(self, model, path, body, read, expected):
        try:
            response = requests.post(f"{self.app.url}{path}", json=body, headers=bearer(self.token), timeout=15)
        except requests.RequestException:
            self.refused += 1  # in flight at the kill, or sent to the dead server
            time.sleep(0.01)
            return None
        if response.status_code != 201:
            # Only the kill may interrupt a write: an answer other than 201 is a bug.
            self.answered_otherwise.append(f"POST {path}: {response.status_code} {response.text[:200]}")
            return None
        item = response.json()["id"]
        self.acknowledged.append((model, item, read.format(id=item), expected))
        return item

    def run(self):
        serial = 0
        while not self.stop_event.is_set():
            serial += 1
            family = f"Crash{self.number}x{serial}"
            patient = self.write("patient", "/api/v1/patients",
                                 {"family_name": family, "given_name": "Test", "birth_date": "1970-01-02",
                                  "sex": "female"}, "/api/v1/patients/{id}", {"family_name": family})
            if patient is None:
                continue
            base = f"/api/v1/patients/{patient}"
            self.write("complaint", f"{base}/complaints",
                       {"description": f"pain {family}", "regions": [{"choir": 107, "side": "right"}],
                        "organs": [], "nrs": serial % 11, "findings": [], "status": "active"},
                       base + "/complaints/{id}", {"description": f"pain {family}", "nrs": serial % 11})
            self.write("weightmeasurement", f"{base}/weights",
                       {"date": datetime.now(timezone.utc).date().isoformat(), "weight_kg": 50 + serial % 40},
                       base + "/weights/{id}", {"weight_kg": 50 + serial % 40})
            started = datetime.now(timezone.utc).replace(microsecond=0)
            self.write("session", f"{base}/sessions", {"started_at": started.isoformat(), "notes": family},
                       "/api/v1/sessions/{id}", {"notes": family})


def holds(stored, expected):
    """Every expected value is stored (a number may come back as a decimal string)."""
    return all(stored.get(key) == value or str(stored.get(key)) in {str(value), f"{value}.0"}
               for key, value in expected.items())


def query(database_url, sql):
    """The rows ``sql`` gives on the app's database, read directly."""
    if ON_POSTGRESQL:
        with psycopg.connect(database_url) as conn:
            return conn.execute(sql).fetchall()
    conn = sqlite3.connect(urlsplit(database_url).path[1:])
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def audited_creations(database_url):
    """(model, id) of every object the audit trail records as created."""
    rows = query(database_url, "SELECT object_type, object_id FROM audit_auditevent WHERE action = 'create'")
    return {(model, str(item)) for model, item in rows}


def test_every_acknowledged_write_survives_a_sigkill_of_gunicorn_under_load(app, database_url):
    migrated = app.segmenta("migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    assert app.segmenta("clinic", "create", "Crash clinic").returncode == 0
    member = app.segmenta("clinic", "add-member", "Crash clinic", "crash-doctor", "practitioner",
                          "--profession", "physician")
    assert member.returncode == 0, member.stderr
    issued = app.segmenta("token", "crash-doctor", "--name", "crash test")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip().splitlines()[-1]

    app.start()
    app.wait_until_serving(token)
    acknowledged, stop = [], threading.Event()
    writers = [Writer(number, app, token, acknowledged, stop) for number in range(CLIENTS)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + LOAD_SECONDS
    while len(acknowledged) < KILL_AFTER_WRITES and time.monotonic() < deadline:
        time.sleep(0.02)
    app.kill()
    killed_with = len(acknowledged)
    # The clients go on writing against the dead server for a moment: nothing more is acknowledged.
    time.sleep(0.3)
    stop.set()
    for writer in writers:
        writer.join(timeout=20)
    assert not any(writer.is_alive() for writer in writers)
    assert [answer for writer in writers for answer in writer.answered_otherwise] == []
    assert len(acknowledged) == killed_with
    assert killed_with >= 20, f"only {killed_with} writes acknowledged before the kill; the load never ran"
    assert {model for model, *_rest in acknowledged} == {"patient", "complaint", "weightmeasurement", "session"}
    assert sum(writer.refused for writer in writers) > 0

    app.start()
    app.wait_until_serving(token)
    lost = []
    with requests.Session() as client:
        client.headers.update(bearer(token))
        for model, item, path, expected in acknowledged:
            response = client.get(f"{app.url}{path}", timeout=15)
            if response.status_code != 200 or not holds(response.json(), expected):
                lost.append(f"{model} {item}: {response.status_code} {response.text[:200]}")
    assert lost == []
    app.kill()

    # Each write was audited in its own transaction, so its creation is in the trail, and
    # the chain holds across the kill.
    if not ON_POSTGRESQL:
        # The app wrote through the write-ahead log (settings), whose committed transactions
        # a killed process cannot take back.
        assert query(database_url, "PRAGMA journal_mode") == [("wal",)]
    audited = audited_creations(database_url)
    assert [(model, item) for model, item, *_rest in acknowledged if (model, str(item)) not in audited] == []
    verified = app.segmenta("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("audit trail OK")
