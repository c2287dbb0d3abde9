"""A trail written before blocks existed (one chain, each event carrying the hash of the one
before) migrates intact: its events are sealed into each clinic's first blocks and verify
passes; a change to them is still found both ways."""

import hashlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from segmenta.audit.models import GENESIS_HASH, AuditBlock
from segmenta.audit.trail import anchor, verify

BEFORE = [("audit", "0003_sqlite_no_delete")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _old_hash(prev, row):
    """The hash as events were written before blocks: the previous hash, then the content."""
    canonical = json.dumps({"at": row["at"].isoformat(), "user_id": None, "username": row["username"],
                            "clinic_id": row["clinic_id"], "patient_id": None, "action": "view", "object_type": "",
                            "object_id": "", "source_ip": None, "detail": {}},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev + canonical).encode("ascii")).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_chained_trail_migrates_into_sealed_blocks_intact(clinic, other_clinic):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("audit")
    _migrate(BEFORE)
    try:
        prev = GENESIS_HASH
        with connection.cursor() as cursor:
            for number in range(7):
                row = {"at": timezone.now(), "username": f"user{number}",
                       "clinic_id": [clinic.pk, other_clinic.pk, None][number % 3]}
                digest = _old_hash(prev, row)
                cursor.execute("INSERT INTO audit_auditevent (at, username, clinic_id, action, object_type, object_id, "
                               "detail, prev_hash, hash) VALUES (%s, %s, %s, 'view', '', '', '{}', %s, %s)",
                               [row["at"], row["username"], row["clinic_id"], prev, digest])
                prev = digest
    finally:
        _migrate(latest)
    assert {(block.chain, block.seq, block.count) for block in AuditBlock.objects.all()} == {
        (clinic.pk, 1, 3), (other_clinic.pk, 1, 2), (0, 1, 2)}
    assert verify() == (7, [])
    heads = {head["clinic"]: head["events"] for head in anchor()["chains"]}
    assert heads == {clinic.pk: 3, other_clinic.pk: 2, None: 2}
