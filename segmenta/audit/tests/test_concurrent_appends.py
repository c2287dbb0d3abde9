"""Many clinics appending and sealing at once on PostgreSQL: no global lock, and still no
event lost, none sealed twice, every chain linked."""

import threading

import pytest
from django.db import close_old_connections, connection

from segmenta.accounts.models import Clinic
from segmenta.audit.models import AuditBlock, AuditEvent
from segmenta.audit.trail import record, seal, unsealed, verify

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")

CLINICS, WRITERS_PER_CLINIC, EVENTS_EACH = 6, 3, 25


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_and_seals_from_many_clinics_lose_and_duplicate_nothing():
    clinics = [Clinic.objects.create(name=f"Clinic {number}") for number in range(CLINICS)]
    start, errors, stop_sealing = threading.Barrier(CLINICS * WRITERS_PER_CLINIC + 2), [], threading.Event()

    def write(clinic, writer):
        try:
            start.wait()
            for number in range(EVENTS_EACH):
                record("view", username=f"w{writer}", clinic=clinic, detail={"n": number})
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    def keep_sealing():
        try:
            start.wait()
            while not stop_sealing.is_set():
                seal()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    writers = [threading.Thread(target=write, args=(clinic, writer))
               for clinic in clinics for writer in range(WRITERS_PER_CLINIC)]
    sealers = [threading.Thread(target=keep_sealing) for _ in range(2)]
    for thread in writers + sealers:
        thread.start()
    for thread in writers:
        thread.join()
    stop_sealing.set()
    for thread in sealers:
        thread.join()
    assert errors == []
    seal(sweep=True)
    expected = CLINICS * WRITERS_PER_CLINIC * EVENTS_EACH
    assert AuditEvent.objects.count() == expected
    assert sum(AuditBlock.objects.values_list("count", flat=True)) == expected
    for clinic in clinics:
        blocks = list(AuditBlock.objects.filter(chain=clinic.pk).order_by("seq"))
        assert [block.seq for block in blocks] == list(range(1, len(blocks) + 1))
        assert blocks[-1].total == WRITERS_PER_CLINIC * EVENTS_EACH
    assert unsealed() == []
    assert verify() == (expected, [])
