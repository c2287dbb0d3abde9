"""The audit trail's tamper evidence: events are plain inserts, sealed into one chain of
hash-linked blocks per clinic; changing, removing or rehashing what was sealed is found."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from segmenta.audit.models import GENESIS_HASH, AuditBlock, AuditEvent
from segmenta.audit.sealing import digest, runs
from segmenta.audit.trail import record, seal, unsealed, verify
from segmenta.conftest import make_patient

from .tampering import unguarded


@pytest.fixture
def events(doctor, patient):
    made = [record("view", user=doctor, patient=patient, obj=patient, detail={"n": i}) for i in range(5)]
    seal()
    return made


def test_recording_is_a_plain_insert_of_the_contents_own_hash(doctor, patient):
    event = record("view", user=doctor, patient=patient, obj=patient)
    assert event.prev_hash == "" and event.hash == event.compute_hash()
    assert not AuditBlock.objects.exists()
    assert [(tail["clinic"], tail["events"]) for tail in unsealed()] == [(patient.clinic_id, 1)]


def test_sealing_links_each_clinics_events_into_its_own_chain(doctor, patient, outsider, foreign_patient):
    record("view", user=doctor, patient=patient, obj=patient)
    record("view", user=outsider, patient=foreign_patient, obj=foreign_patient)
    record("login", user=doctor)
    assert seal() == 3
    blocks = {block.chain: block for block in AuditBlock.objects.all()}
    assert set(blocks) == {patient.clinic_id, foreign_patient.clinic_id, 0}
    assert all(block.seq == 1 and block.prev_hash == GENESIS_HASH and block.count == 1 for block in blocks.values())
    record("view", user=doctor, patient=patient, obj=patient, detail={"again": True})
    assert seal() == 1
    second = AuditBlock.objects.get(chain=patient.clinic_id, seq=2)
    assert second.prev_hash == blocks[patient.clinic_id].hash and second.total == 2
    assert seal() == 0
    assert verify() == (4, []) and unsealed() == []


def test_verify_command_passes_an_intact_trail(events, capsys):
    call_command("audit", "verify")
    assert "audit trail OK: 5 events, 5 sealed" in capsys.readouterr().out


def test_verify_command_names_events_not_sealed_yet(events, doctor, capsys):
    record("login", user=doctor)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "not sealed yet: events without a clinic: 1 event(s) since" in out
    assert "audit trail OK: 6 events, 5 sealed" in out


def test_seal_command_seals_and_says_how_many(events, doctor, capsys):
    record("login", user=doctor)
    call_command("audit", "seal")
    assert "sealed 1 event(s)" in capsys.readouterr().out


def test_verify_detects_an_edited_event(events, capsys):
    unguarded("UPDATE audit_auditevent SET username = %s WHERE id = %s", ["someone-else", events[2].pk])
    _checked, problems = verify()
    assert (events[2].pk, "content does not match its hash (the event was changed)") in problems
    with pytest.raises(CommandError, match="FAILED") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode != 0
    assert f"event {events[2].pk}:" in capsys.readouterr().err


def test_verify_detects_an_edited_event_not_sealed_yet(doctor, patient):
    event = record("view", user=doctor, patient=patient, obj=patient)
    unguarded("UPDATE audit_auditevent SET action = 'export' WHERE id = %s", [event.pk])
    assert verify()[1] == [(event.pk, "content does not match its hash (the event was changed)")]


def test_verify_detects_a_removed_event(events, patient):
    unguarded("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    _checked, problems = verify()
    assert problems == [(None, f"clinic {patient.clinic_id}, block 1: 1 of its events are missing, deleted or moved "
                               f"(events {events[1].pk})")]


def test_verify_detects_a_rehashed_event(events, patient):
    """Recomputing the edited event's own hash still changes what its block sealed."""
    victim = AuditEvent.objects.get(pk=events[2].pk)
    victim.username = "forged"
    forged_hash = victim.compute_hash()
    unguarded("UPDATE audit_auditevent SET username = %s, hash = %s WHERE id = %s",
                     ["forged", forged_hash, victim.pk])
    _checked, problems = verify()
    assert problems == [(None, f"clinic {patient.clinic_id}, block 1: its events' hashes are not those sealed "
                               f"(an event was rewritten)")]


def test_verify_detects_an_event_moved_to_another_clinic(events, other_clinic):
    unguarded("UPDATE audit_auditevent SET clinic_id = %s WHERE id = %s", [other_clinic.pk, events[0].pk])
    problems = verify()[1]
    assert (events[0].pk, "content does not match its hash (the event was changed)") in problems
    assert any("1 of its events are missing, deleted or moved" in text for _id, text in problems)


def _two_blocks(doctor, patient):
    record("view", user=doctor, patient=patient, obj=patient)
    seal()
    record("view", user=doctor, patient=patient, obj=patient, detail={"second": True})
    seal()
    return list(AuditBlock.objects.filter(chain=patient.clinic_id).order_by("seq"))


def test_verify_detects_a_removed_block(doctor, patient):
    first, _second = _two_blocks(doctor, patient)
    unguarded("DELETE FROM audit_auditblock WHERE id = %s", [first.pk], kind="block")
    texts = [text for _id, text in verify()[1]]
    assert f"clinic {patient.clinic_id}, block 2: expected block 1 here (blocks before it were removed)" in texts
    assert any("block 2: link to the block before broken" in text for text in texts)


def test_verify_detects_a_rewritten_and_rehashed_block(doctor, patient):
    """An attacker drops an event and reseals its block: the next block's link breaks."""
    first, _second = _two_blocks(doctor, patient)
    first.count, first.runs, first.total = 0, [], 0
    unguarded("UPDATE audit_auditblock SET count = 0, runs = %s, total = 0, hash = %s WHERE id = %s",
                     ["[]", first.compute_hash(), first.pk], kind="block")
    texts = [text for _id, text in verify()[1]]
    assert any(f"clinic {patient.clinic_id}, block 2: link to the block before broken" in text for text in texts)


def test_a_late_event_below_sealed_ids_is_sealed_by_the_next_block(doctor, patient):
    """An event committed after a later one was sealed (a longer transaction) is not lost:
    the next seal takes it, and the block names exactly its ids."""
    early = record("view", user=doctor, patient=patient, obj=patient)
    record("view", user=doctor, patient=patient, obj=patient, detail={"n": 2})
    seal()
    block = AuditBlock.objects.get()
    # Pretend the first event was not there yet when the block was sealed.
    unguarded("UPDATE audit_auditblock SET runs = %s, count = 1, total = 1, digest = %s, hash = %s "
                     "WHERE id = %s", _resealed_without(block, early), kind="block")
    assert [tail["events"] for tail in unsealed()] == [1]
    assert seal() == 1
    assert AuditBlock.objects.get(seq=2).runs == [[early.pk, early.pk]]
    assert verify()[1] == []


def _resealed_without(block, *events):
    """The block's new columns as if ``events`` had not been committed when it was sealed."""
    kept = list(AuditEvent.objects.filter(clinic_id=block.chain).exclude(pk__in=[e.pk for e in events])
                .order_by("id").values_list("id", "hash"))
    block.runs, block.count, block.total = runs(i for i, _h in kept), len(kept), len(kept)
    block.digest = digest(kept)
    return [json.dumps(block.runs), block.digest, block.compute_hash(), block.pk]


def _rewritten_without(block, *events):
    """Rewrite ``block`` as if ``events`` had committed only after it was sealed."""
    columns = _resealed_without(block, *events)
    unguarded("UPDATE audit_auditblock SET runs = %s, count = %s, total = %s, digest = %s, hash = %s WHERE id = %s",
              [columns[0], block.count, block.total, *columns[1:]], kind="block")


def _committed_late(doctor, patient, age):
    """A sealed trail, then an event recorded ``age`` ago by a transaction that only now commits."""
    record("view", user=doctor, patient=patient, obj=patient)
    seal()
    late = AuditEvent(at=timezone.now() - age, username="long", clinic=patient.clinic, action="view")
    late.prev_hash, late.hash = "", late.compute_hash()
    late.save()


def test_an_event_older_than_the_quick_seals_lookback_is_found_by_the_days_lookback(doctor, patient):
    _committed_late(doctor, patient, timedelta(hours=1))
    assert seal() == 0
    assert unsealed()[0]["events"] == 1
    assert seal(lookback=timedelta(days=1)) == 1
    assert unsealed() == [] and verify()[1] == []


def test_a_sweep_finds_what_even_the_days_lookback_misses(doctor, patient):
    _committed_late(doctor, patient, timedelta(days=3))
    assert seal(lookback=timedelta(days=1)) == 0
    assert seal(sweep=True) == 1 and unsealed() == []


def test_blocks_cannot_be_changed_or_deleted(events):
    block = AuditBlock.objects.first()
    with pytest.raises(PermissionError):
        block.save()
    with pytest.raises(PermissionError):
        block.delete()
    with pytest.raises(PermissionError):
        AuditBlock.objects.all().delete()
    for sql in ("UPDATE audit_auditblock SET count = 0", "DELETE FROM audit_auditblock"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)


def test_events_cannot_be_changed_or_deleted_through_the_orm(events):
    event = AuditEvent.objects.get(pk=events[0].pk)
    event.username = "x"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_database_refuses_raw_updates(events):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET username = 'x' WHERE id = %s", [events[0].pk])


def test_database_refuses_raw_deletes(events):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])


def test_admin_offers_no_add_change_or_delete(admin_user, rf):
    from django.contrib import admin

    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_an_event_rolls_back_with_the_change_it_describes(doctor, patient):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record("update", user=doctor, patient=patient, obj=patient)
            raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def test_requests_seal_now_and_then(doctor_client, patient, settings):
    settings.SEGMENTA_AUDIT_SEAL_SECONDS = 0.001
    from segmenta.audit import trail

    trail._last_seal.update(quick=0.0, hourly=0.0)
    assert doctor_client.get(f"/patients/{patient.pk}/").status_code == 200
    assert unsealed() == [] and AuditBlock.objects.filter(chain=patient.clinic_id).exists()
    assert verify()[1] == []


def test_with_sealing_after_requests_off_events_wait_for_the_command(doctor_client, patient):
    assert doctor_client.get(f"/patients/{patient.pk}/").status_code == 200
    assert not AuditBlock.objects.exists() and unsealed()


def test_many_patients_of_many_clinics_verify(doctor, clinic, other_clinic):
    for number in range(30):
        person = make_patient(clinic if number % 3 else other_clinic, family=f"P{number}")
        record("view", user=doctor, patient=person, obj=person)
        if number % 7 == 0:
            seal()
    seal()
    assert AuditBlock.objects.filter(chain=0).count() == 0
    assert sum(AuditBlock.objects.values_list("count", flat=True)) == AuditEvent.objects.count() == 30
    assert verify()[1] == []


def _sealed_but_for_a_late_event(doctor, patient):
    """Two events sealed, then the block rewritten as if the first had committed late."""
    early = record("view", user=doctor, patient=patient, obj=patient)
    record("view", user=doctor, patient=patient, obj=patient, detail={"n": 2})
    seal()
    block = AuditBlock.objects.get(chain=patient.clinic_id)
    unguarded("UPDATE audit_auditblock SET runs = %s, count = 1, total = 1, digest = %s, hash = %s "
              "WHERE id = %s", _resealed_without(block, early), kind="block")
    return early


def test_a_seal_of_new_events_only_leaves_a_late_event_below_them_to_a_seal_that_looks_back(doctor, patient):
    """The frequent seal after requests reads only events above the highest sealed id, so its
    cost follows the new events; the late one below waits for the next seal that looks back."""
    _sealed_but_for_a_late_event(doctor, patient)
    newer = record("view", user=doctor, patient=patient, obj=patient, detail={"n": 3})
    assert seal(new_only=True) == 1
    assert AuditBlock.objects.get(seq=2).runs == [[newer.pk, newer.pk]]
    assert seal(new_only=True) == 0 and [tail["events"] for tail in unsealed()] == [1]
    assert seal() == 1 and unsealed() == [] and verify()[1] == []


def test_a_seal_that_looks_back_reads_the_events_between_sealed_ids_not_the_whole_window(
        doctor, patient, outsider, foreign_patient):
    """The hourly seal after requests looks back a day: it read every event of that day (86
    million at a thousand reads a second), in every process, every hour. It now reads the
    day's blocks, then only the events whose ids no block holds."""
    made = [record("view", user=user, patient=chart, obj=chart, detail={"n": n})
            for n in range(20) for user, chart in ((doctor, patient), (outsider, foreign_patient))]
    seal()
    late = made[20]  # one of the first clinic's, between sealed ids of both clinics
    _rewritten_without(AuditBlock.objects.get(chain=patient.clinic_id), late)
    assert [tail["events"] for tail in unsealed()] == [1]
    statements = []

    def kept(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kept):
        assert seal(lookback=timedelta(days=1)) == 1
    read = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            # (PostgreSQL reads an iterator through a declared cursor: its SELECT is run again.)
            select = sql[sql.find("SELECT"):] if "SELECT" in sql else ""
            if select.partition(" FROM ")[2].startswith('"audit_auditevent"'):
                cursor.execute(select, params)
                read += len(cursor.fetchall())
    assert read <= 2  # the first event of the window, and the late one (not 40)
    assert AuditBlock.objects.filter(chain=patient.clinic_id).order_by("seq").last().runs == [[late.pk, late.pk]]
    assert unsealed() == [] and verify()[1] == []


def test_the_frequent_seal_finds_the_highest_sealed_id_where_clinics_interleave(
        doctor, patient, outsider, foreign_patient):
    """The seal of new events asks the database for the highest id the recent blocks hold
    (the end of each block's last run), whatever runs the interleaved clinics left."""
    for n in range(5):
        for user, chart in ((doctor, patient), (outsider, foreign_patient)):
            record("view", user=user, patient=chart, obj=chart, detail={"n": n})
    last = [record("view", user=doctor, patient=patient, obj=patient, detail={"n": n}) for n in (5, 6)]
    seal()
    assert AuditBlock.objects.get(chain=patient.clinic_id).runs[-1] == [last[0].pk, last[1].pk]
    assert len(AuditBlock.objects.get(chain=foreign_patient.clinic_id).runs) == 5
    newer = record("view", user=doctor, patient=patient, obj=patient, detail={"n": 7})
    assert seal(new_only=True) == 1  # not the end of the last run again
    assert AuditBlock.objects.filter(chain=patient.clinic_id).order_by("seq").last().runs == [[newer.pk, newer.pk]]
    assert seal(new_only=True) == 0 and unsealed() == [] and verify()[1] == []


def test_a_seal_that_looks_back_asks_for_its_gaps_in_several_queries_and_misses_none(
        doctor, patient, outsider, foreign_patient, monkeypatch):
    from segmenta.audit import trail

    monkeypatch.setattr(trail, "_RANGES_PER_QUERY", 2)
    made = [record("view", user=user, patient=chart, obj=chart, detail={"n": n})
            for n in range(12) for user, chart in ((doctor, patient), (outsider, foreign_patient))]
    seal()
    late = [event for event in made if event.clinic_id == patient.clinic_id][:10:2]  # five gaps
    _rewritten_without(AuditBlock.objects.get(chain=patient.clinic_id), *late)
    record("view", user=doctor, patient=patient, obj=patient, detail={"n": "new"})  # and one above them
    assert [tail["events"] for tail in unsealed()] == [6]
    assert seal() == 6 and unsealed() == [] and verify()[1] == []  # six ranges: the last query has two


def test_a_seal_that_looks_back_finds_an_event_whose_time_and_id_disagree(doctor, patient):
    """Two requests can take their times in one order and their ids in the other: the
    window's earliest event need not have its lowest id."""
    record("view", user=doctor, patient=patient, obj=patient)
    seal()
    now = timezone.now()
    for seconds in (30, 31):  # the second one: a higher id, an earlier time
        event = AuditEvent(at=now - timedelta(seconds=seconds), username="x", clinic=patient.clinic, action="view")
        event.prev_hash, event.hash = "", event.compute_hash()
        event.save()
    assert seal() == 2 and unsealed() == [] and verify()[1] == []


def test_the_frequent_seal_takes_only_the_new_events_of_a_clinic_idle_for_longer_than_the_window(
        doctor, patient, outsider, foreign_patient, monkeypatch):
    """A clinic with no block among the recent ones: its history is sealed, not new."""
    from segmenta.audit import trail

    class HourAgo:
        @staticmethod
        def now():
            return timezone.now() - timedelta(hours=1)

    monkeypatch.setattr(trail, "timezone", HourAgo)
    record("view", user=doctor, patient=patient, obj=patient)
    assert seal() == 1
    monkeypatch.undo()
    record("view", user=outsider, patient=foreign_patient, obj=foreign_patient)
    assert seal() == 1
    newer = record("view", user=doctor, patient=patient, obj=patient, detail={"n": 1})
    assert seal(new_only=True) == 1
    assert AuditBlock.objects.filter(chain=patient.clinic_id).order_by("seq").last().runs == [[newer.pk, newer.pk]]
    assert unsealed() == [] and verify()[1] == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plans")
def test_a_seal_that_looks_back_reads_its_gaps_by_id_not_the_whole_table(doctor, patient, outsider, foreign_patient):
    made = [record("view", user=user, patient=chart, obj=chart, detail={"n": n})
            for n in range(5) for user, chart in ((doctor, patient), (outsider, foreign_patient))]
    seal()
    _rewritten_without(AuditBlock.objects.get(chain=patient.clinic_id), made[4])
    statements = []

    def kept(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kept):
        assert seal() == 1
    with connection.cursor() as cursor:
        plans = []
        for sql, params in statements:
            if sql.startswith("SELECT") and " OR " in sql:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                plans.append(" / ".join(row[-1] for row in cursor.fetchall()))
    assert plans and not [plan for plan in plans if "SCAN audit_auditevent" in plan], plans


def test_a_sealer_whose_chain_grew_while_it_read_leaves_the_chain_as_it_is(doctor, patient, monkeypatch):
    """What to seal is read without a lock; if another sealer extends the chain before this
    one writes, this one writes nothing (never a second block of the same events)."""
    from segmenta.audit import trail

    record("view", user=doctor, patient=patient, obj=patient)
    real_atomic, raced = trail.transaction.atomic, []

    def atomic_after_another_sealer(*args, **kwargs):
        if not raced:
            raced.append(True)
            assert seal() == 1  # the other sealer, between this one's read and its write
        return real_atomic(*args, **kwargs)

    monkeypatch.setattr(trail.transaction, "atomic", atomic_after_another_sealer)
    assert seal() == 0
    monkeypatch.undo()
    assert AuditBlock.objects.count() == 1 and unsealed() == [] and verify()[1] == []


def test_a_sealer_reads_its_chains_head_before_the_blocks_that_hold_its_candidates(doctor, patient, monkeypatch):
    """Another sealer can seal the same events between a sealer's two reads of a chain. Read
    head first and blocks after, the blocks show it; the other way round, the head would
    already show the other's block while the blocks did not, and the events went into a
    second block."""
    from segmenta.audit import trail

    record("view", user=doctor, patient=patient, obj=patient)
    seal()  # a block, so that the next seal looks back
    record("view", user=doctor, patient=patient, obj=patient, detail={"n": 2})
    real, state = trail._seal_chain, {"sealing": False, "reads": 0, "raced": False}

    def watched(*args, **kwargs):
        state["sealing"] = True
        try:
            return real(*args, **kwargs)
        finally:
            state["sealing"] = False

    def other_sealer_before_the_second_read(execute, sql, params, many, context):
        if state["sealing"] and not state["raced"] and 'FROM "audit_auditblock"' in sql:
            state["reads"] += 1
            if state["reads"] == 2:
                state["raced"] = True
                assert seal() == 1  # between this sealer's first and second read of the chain
        return execute(sql, params, many, context)

    monkeypatch.setattr(trail, "_seal_chain", watched)
    with connection.execute_wrapper(other_sealer_before_the_second_read):
        assert seal() == 0
    assert state["raced"] and AuditBlock.objects.count() == 2 and unsealed() == [] and verify()[1] == []


def test_requests_seal_new_events_often_and_look_back_once_a_minute(doctor_client, doctor, patient, settings):
    from segmenta.audit import trail

    settings.SEGMENTA_AUDIT_SEAL_SECONDS = 0.001
    _sealed_but_for_a_late_event(doctor, patient)
    now = trail.time.monotonic()
    trail._last_seal.update(quick=0.0, window=now, hourly=now)
    assert doctor_client.get(f"/patients/{patient.pk}/").status_code == 200
    assert [tail["events"] for tail in unsealed()] == [1]  # the chart's own view was sealed, the late one not
    trail._last_seal.update(quick=0.0, window=now - trail.WINDOW_EVERY_SECONDS)
    assert doctor_client.get(f"/patients/{patient.pk}/").status_code == 200
    assert unsealed() == [] and verify()[1] == []
