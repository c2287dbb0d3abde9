"""Reports read from a real PostgreSQL streaming replica while it keeps up, and from the
primary when it lags or is gone. CI starts a replica with pg_basebackup and runs this file
with DATABASE_REPLICA_URL (SEGMENTA_REQUIRE_REPLICA=1 makes a missing replica a failure)."""

import os
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext

from segmenta.audit.models import AuditEvent
from segmenta.audit.trail import record
from segmenta.conftest import make_patient
from segmenta.patients.models import Patient
from segmenta.replica import REPLICA, ReplicaRouter, replica_lag, reports_from_replica

HAVE_REPLICA = REPLICA in settings.DATABASES
needs_replica = pytest.mark.skipif(not HAVE_REPLICA and not os.environ.get("SEGMENTA_REQUIRE_REPLICA"),
                                   reason="no DATABASE_REPLICA_URL (CI starts a real replica for this file)")


def test_without_a_replica_reports_read_from_the_primary(settings):
    if HAVE_REPLICA:
        pytest.skip("a replica is configured")
    with reports_from_replica() as (alias, lag):
        assert (alias, lag) == ("default", 0.0)
        assert ReplicaRouter().db_for_read(Patient) is None


def test_the_router_sends_nothing_to_the_replica_outside_reports_and_never_migrates_it():
    router = ReplicaRouter()
    assert router.db_for_read(Patient) is None and router.db_for_write(Patient) is None
    assert router.allow_migrate(REPLICA, "patients") is False and router.allow_migrate("default", "patients") is None


def _caught_up(seconds=15):
    deadline = time.monotonic() + seconds
    while replica_lag() != 0.0:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def _replay(paused):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_a_caught_up_replica_answers_the_reports_reads_and_the_primary_takes_their_writes(clinic, doctor):
    assert HAVE_REPLICA, "SEGMENTA_REQUIRE_REPLICA is set but DATABASE_REPLICA_URL is not"
    make_patient(clinic, family="Replicated")
    _caught_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica_queries, reports_from_replica() as (alias, lag):
        assert (alias, lag) == (REPLICA, 0.0)
        assert list(Patient.objects.values_list("family_name", flat=True)) == ["Replicated"]
        record("export", user=doctor, clinic=clinic, object_type="research_export")
    assert any("patients_patient" in query["sql"] for query in on_replica_queries.captured_queries)
    assert AuditEvent.objects.using("default").filter(object_type="research_export").count() == 1


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_a_replica_further_behind_than_allowed_is_skipped(clinic, settings):
    make_patient(clinic, family="Before")
    _caught_up()
    _replay(paused=True)
    try:
        make_patient(clinic, family="After")
        time.sleep(0.2)
        assert replica_lag() > 0
        settings.SEGMENTA_REPLICA_MAX_LAG_SECONDS = 0
        with reports_from_replica() as (alias, _lag):
            assert alias == "default" and Patient.objects.count() == 2
        # Allowed to lag an hour, the report reads the replica and does not see "After" yet.
        settings.SEGMENTA_REPLICA_MAX_LAG_SECONDS = 3600
        with reports_from_replica() as (alias, lag):
            assert alias == REPLICA and lag > 0 and Patient.objects.count() == 1
    finally:
        _replay(paused=False)
    _caught_up()


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_an_unreachable_replica_is_skipped_and_the_report_still_answers(clinic):
    make_patient(clinic)
    replica = connections[REPLICA]
    port = replica.settings_dict["PORT"]
    replica.close()
    replica.settings_dict["PORT"] = "1"
    try:
        with reports_from_replica() as (alias, _lag):
            assert alias == "default" and Patient.objects.count() == 1
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port


@needs_replica
@pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
def test_the_practice_outcomes_page_reads_from_the_replica(doctor_client):
    _caught_up()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica_queries:
        assert doctor_client.get("/outcomes/").status_code == 200
    assert on_replica_queries.captured_queries
