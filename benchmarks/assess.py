"""Assessment speed: median milliseconds per complaint for a case with 200 history items.

Run: .venv/bin/python benchmarks/assess.py [--items 200] [--complaints 10] [--rounds 30]

Prints each stage on its own (case validation, the engine, writing the JSON) and the two
ways in end to end, in process: `segmenta assess FILE` (reading the file, validating,
assessing, writing the JSON) and `POST /api/v1/assess` through Django's test client (token
authentication, middleware, parsing, validating, assessing, rendering) against a throwaway
SQLite database. The target (issue 13) is at most 5 ms per complaint end to end; it is
judged on processor time, since wall-clock time also counts whatever else the machine runs.
"""

import argparse
import io
import json
import os
import random
import sys
import tempfile
from pathlib import Path

# The repository instead of this folder, whose http.py would hide the standard library's.
sys.path[0] = str(Path(__file__).resolve().parents[1])

from pydantic_core import to_json  # noqa: E402

from benchmarks.common import django_setup, timed  # noqa: E402
from segmenta import caseformat  # noqa: E402
from segmenta.assessment.engine import assess  # noqa: E402
from segmenta.knowledge import vocabulary  # noqa: E402
from segmenta.knowledge.base import load  # noqa: E402

TARGET_MS = 5


def make_case(items, complaints, seed=1):
    rng = random.Random(seed)
    regions = vocabulary.codes("region")

    def region():
        if rng.random() < 0.3:
            return {"choir": rng.choice(caseformat.CHOIR_SEGMENTS)}
        return {"region": rng.choice(regions), "side": rng.choice(vocabulary.codes("side"))}

    history = []
    for i in range(items):
        kind = rng.choice(vocabulary.codes("history_kind"))
        entry = {"id": f"h{i}", "kind": kind, "description": kind, "date": f"{rng.randint(1970, 2025)}",
                 "regions": [region() for _ in range(rng.randint(0, 2))],
                 "organs": rng.sample(vocabulary.codes("organ"), rng.randint(0, 2)),
                 "signs": rng.sample(vocabulary.codes("sign"), rng.randint(0, 3))}
        if kind == "tooth":
            entry["tooth"] = rng.choice(vocabulary.codes("tooth"))
        history.append(entry)
    complaint_list = [{"id": f"c{i}", "regions": [region() for _ in range(2)], "onset": "2020-06",
                       "organs": rng.sample(vocabulary.codes("organ"), 1)} for i in range(complaints)]
    tests = [{"history_id": f"h{rng.randrange(items)}", "complaint_id": "c0", "onset_seconds": rng.randint(0, 400),
              "relief_percent": rng.randint(0, 100), "duration_hours": rng.randint(0, 40)} for _ in range(10)]
    return caseformat.validate({"format": "segmenta-case/1", "patient": {"sex": "female", "birth_date": "1970-01-01"},
                                "complaints": complaint_list, "history": history, "tests": tests})


def report(label, timing, complaints, target=True):
    cpu, wall = timing
    line = (f"{label:<36} {cpu:7.2f} ms per case  {cpu / complaints:5.2f} ms per complaint "
            f"(wall clock {wall / complaints:5.2f})")
    if target:
        line += f"  target <= {TARGET_MS} ms: {'met' if cpu / complaints <= TARGET_MS else 'NOT met'}"
    print(line)


def api_client():
    """A Django test client with a bearer token, on a throwaway SQLite database."""
    django_setup(sqlite_only=True)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from segmenta.accounts.models import ApiToken, Clinic, Membership

    clinic = Clinic.objects.create(name="Benchmark Practice")
    user = get_user_model().objects.create_user(username="bench", password="not-used-here")
    Membership.objects.create(user=user, clinic=clinic, role="practitioner")
    _token, raw = ApiToken.issue(user, "benchmark")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--complaints", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    kb = load()
    case = make_case(args.items, args.complaints)
    text = json.dumps(case)
    n = args.complaints
    print(f"assessment: {args.items} history items, {n} complaints, {args.rounds} rounds "
          f"(case {len(text) / 1000:.0f} KB)")
    result = assess(case, kb)
    report("validation (json.loads + validate)", timed(lambda: caseformat.validate(json.loads(text)), args.rounds),
           n, target=False)
    report("engine", timed(lambda: assess(case, kb), args.rounds), n, target=False)
    report(f"JSON output ({len(to_json(result)) / 1000:.0f} KB, pydantic-core)",
           timed(lambda: to_json(result), args.rounds), n, target=False)

    client = api_client()
    from django.core.management import call_command

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        file.write(text)
    report("segmenta assess FILE (in process)",
           timed(lambda: call_command("assess", file.name, stdout=io.StringIO()), args.rounds), n)
    os.unlink(file.name)

    def post():
        response = client.post("/api/v1/assess", text, content_type="application/json")
        assert response.status_code == 200, response.content[:200]
        return response.content

    body = post()
    report(f"POST /api/v1/assess ({len(body) / 1000:.0f} KB)", timed(post, args.rounds), n)


if __name__ == "__main__":
    main()
