"""Production's static files storage works each address out once, exactly as WhiteNoise's
storage does, and still refuses a file its manifest lacks every time."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from segmenta.static_storage import ManifestStaticFilesStorage


@pytest.fixture
def root(tmp_path, settings):
    settings.DEBUG = False
    (tmp_path / "staticfiles.json").write_text(json.dumps(
        {"paths": {"segmenta/app.css": "segmenta/app.1a2b3c.css", "a b.js": "a b.9f8e.js"}, "version": "1.1",
         "hash": "0"}))
    return tmp_path


def test_addresses_are_whitenoises_worked_out_once(root):
    ours = ManifestStaticFilesStorage(location=root, base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=root, base_url="/static/")
    for name in ["segmenta/app.css", "a b.js", "segmenta/app.css"]:
        assert ours.url(name) == theirs.url(name)
    assert ours.url("segmenta/app.css") == "/static/segmenta/app.1a2b3c.css"
    assert set(ours._addresses) == {"segmenta/app.css", "a b.js"}
    for _ in range(2):
        with pytest.raises(ValueError):
            ours.url("segmenta/missing.css")
    assert "segmenta/missing.css" not in ours._addresses


def test_production_serves_static_files_through_it(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    found = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.STORAGES['staticfiles']['BACKEND'])"],
        env={"SEGMENTA_ENV": "production", "SEGMENTA_SECRET_KEY": "x" * 60, "SEGMENTA_ALLOWED_HOSTS": "example.org",
             "DJANGO_SETTINGS_MODULE": "segmenta.settings", "SEGMENTA_VAR_DIR": str(tmp_path),
             "PATH": "/usr/bin:/bin"},
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "segmenta.static_storage.ManifestStaticFilesStorage"
