"""Small case builders for the assessment tests."""

from pathlib import Path

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "cases"


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
