"""Small case builders for the assessment tests."""

import os
from pathlib import Path

import pytest

# The project's shared folder lies beside the repository (../shared); CI sets
# SEGMENTA_REQUIRE_SHARED=1 so that a missing folder fails instead of skipping.
SHARED = Path(os.environ.get("SEGMENTA_SHARED_DIR",
                             Path(__file__).resolve().parents[3].parent / "shared")) / "cases"


def shared_case(name):
    path = SHARED / name
    if not path.exists():
        message = f"worked case {path} not found (the project's shared folder belongs beside the repository)"
        if os.environ.get("SEGMENTA_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def case(complaints=(), history=(), tests=(), findings=(), birth_date="1975-01-01", sex="female"):
    return {"format": "segmenta-case/1",
            "patient": {"sex": sex, "birth_date": birth_date, "weight_kg": 70},
            "complaints": list(complaints), "history": list(history), "tests": list(tests),
            "findings": list(findings)}


def complaint(cid="c1", region="shoulder", side="right", onset="2019-06", **extra):
    return {"id": cid, "description": "pain", "regions": [{"region": region, "side": side}], "onset": onset,
            **extra}


def item(hid, kind="scar", date=None, region=None, side="right", **extra):
    data = {"id": hid, "kind": kind, "description": kind, **extra}
    if date:
        data["date"] = date
    if region:
        data["regions"] = [{"region": region, "side": side}]
    return data
