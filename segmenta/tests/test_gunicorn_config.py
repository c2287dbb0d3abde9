"""The production gunicorn configuration in the repository loads, and the environment sets it."""

import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_gunicorn_accepts_the_configuration():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "--check-config", "-c", str(CONFIG), "segmenta.wsgi"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_workers_threads_and_timeout_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SEGMENTA_WORKERS", "3")
    monkeypatch.setenv("SEGMENTA_THREADS", "8")
    monkeypatch.setenv("SEGMENTA_REQUEST_TIMEOUT", "20")
    monkeypatch.setenv("SEGMENTA_BIND", "0.0.0.0:9000")
    config = runpy.run_path(str(CONFIG))
    assert (config["workers"], config["threads"], config["timeout"], config["bind"]) == (3, 8, 20, "0.0.0.0:9000")
    assert config["worker_class"] == "gthread"
    # Request lines are logged without their query strings (search terms may name patients).
    assert "%(U)s" in config["access_log_format"] and "%(r)s" not in config["access_log_format"]


PROBE = '''
import gc, os

def application(environ, start_response):
    """Answers with how many objects this worker's garbage collector leaves frozen."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getpid()} {gc.get_freeze_count()}".encode()]
'''


def test_workers_start_with_what_the_master_loaded_frozen_out_of_the_garbage_collector(tmp_path):
    """A full collection walked every object the app loaded, about 100 ms every few hundred
    requests; the master freezes them before forking, and the workers inherit that."""
    (tmp_path / "probe.py").write_text(PROBE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {**os.environ, "SEGMENTA_BIND": f"127.0.0.1:{port}", "SEGMENTA_WORKERS": "1"}
    server = subprocess.Popen([str(gunicorn), "-c", str(CONFIG), "--pythonpath", str(tmp_path), "probe"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answer = None
        for _ in range(100):
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert answer is not None, "gunicorn did not answer"
        pid, frozen = map(int, answer.split())
        assert pid != server.pid  # a worker answered, not the master
        assert frozen > 1000
    finally:
        server.terminate()
        server.wait(timeout=30)
