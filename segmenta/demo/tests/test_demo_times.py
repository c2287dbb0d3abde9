"""The demo looks like a clinic's real days: sessions in clinic hours on weekdays, in the
clinic's own time, and questionnaires dated with the sessions they were answered for."""

from datetime import time, timedelta

from django.core.management import call_command
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from segmenta.demo.practice import clinic_hours, weekly
from segmenta.outcomes.models import Response
from segmenta.treatment.models import Session


def run_demo():
    call_command("demo", stdout=open("/dev/null", "w"))


def test_demo_sessions_start_in_clinic_hours_on_weekdays_in_the_clinics_time(db):
    run_demo()
    starts = [timezone.localtime(s) for s in Session.objects.filter(
        patient__clinic__name__in=["Demo Praxis", "Other Clinic"]).values_list("started_at", flat=True)]
    assert len(starts) >= 20
    outside = [f"{s:%a %Y-%m-%d %H:%M}" for s in starts if not (time(8) <= s.time() <= time(17)) or s.weekday() > 4]
    assert outside == []


def test_weekly_sessions_keep_their_local_time_across_the_change_to_winter_time():
    first = clinic_hours(2)  # Tuesday 1 September 2026, 9:00 in Berlin (summer time)
    later = [timezone.localtime(weekly(first, n)) for n in range(10)]  # into November (winter time)
    assert {(d.weekday(), d.hour, d.minute) for d in later} == {(1, 9, 0)}
    assert later[0].utcoffset() != later[-1].utcoffset()


def test_demo_questionnaires_are_dated_with_their_sessions_not_with_the_load(db):
    run_demo()
    loaded = timezone.now()
    responses = list(Response.objects.filter(patient__clinic__name="Demo Praxis").select_related("patient"))
    assert len(responses) >= 20
    for response in responses:
        starts = response.patient.sessions.values_list("started_at", flat=True)
        assert any(timedelta(0) < start - response.answered_at <= timedelta(hours=1) for start in starts), response
        assert loaded - response.answered_at > timedelta(days=1)
        assert parse_datetime(response.resource["authored"]) == response.answered_at
    first, latest = (sorted(r.answered_at for r in responses if r.patient_id == responses[0].patient_id)[i]
                     for i in (0, -1))
    assert latest - first >= timedelta(days=14)  # at the start of the course and at its end
