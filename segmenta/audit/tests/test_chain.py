import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from segmenta.audit.models import GENESIS_HASH, AuditEvent
from segmenta.audit.trail import record, verify


@pytest.fixture
def events(doctor, patient):
    return [record("view", user=doctor, patient=patient, obj=patient, detail={"n": i}) for i in range(5)]


def test_each_event_carries_the_hash_of_the_one_before(events):
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert verify() == (5, [])


def test_verify_command_passes_an_intact_trail(events, capsys):
    call_command("audit", "verify")
    assert "audit trail OK: 5 events" in capsys.readouterr().out


def _bypass_triggers(sql, params):
    """What an attacker with database access could do: drop the guard, then rewrite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute(sql, params)


def test_verify_detects_an_edited_event(events, capsys):
    _bypass_triggers("UPDATE audit_auditevent SET username = %s WHERE id = %s", ["someone-else", events[2].pk])
    checked, problems = verify()
    assert problems == [(events[2].pk, "content does not match its hash (the event was changed)")]
    with pytest.raises(CommandError, match="FAILED") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode != 0
    assert f"event {events[2].pk}:" in capsys.readouterr().err


def test_verify_detects_a_removed_event(events):
    _bypass_triggers("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    _checked, problems = verify()
    assert [event_id for event_id, _ in problems] == [events[2].pk]


def test_verify_detects_a_rehashed_event(events):
    """Recomputing the edited event's own hash still breaks the link to the next one."""
    victim = AuditEvent.objects.get(pk=events[2].pk)
    victim.username = "forged"
    forged_hash = victim.compute_hash()
    _bypass_triggers("UPDATE audit_auditevent SET username = %s, hash = %s WHERE id = %s",
                           ["forged", forged_hash, victim.pk])
    _checked, problems = verify()
    assert [event_id for event_id, _ in problems] == [events[3].pk]


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
