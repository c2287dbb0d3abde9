"""`segmenta audit anchor` and `segmenta audit verify --anchor`: a trail cut short at its end
leaves no broken link, so only the head kept outside the database shows it."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from segmenta.audit.models import GENESIS_HASH
from segmenta.audit.trail import record


def anchor_line():
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return lines[0]


def run_verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def delete_raw(ids):
    """An attacker with database access: lift the guard and delete."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        cursor.execute(f"DELETE FROM audit_auditevent WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


@pytest.fixture
def events(doctor, patient):
    return [record("view", user=doctor, patient=patient, obj=patient, detail={"n": i}) for i in range(4)]


def test_anchor_names_the_head_its_hash_the_count_and_the_time(events):
    kept = json.loads(anchor_line())
    head = events[-1]
    assert (kept["event"], kept["hash"], kept["events"]) == (head.pk, head.hash, 4)
    assert kept["at"] == head.at.isoformat() and kept["anchored_at"]


def test_anchor_of_an_empty_trail(db):
    kept = json.loads(anchor_line())
    assert (kept["event"], kept["hash"], kept["events"], kept["at"]) == (None, GENESIS_HASH, 0, None)
    assert run_verify("--anchor", anchor_line())[0] == 0


def test_an_anchor_holds_while_the_trail_only_grows(events, doctor, tmp_path):
    line = anchor_line()
    record("login", user=doctor)
    path = tmp_path / "anchors.jsonl"
    path.write_text(line + "\n")
    for source in (line, str(path)):
        code, out, _err = run_verify("--anchor", source)
        assert code == 0 and "audit trail OK: 5 events" in out and "1 anchor(s) hold" in out


def test_deleting_the_newest_events_is_found_only_with_the_anchor(events):
    line = anchor_line()
    delete_raw([events[-2].pk, events[-1].pk])
    # The chain itself is intact: what is left still links up.
    assert run_verify()[0] == 0
    code, _out, err = run_verify("--anchor", line)
    assert code == 1
    assert f"anchor: anchored event {events[-1].pk} is missing" in err
    assert "anchor: the trail has 2 events, fewer than the 4 anchored (the newest events were deleted)" in err


def test_a_rewritten_and_rehashed_trail_fails_the_anchor(events, tmp_path):
    earlier = anchor_line()
    delete_raw([events[-1].pk])
    # The attacker replaces the last event with one they made up, properly chained.
    record("view", username="someone-else")
    later = anchor_line()
    path = tmp_path / "anchors.jsonl"
    path.write_text(f"{earlier}\n{later}\n")
    code, _out, err = run_verify("--anchor", str(path))
    assert code == 1 and f"anchor: anchored event {events[-1].pk} is missing" in err
    # The newer anchor alone holds: the forgery came before it.
    assert run_verify("--anchor", later)[0] == 0


def test_events_removed_before_the_anchor_are_counted(events):
    line = anchor_line()
    delete_raw([events[0].pk])
    code, _out, err = run_verify("--anchor", line)
    assert code == 1
    assert f"event {events[1].pk}: previous-hash link broken" in err
    assert f"anchor: the trail holds 3 events up to anchored event {events[-1].pk}, the anchor counted 4" in err


def test_an_anchor_of_another_hash_is_reported(events):
    kept = json.loads(anchor_line())
    kept["hash"] = "f" * 64
    code, _out, err = run_verify("--anchor", json.dumps(kept))
    assert code == 1 and f"anchor: anchored event {events[-1].pk} no longer has the anchored hash" in err


@pytest.mark.parametrize("given, message", [
    ("{not json", "--anchor: not JSON"),
    ("[1, 2]", "--anchor: expected a JSON object"),
    ('{"event": "7", "events": 7, "hash": "' + "a" * 64 + '"}', "--anchor: event: must be an event id"),
    ('{"event": 7, "events": -1, "hash": "' + "a" * 64 + '"}', "--anchor: events: must be the number of events"),
    ('{"event": 7, "events": 7, "hash": "xyz"}', "--anchor: hash: must be 64 lowercase hexadecimal characters"),
    ("/nonexistent/anchors.jsonl", "--anchor: cannot read /nonexistent/anchors.jsonl"),
])
def test_bad_anchors_exit_2_naming_what_is_wrong(events, given, message):
    code, _out, err = run_verify("--anchor", given)
    assert code == 2 and message in err


def test_an_empty_anchor_file_is_bad_input(events, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    code, _out, err = run_verify("--anchor", str(path))
    assert code == 2 and "no anchor given" in err


def test_a_bad_line_in_an_anchor_file_is_named_by_its_number(events, tmp_path):
    path = tmp_path / "anchors.jsonl"
    path.write_text(anchor_line() + "\n{oops\n")
    code, _out, err = run_verify("--anchor", str(path))
    assert code == 2 and "--anchor line 2: not JSON" in err
