"""The production gunicorn configuration in the repository loads, and the environment sets it."""

import runpy
import subprocess
import sys
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
