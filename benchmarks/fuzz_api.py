"""The full schemathesis run against the API: the same tests CI runs sampled
(segmenta/api/tests/test_api_fuzz.py), with many more generated requests per operation and
longer call sequences. On SQLite by default; set DATABASE_URL for PostgreSQL (the tests
make their own test database there).

    .venv/bin/python benchmarks/fuzz_api.py [--examples 1000]
    DATABASE_URL=postgres://segmenta@127.0.0.1:5432/segmenta .venv/bin/python benchmarks/fuzz_api.py

It prints how long each part took and exits non-zero on any server error or answer the
OpenAPI document does not describe (pytest's report says which request, with a curl line)."""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = "segmenta/api/tests/test_api_fuzz.py"
PARTS = {"stateless": "test_generated_requests_to_every_operation_answer_as_documented",
         "stateful": "test_generated_sequences_of_calls_answer_as_documented"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="generated requests per operation (default 1000)")
    parser.add_argument("--part", choices=sorted(PARTS), action="append", help="only this part (repeatable)")
    args = parser.parse_args()
    if args.examples < 1:
        parser.error("--examples must be at least 1")
    env = {**os.environ, "SEGMENTA_FUZZ_EXAMPLES": str(args.examples)}
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    failed = False
    for part in args.part or sorted(PARTS):
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                 f"{TESTS}::{PARTS[part]}"], cwd=ROOT, env=env)
        print(f"{part} on {database}, {args.examples} examples: {time.monotonic() - started:.0f} s, "
              f"{'passed' if result.returncode == 0 else 'FAILED'}", flush=True)
        failed |= result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
