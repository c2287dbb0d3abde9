"""Assessment speed: median milliseconds per complaint for a case with 200 history items.

Run: .venv/bin/python benchmarks/assess.py [--items 200] [--complaints 5] [--rounds 30]
The target (issue 5) is at most 5 ms per complaint.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segmenta import caseformat  # noqa: E402
from segmenta.assessment.engine import assess  # noqa: E402
from segmenta.knowledge import vocabulary  # noqa: E402
from segmenta.knowledge.base import load  # noqa: E402


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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--complaints", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    kb = load()
    case = make_case(args.items, args.complaints)
    assess(case, kb)  # warm caches
    per_complaint = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        assess(case, kb)
        per_complaint.append((time.perf_counter() - start) * 1000 / args.complaints)
    median = statistics.median(per_complaint)
    print(f"assessment: {args.items} history items, {args.complaints} complaints, {args.rounds} rounds")
    print(f"median {median:.2f} ms per complaint (p90 {statistics.quantiles(per_complaint, n=10)[-1]:.2f} ms); "
          f"target <= 5 ms: {'met' if median <= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
