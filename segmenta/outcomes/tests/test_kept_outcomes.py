"""The practice outcomes' figures kept per complaint and patient are always what a
recomputation from every session gives, whatever was charted, changed or removed."""

from datetime import datetime, timedelta, timezone

from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmenta.accounts.models import Clinic
from segmenta.conftest import make_patient
from segmenta.outcomes import aggregates
from segmenta.outcomes.models import ComplaintOutcome, OutcomeParameters, PatientOutcome
from segmenta.outcomes.summary import summary
from segmenta.patients.models import Complaint, HistoryItem
from segmenta.treatment.models import AdverseEvent, ComplaintScore, Injection, Session

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
TARGETS = ["wheal", "paravertebral", "scar", "tooth", "stellate", "coeliac", "trigger_point"]
REGIONS = [[{"region": "shoulder"}], [{"region": "lower_back", "side": "left"}], [{"choir": 105}], []]

index = st.integers(0, 30)
operations = st.lists(st.one_of(
    st.tuples(st.just("session"), st.integers(0, 60)),
    st.tuples(st.just("score"), index, index, st.integers(0, 10)),
    st.tuples(st.just("inject"), index, st.sampled_from(TARGETS), st.booleans(), index,
              st.one_of(st.none(), st.integers(0, 100)), st.integers(0, 400), st.integers(0, 48)),
    st.tuples(st.just("response"), index, st.one_of(st.none(), st.integers(0, 100)), st.integers(0, 48)),
    st.tuples(st.just("remove_injection"), index),
    st.tuples(st.just("event"), index),
    st.tuples(st.just("remove_event"), index),
    st.tuples(st.just("move"), index, st.integers(0, 60)),
    st.tuples(st.just("delete_session"), index),
    st.tuples(st.just("sign"), index),
    st.tuples(st.just("region"), index, st.sampled_from(range(len(REGIONS)))),
    st.tuples(st.just("kind"), index, st.sampled_from(["scar", "tooth", "tonsils"])),
    st.tuples(st.just("delete_patient"),),
    st.tuples(st.just("add_complaint"), st.sampled_from(range(len(REGIONS)))),
    st.tuples(st.just("add_item"), st.sampled_from(["scar", "tooth", "tonsils"])),
), max_size=25)


def pick(items, i):
    return items[i % len(items)] if items else None


def drafts(patient):
    return list(Session.objects.filter(patient=patient, status="draft").order_by("id"))


def apply(clinic, ops):
    patient = make_patient(clinic, family="Kurs")
    complaints = [Complaint.objects.create(patient=patient, description=f"c{i}", regions=REGIONS[i]) for i in range(2)]
    items = [HistoryItem.objects.create(patient=patient, kind=kind, tooth="36" if kind == "tooth" else "",
                                        date="2010") for kind in ("scar", "tooth")]
    for op, *args in ops:
        open_sessions = drafts(patient)
        if op == "session":
            Session.objects.create(patient=patient, started_at=START + timedelta(days=args[0]))
        elif op == "score" and open_sessions:
            session, complaint = pick(open_sessions, args[0]), pick(complaints, args[1])
            score = ComplaintScore.objects.filter(session=session, complaint=complaint).first()
            if score:
                score.pre_nrs = args[2]
                score.save()
            else:
                ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=args[2])
        elif op == "inject" and open_sessions:
            session, target, tested, which, relief, onset, hours = pick(open_sessions, args[0]), *args[1:]
            Injection.objects.create(
                session=session, order=1, time=session.started_at, target=target, concentration_percent=1,
                volume_ml=1, verdict="ok", mg=10, cumulative_mg=10, history_item=pick(items, which) if tested else None,
                complaint=pick(complaints, which) if tested else None, relief_percent=relief, onset_seconds=onset,
                duration_hours=hours)
        elif op == "response":
            injection = pick(list(Injection.objects.filter(session__in=open_sessions).order_by("id")), args[0])
            if injection:
                injection.relief_percent, injection.duration_hours = args[1], args[2]
                injection.save()
        elif op == "remove_injection":
            injection = pick(list(Injection.objects.filter(session__in=open_sessions).order_by("id")), args[0])
            if injection:
                injection.delete()
        elif op == "event" and open_sessions:
            AdverseEvent.objects.create(session=pick(open_sessions, args[0]), kind="vasovagal")
        elif op == "remove_event":
            event = pick(list(AdverseEvent.objects.filter(session__in=open_sessions).order_by("id")), args[0])
            if event:
                event.delete()
        elif op == "move" and open_sessions:
            session = pick(open_sessions, args[0])
            session.started_at = START + timedelta(days=args[1])
            session.save()
        elif op == "delete_session" and open_sessions:
            session = pick(open_sessions, args[0])
            session.scores.all().delete()
            session.delete()
        elif op == "sign" and open_sessions:
            session = pick(open_sessions, args[0])
            session.status = Session.Status.SIGNED
            session.save(signing=True)
        elif op == "region":
            complaint = pick(complaints, args[0])
            complaint.regions = REGIONS[args[1]]
            complaint.save()
        elif op == "kind":
            item = pick(items, args[0])
            item.kind, item.tooth = args[1], "36" if args[1] == "tooth" else ""
            item.save()
        elif op == "add_complaint":  # charted mid-course: later scores refer to it
            complaints.append(Complaint.objects.create(patient=patient, description="new", regions=REGIONS[args[0]]))
        elif op == "add_item":
            items.append(HistoryItem.objects.create(patient=patient, kind=args[0], date="2011",
                                                    tooth="36" if args[0] == "tooth" else ""))
        elif op == "delete_patient":
            Session.objects.filter(patient=patient).update(status="draft")  # the retention purge's way round
            for session in Session.objects.filter(patient=patient):
                session.scores.all().delete()
                session.delete()
            Injection.objects.filter(history_item__in=items).delete()
            patient.delete()
            return


def kept():
    return (sorted(ComplaintOutcome.objects.values_list(*aggregates.COMPLAINT_COLUMNS)),
            sorted(PatientOutcome.objects.values_list(*aggregates.PATIENT_COLUMNS)))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations)
def test_the_kept_figures_equal_a_recomputation_after_any_sequence_of_changes(clinic, ops):
    apply(clinic, ops)
    before = kept()
    practice = summary(Clinic.objects.filter(pk=clinic.pk))
    aggregates.rebuild()
    assert kept() == before
    assert summary(Clinic.objects.filter(pk=clinic.pk)) == practice


def test_a_changed_knowledge_parameter_rebuilds_before_the_next_read(clinic):
    patient = make_patient(clinic)
    complaint = Complaint.objects.create(patient=patient, description="pain", regions=[{"region": "knee"}])
    for day, nrs in enumerate([8, 5]):
        session = Session.objects.create(patient=patient, started_at=START + timedelta(days=day))
        ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=nrs)
    OutcomeParameters.objects.update(fingerprint="computed with an older knowledge base")
    ComplaintOutcome.objects.all().delete()  # as if they were stale
    assert summary(Clinic.objects.filter(pk=clinic.pk))["overall"]["n"] == 1
    assert OutcomeParameters.objects.get().fingerprint == aggregates.fingerprint()


def test_the_rebuild_command_recomputes_every_figure(clinic, capsys):
    patient = make_patient(clinic)
    complaint = Complaint.objects.create(patient=patient, description="pain", regions=[{"region": "knee"}])
    session = Session.objects.create(patient=patient, started_at=START)
    ComplaintScore.objects.create(session=session, complaint=complaint, pre_nrs=7)
    before = kept()
    ComplaintOutcome.objects.all().delete()
    PatientOutcome.objects.update(sessions=99)
    call_command("outcomes", "rebuild")
    assert "1 complaints, 1 patients" in capsys.readouterr().out
    assert kept() == before


def test_a_new_complaint_or_history_item_recomputes_nothing(clinic, django_assert_max_num_queries):
    patient = make_patient(clinic)
    with django_assert_max_num_queries(9) as made:  # the inserts, their history, the guards
        Complaint.objects.create(patient=patient, description="pain", regions=[{"region": "knee"}])
        HistoryItem.objects.create(patient=patient, kind="scar", date="2010")
    assert not [q for q in made.captured_queries if "outcomes_" in q["sql"]]


def test_a_new_complaint_already_scored_in_its_transaction_counts(clinic):
    """References are checked at commit, so a score may name a complaint that is saved after
    it (an import writing rows in another order): the complaint's saving then recomputes."""
    patient = make_patient(clinic)
    session = Session.objects.create(patient=patient, started_at=START)
    later = Session.objects.create(patient=patient, started_at=START + timedelta(days=7))
    with transaction.atomic():
        pk = Complaint.objects.create(patient=patient, description="placeholder").pk + 1000
        ComplaintScore.objects.create(session=session, complaint_id=pk, pre_nrs=8)
        ComplaintScore.objects.create(session=later, complaint_id=pk, pre_nrs=3)
        assert not ComplaintOutcome.objects.filter(complaint_id=pk).exists()  # not there yet when scored
        Complaint.objects.create(pk=pk, patient=patient, description="pain", regions=[{"region": "knee"}])
    assert ComplaintOutcome.objects.get(complaint_id=pk).responder
    before = kept()
    aggregates.rebuild()
    assert kept() == before


def test_a_new_history_item_already_tested_in_its_transaction_counts(clinic):
    patient = make_patient(clinic)
    session = Session.objects.create(patient=patient, started_at=START)
    with transaction.atomic():
        pk = HistoryItem.objects.create(patient=patient, kind="scar", date="2009").pk + 1000
        Injection.objects.create(session=session, order=1, time=START, target="scar", concentration_percent=1,
                                 volume_ml=1, verdict="ok", mg=10, cumulative_mg=10, history_item_id=pk,
                                 relief_percent=80, onset_seconds=10, duration_hours=30)
        assert PatientOutcome.objects.get(patient_id=patient.pk).tests == 0  # not there yet when injected
        HistoryItem.objects.create(pk=pk, patient=patient, kind="scar", date="2010")
    assert PatientOutcome.objects.get(patient_id=patient.pk).tests == 1
    before = kept()
    aggregates.rebuild()
    assert kept() == before
