"""schemathesis against the API on this test's database (SQLite or PostgreSQL): generated
requests, stateless and in sequences, never answer a server error or anything the OpenAPI
document does not say. Sampled to stay within minutes; SEGMENTA_FUZZ_EXAMPLES raises the
count, and benchmarks/fuzz_api.py runs the full size."""

import os

import pytest

from . import fuzz

EXAMPLES = int(os.environ.get("SEGMENTA_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def schema(clinic, admin_user):
    token, ids = fuzz.demo_chart(clinic, admin_user)
    with fuzz.in_test_transaction():
        yield fuzz.load_schema(token, ids)


def test_generated_requests_to_every_operation_answer_as_documented(schema):
    tally = fuzz.Tally()
    failures = fuzz.run_stateless(schema, EXAMPLES, tally)
    assert not failures, "\n\n".join(failures)
    operations = {result.ok().label for result in schema.get_all_operations()}
    assert set(tally) == operations
    # Not only refusals: most operations got far enough to succeed (real ids, valid bodies).
    assert len(tally.succeeded()) >= len(operations) // 2, sorted(operations - tally.succeeded())


def test_generated_sequences_of_calls_answer_as_documented(schema):
    tally = fuzz.Tally()
    fuzz.run_stateful(schema, EXAMPLES, tally)
    # Sequences followed links: operations on an id answered with what an earlier call made.
    assert sum(sum(statuses.values()) for statuses in tally.values()) >= EXAMPLES
    assert any("{" in label for label in tally.succeeded()), tally
