"""The injections that count toward the rolling limits are fetched by real hours, also on the
nights the clocks change: the engine counts 24 real hours, so a fetch by wall-clock hours
left out an injection 23.5 hours back on the day the clocks go forward (a false "ok")."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from segmenta.conftest import make_patient
from segmenta.knowledge.base import load
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.sessions import given_by_patient, given_elsewhere

BERLIN = ZoneInfo("Europe/Berlin")
UTC = datetime.UTC


def _injected(patient, doctor, at):
    session = Session.objects.create(patient=patient, practitioner=doctor, started_at=at)
    return Injection.objects.create(session=session, order=1, time=at, target="wheal", drug="procaine",
                                    concentration_percent=Decimal("1"), volume_ml=Decimal("1"), verdict="ok",
                                    mg=Decimal("10"), cumulative_mg=Decimal("10"), performed_by=doctor)


# Europe/Berlin: clocks forward on 29 March 2026 (a 23-hour day), back on 25 October (25 hours).
@pytest.mark.parametrize("now, then, counts", [
    # Noon CEST on the short day is 10:00 UTC; 10:30 UTC the day before is 23.5 real hours back.
    (datetime.datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN), datetime.datetime(2026, 3, 28, 10, 30, tzinfo=UTC), True),
    (datetime.datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN), datetime.datetime(2026, 3, 28, 9, 30, tzinfo=UTC), False),
    # Noon CET on the long day is 11:00 UTC; 12:30 UTC the day before is 22.5 real hours back,
    # 10:30 UTC is 24.5 hours back.
    (datetime.datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN), datetime.datetime(2026, 10, 24, 12, 30, tzinfo=UTC), True),
    (datetime.datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN), datetime.datetime(2026, 10, 24, 10, 30, tzinfo=UTC), False),
])
def test_an_injection_counts_by_real_hours_across_a_clock_change(clinic, doctor, now, then, counts):
    patient = make_patient(clinic)
    _injected(patient, doctor, then)
    kb = load()
    # The engine's own window (24 hours for the rolling total) says what must be fetched.
    assert (0 <= (now - then).total_seconds() < 24 * 3600) is counts
    assert bool(given_elsewhere(patient, None, now, kb)) is counts
    assert bool(given_by_patient(clinic, [patient.pk], now, kb)[patient.pk]) is counts
