"""`segmenta audit anchor` and `segmenta audit verify --anchor`: a chain cut short at its end
leaves no broken link, so only the heads kept outside the database show it."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from segmenta.audit.models import GENESIS_HASH, AuditBlock
from segmenta.audit.trail import record

from .tampering import delete, unguarded


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


@pytest.fixture
def events(doctor, patient):
    return [record("view", user=doctor, patient=patient, obj=patient, detail={"n": i}) for i in range(4)]


def test_anchor_seals_and_names_each_clinics_head_its_hash_the_count_and_the_time(events, doctor, patient):
    record("login", user=doctor)
    kept = json.loads(anchor_line())
    heads = {head["clinic"]: head for head in kept["chains"]}
    assert set(heads) == {patient.clinic_id, None}
    block = AuditBlock.objects.get(chain=patient.clinic_id)
    assert heads[patient.clinic_id] == {"clinic": patient.clinic_id, "block": 1, "hash": block.hash, "events": 4,
                                        "at": events[-1].at.isoformat()}
    assert heads[None]["events"] == 1 and kept["anchored_at"]


def test_anchor_of_an_empty_trail(db):
    kept = json.loads(anchor_line())
    assert kept["chains"] == []
    assert run_verify("--anchor", anchor_line())[0] == 0


def test_an_anchor_holds_while_the_trail_only_grows(events, doctor, tmp_path):
    line = anchor_line()
    record("login", user=doctor)
    record("view", user=doctor, patient=events[0].patient, obj=events[0].patient)
    anchor_line()
    path = tmp_path / "anchors.jsonl"
    path.write_text(line + "\n")
    for source in (line, str(path)):
        code, out, _err = run_verify("--anchor", source)
        assert code == 0 and "audit trail OK: 6 events, 6 sealed" in out and "1 anchor(s) hold" in out


def test_cutting_the_newest_blocks_off_is_found_only_with_the_anchor(events, doctor, patient):
    anchor_line()
    latest = record("view", user=doctor, patient=patient, obj=patient, detail={"n": 4})
    line = anchor_line()
    newest = AuditBlock.objects.get(chain=patient.clinic_id, seq=2)
    delete([latest.pk])
    delete([newest.pk], kind="block")
    # What is left still links up.
    assert run_verify()[0] == 0
    code, _out, err = run_verify("--anchor", line)
    assert code == 1
    assert f"anchor: clinic {patient.clinic_id}: anchored block 2 is missing (the chain was cut back before it)" in err


def test_a_rewritten_chain_fails_the_anchor(events, patient, tmp_path):
    earlier = anchor_line()
    # The attacker removes the clinic's events and blocks and writes a trail of their own.
    delete([event.pk for event in events])
    delete(list(AuditBlock.objects.values_list("pk", flat=True)), kind="block")
    record("view", username="someone-else", patient=patient, obj=patient)
    later = anchor_line()
    path = tmp_path / "anchors.jsonl"
    path.write_text(f"{earlier}\n{later}\n")
    code, _out, err = run_verify("--anchor", str(path))
    assert code == 1
    assert f"anchor: clinic {patient.clinic_id}: anchored block 1 no longer has the anchored hash" in err
    # The newer anchor alone holds: the forgery came before it.
    assert run_verify("--anchor", later)[0] == 0


def test_events_removed_before_the_anchor_are_found(events, patient):
    line = anchor_line()
    delete([events[0].pk])
    code, _out, err = run_verify("--anchor", line)
    assert code == 1
    assert f"clinic {patient.clinic_id}, block 1: 1 of its events are missing, deleted or moved" in err


def test_an_anchor_of_another_hash_is_reported(events, patient):
    kept = json.loads(anchor_line())
    kept["chains"][0]["hash"] = "f" * 64
    code, _out, err = run_verify("--anchor", json.dumps(kept))
    assert code == 1
    assert f"anchor: clinic {patient.clinic_id}: anchored block 1 no longer has the anchored hash" in err


def test_an_anchor_from_before_blocks_still_checks_the_events_written_then(events):
    """Events written before blocks existed carry the hash of the one before; an anchor
    printed then names the newest of them."""
    linked = _link_up(events)
    kept = {"event": linked[-1].pk, "hash": linked[-1].hash, "events": 4}
    assert run_verify("--anchor", json.dumps(kept))[0] == 0
    delete([linked[-1].pk])
    code, _out, err = run_verify("--anchor", json.dumps(kept))
    assert code == 1 and f"anchor: anchored event {linked[-1].pk} is missing" in err
    assert "anchor: the trail has 3 events, fewer than the 4 anchored" in err


def _link_up(events):
    """Rewrite ``events`` as the chained events written before blocks existed."""
    prev = GENESIS_HASH
    for event in events:
        event.prev_hash = prev
        event.hash = prev = event.compute_hash()
        unguarded("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                  [event.prev_hash, event.hash, event.pk])
    return events


@pytest.mark.parametrize("given, message", [
    ("{not json", "--anchor: not JSON"),
    ("[1, 2]", "--anchor: expected a JSON object"),
    ('{"event": "7", "events": 7, "hash": "' + "a" * 64 + '"}', "--anchor: event: must be an event id"),
    ('{"event": 7, "events": -1, "hash": "' + "a" * 64 + '"}', "--anchor: events: must be the number of events"),
    ('{"event": 7, "events": 7, "hash": "xyz"}', "--anchor: hash: must be 64 lowercase hexadecimal characters"),
    ('{"chains": {}}', "--anchor: chains: must be a list of heads"),
    ('{"chains": [{"clinic": "a", "block": 1, "hash": "' + "a" * 64 + '"}]}', "--anchor: chains[1]: clinic: must be"),
    ('{"chains": [{"clinic": 1, "block": 0, "hash": "' + "a" * 64 + '"}]}', "--anchor: chains[1]: block: must be"),
    ('{"chains": [{"clinic": null, "block": 1, "hash": "x"}]}', "--anchor: chains[1]: hash: must be 64"),
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
