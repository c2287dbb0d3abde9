"""Prepared queries (segmenta/prepared.py) answer exactly what their queryset answers
through the ORM: the same rows, in the same order, as the same instances with the same
related objects."""

import datetime
import threading

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from segmenta import prepared
from segmenta.accounts.backends import _TOTP_DEVICE, _USER, ModelBackend, OTPMiddleware
from segmenta.accounts.context_processors import _MEMBERSHIPS
from segmenta.accounts.models import ApiToken, Membership, _active_token
from segmenta.accounts.sessions import _SESSION, SessionStore
from segmenta.audit.query import _EVENTS_FROM, _LATEST_EVENTS, _RECENT_LINES, recent_access
from segmenta.audit.trail import record
from segmenta.conftest import make_patient, make_user
from segmenta.knowledge.base import load
from segmenta.outcomes.models import Alert
from segmenta.knowledge.service import _active_overrides
from segmenta.patients import models as m
from segmenta.patients.kept import _STAMPS, stamp_key, visible_stamp_key
from segmenta.patients.models import Patient, PatientStamp, _visible_patient, visible_query, visible_row
from segmenta.patients.versions import _of_one_patient
from segmenta.patients.views import (_GIVEN_PER_SESSION, _GIVEN_PER_SITE, _SCORES, _injections, _sites,
                                     _with_chart_lists)
from segmenta.treatment.case import chart_queryset, patient_case, stored_case, with_case_lists
from segmenta.treatment.models import Injection, Session
from segmenta.treatment.sessions import _GIVEN_NEAR, _GIVEN_NEAR_ELSEWHERE, given_elsewhere


def same(found, expected):
    """Instances equal field by field and annotation by annotation, related objects loaded alike."""
    assert [type(o) for o in found] == [type(o) for o in expected]
    for a, b in zip(found, expected):
        assert {f.attname: getattr(a, f.attname) for f in a._meta.concrete_fields} == \
            {f.attname: getattr(b, f.attname) for f in b._meta.concrete_fields}
        # (what prefetching left behind is compared by the tests of the chart, list by list)
        fields = {f.attname for f in a._meta.concrete_fields} | {"_state", "_prefetched_objects_cache"}
        assert {k: v for k, v in vars(a).items() if k not in fields} == \
            {k: v for k, v in vars(b).items() if k not in fields}
        assert a._state.fields_cache.keys() == b._state.fields_cache.keys()
        assert not a._state.adding


def test_the_token_check_finds_what_the_orm_finds(doctor, outsider):
    token, raw = ApiToken.issue(doctor, "t")
    revoked, raw_revoked = ApiToken.issue(outsider, "r")
    revoked.revoke()
    for key_hash in [token.key_hash, revoked.key_hash, "no such hash"]:
        expected = list(ApiToken.objects.select_related("user", "user__profile").filter(
            key_hash=key_hash, revoked_at__isnull=True, user__is_active=True))
        same(_active_token(key_hash), expected)
    assert _active_token(token.key_hash)[0].user == doctor
    assert ApiToken.authenticate(raw) == token and ApiToken.authenticate(raw_revoked) is None


def test_every_pages_session_user_and_memberships_are_found_as_the_orm_finds_them(doctor, clinic, other_clinic,
                                                                                  client):
    """The session (expired or not), its user (inactive ones too: the backend then refuses
    them) and the user's memberships, which the menu reads on every page."""
    from django.contrib.sessions.models import Session

    Membership.objects.create(user=doctor, clinic=other_clinic, role="admin")
    client.force_login(doctor)
    key = client.session.session_key
    now = timezone.now()
    for moment in [now, now + datetime.timedelta(days=400)]:  # the second: the session expired
        for session_key in [key, "no such key"]:
            same(_SESSION(session_key, moment), list(Session.objects.filter(session_key=session_key,
                                                                             expire_date__gt=moment)))
    assert len(_SESSION(key, now)) == 1 and SessionStore(key).load()["_auth_user_id"] == str(doctor.pk)
    assert SessionStore("no such key").load() == {} and SessionStore(None).load() == {}
    idle = make_user("idle", clinic)
    get_user_model().objects.filter(pk=idle.pk).update(is_active=False)
    for pk in [doctor.pk, idle.pk, 0]:
        same(_USER(pk), list(get_user_model().objects.filter(pk=pk)))
    assert ModelBackend().get_user(doctor.pk) == doctor
    assert ModelBackend().get_user(idle.pk) is None and ModelBackend().get_user("x") is None
    for user in [doctor, idle]:
        assert sorted(_MEMBERSHIPS(user.pk)) == sorted(user.memberships.values_list("clinic_id", "role"))
    assert sorted(_MEMBERSHIPS(doctor.pk)) == sorted([(clinic.pk, "practitioner"), (other_clinic.pk, "admin")])


def test_the_sessions_authenticator_is_found_as_django_otp_finds_it(doctor, clinic):
    from django_otp.models import Device
    from django_otp.plugins.otp_totp.models import TOTPDevice

    mine = TOTPDevice.objects.create(user=doctor, name="phone", confirmed=True)
    other = TOTPDevice.objects.create(user=make_user("other", clinic), name="theirs", confirmed=True)
    for pk in [mine.pk, other.pk, 0]:
        same(_TOTP_DEVICE(pk), list(TOTPDevice.objects.filter(id=pk)))
    middleware = OTPMiddleware(lambda request: None)
    for persistent_id in [mine.persistent_id, other.persistent_id, "otp_totp.totpdevice/0",
                          "otp_totp.totpdevice/x", "django_otp.plugins.otp_totp.models.TOTPDevice/%d" % mine.pk,
                          "otp_totp.totpdevice/%d" % 2**63, "otp_static.staticdevice/1", "nonsense"]:
        assert middleware._device_from_persistent_id(persistent_id) == Device.from_persistent_id(
            middleware._normalize_persistent_id(persistent_id)), persistent_id
    assert middleware._device_from_persistent_id(mine.persistent_id) == mine


def test_a_visible_patient_is_found_as_the_orm_finds_it(doctor, clinic, other_clinic):
    mine, theirs = make_patient(clinic), make_patient(other_clinic)
    for patient in [mine, theirs]:
        expected = list(Patient.objects.visible_to(doctor).select_related("clinic").filter(pk=patient.pk))
        same(_visible_patient(doctor.pk, patient.pk), expected)
    assert _visible_patient(doctor.pk, mine.pk)[0].clinic == clinic
    assert _visible_patient(doctor.pk, theirs.pk) == []


def test_a_visible_patients_stamps_are_those_stamp_key_reads(doctor, clinic, other_clinic):
    mine, theirs = make_patient(clinic), make_patient(other_clinic)
    clinic.jurisdiction = "DE"
    clinic.save()
    assert visible_stamp_key(doctor, mine.pk) == (clinic.pk, "DE", stamp_key(mine))
    assert stamp_key(mine) is not None
    for hidden in [theirs.pk, 10**9]:
        with pytest.raises(Http404):
            visible_stamp_key(doctor, hidden)
    # Without its stamp (a migration drops them all) nothing may be kept.
    PatientStamp.objects.filter(patient_id=mine.pk).delete()
    assert visible_stamp_key(doctor, mine.pk) == (clinic.pk, "DE", None)


def test_rows_hold_dates_as_stored_and_patients_made_of_them_hold_dates(doctor, clinic):
    """On SQLite a row's dates come as the text stored, not parsed (settings: detect_types),
    and a patient made of the row has them as the ORM gives them."""
    make_patient(clinic)
    query, values = visible_query(doctor)
    [row] = query.rows(*values)
    [patient] = query.made([row])
    stored = row[query.column("created_at")], row[query.column("birth_date")]
    expected = Patient.objects.get(pk=patient.pk)
    assert (patient.created_at, patient.birth_date) == (expected.created_at, expected.birth_date)
    assert patient.created_at.tzinfo is not None and isinstance(patient.birth_date, datetime.date)
    if connection.vendor == "sqlite":
        assert all(isinstance(value, str) for value in stored)


def test_the_list_of_visible_patients_pages_and_counts_as_the_orm_does(doctor, clinic, other_clinic):
    """In name order, a page at a time, of all the user's clinics or of one; nothing of a
    clinic the user does not belong to."""
    for number, name in enumerate(["Zeller", "Öztürk", "Abel", "Meier", "Abel"]):
        make_patient(clinic if number % 2 else other_clinic, family=name)
    third = make_patient(clinic.__class__.objects.create(name="Third"), family="Outside")
    Membership.objects.create(user=doctor, clinic=other_clinic, role="practitioner")
    everyone = Patient.objects.visible_to(doctor).with_clinic_name()
    for clinic_id, expected in [(None, everyone), (other_clinic.pk, everyone.filter(clinic_id=other_clinic.pk))]:
        query, values = visible_query(doctor, clinic_id)
        assert query.count(*values) == expected.count()
        for limit, offset in [(100, 0), (2, 0), (2, 2), (2, 4), (1, 50)]:
            page = list(expected[offset:offset + limit])
            same(query(*values, limit=limit, offset=offset), page)
            # The rows as the database returns them, made into patients one by one (as the
            # API's list does for a row it has not seen), are the same patients.
            rows = query.rows(*values, limit=limit, offset=offset)
            same([query.made([row])[0] for row in rows], page)
            assert [row[query.column("id")] for row in rows] == [p.pk for p in page]
            assert [row[query.column("clinic_id")] for row in rows] == [p.clinic_id for p in page]
    query, values = visible_query(doctor)
    assert third.pk not in [p.pk for p in query(*values)]
    # One patient, as the API's read takes it: a row like the list's, or a 404.
    for listed in everyone:
        one, row = visible_row(doctor, listed.pk)
        assert one.layout() == query.layout()
        same(one.made([row]), [listed])
    for hidden in (third.pk, "1", None):
        with pytest.raises(Http404):
            visible_row(doctor, hidden)
    with pytest.raises(Http404):
        visible_row(AnonymousUser(), everyone[0].pk)
    assert {p.clinic_name for p in query(*values)} == {clinic.name, other_clinic.name}
    assert visible_query(AnonymousUser()) is None


def test_a_clinics_active_overrides_are_those_the_orm_reads(clinic, other_clinic):
    from segmenta.knowledge.models import ClinicOverride
    for entry_id, owner, active in [("a", clinic, True), ("b", clinic, False), ("c", clinic, True),
                                    ("a", other_clinic, True)]:
        ClinicOverride.objects.create(clinic=owner, kind="drug", entry_id=entry_id, data={}, reason="r",
                                      active=active)
    for owner in [clinic, other_clinic]:
        same(_active_overrides(owner.pk), list(ClinicOverride.objects.filter(clinic=owner, active=True).order_by("id")))
    assert len(_active_overrides(clinic.pk)) == 2


def test_the_sql_is_built_once_and_run_with_each_calls_values(doctor, clinic):
    first, second = make_patient(clinic, family="Erste"), make_patient(clinic, family="Zweite")
    _visible_patient(doctor.pk, first.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert _visible_patient(doctor.pk, second.pk)[0].family_name == "Zweite"
    assert len(ctx) == 1


def test_a_value_the_sql_does_not_carry_once_is_refused(db):
    twice = prepared.Prepared(lambda pk: Patient.objects.filter(Q(pk=pk) | Q(clinic_id=pk)), int)
    prepared.ALL.remove(twice)
    with pytest.raises(ValueError):
        twice(1)


def test_the_case_reads_what_chart_queryset_reads(db):
    """Every demo chart (entries in error, sessions, test injections with follow-ups) gives
    the same case through the prepared lists as through chart_queryset()."""
    with open("/dev/null", "w") as quiet:
        call_command("demo", stdout=quiet)
    for patient in Patient.objects.select_related("clinic"):
        expected = patient_case(chart_queryset().get(pk=patient.pk))
        assert patient_case(with_case_lists(Patient.objects.select_related("clinic").get(pk=patient.pk))) == expected
        # Kept under the patient's stamp: the same case when built, and when read again.
        assert sorted(_STAMPS(patient.clinic_id, patient.pk)) == sorted(
            PatientStamp.objects.filter(clinic_id__in=(0, patient.clinic_id), patient_id__in=(0, patient.pk))
            .values_list("patient_id", "token"))
        assert stored_case(patient) == stored_case(patient) == expected
    # The demo has test injections, so the comparison covered them.
    assert any(patient_case(with_case_lists(p))["tests"] for p in Patient.objects.select_related("clinic"))


def _chart_by_prefetching(pk):
    """The chart's patient as prefetch_related loads it (how the chart page read it before)."""
    from django.db.models import Prefetch

    from segmenta.patients import views

    marked = "entered_in_error_by"
    return Patient.objects.select_related("clinic").prefetch_related(
        *(Prefetch(name, queryset=model.objects.select_related(*related).order_by(*order or model._meta.ordering))
          for name, (model, related, order)
          in {"allergies": (m.Allergy, [marked], []), "medications": (m.Medication, [marked], []),
              "conditions": (m.Condition, [marked], []), "weights": (m.WeightMeasurement, [marked], []),
              "consents": (m.Consent, [marked], []), "complaints": (m.Complaint, [marked], ["id"]),
              "history": (m.HistoryItem, [marked], ["id"]),
              "pregnancy_statuses": (m.PregnancyStatus, ["recorded_by", marked], []),
              "reviews": (m.ChartReview, ["recorded_by", marked], []),
              "plans": (views._PLAN, ["complaint"], [])}.items()),
        "plans__sessions", "plans__reviews", "sessions", "sessions__scores").get(pk=pk)


def test_the_chart_reads_what_prefetching_reads(db):
    """Every demo chart: each list, each plan's sessions and reviews, each session's scores,
    and every entry's versions, the same through prepared SQL as through the ORM."""
    from segmenta.patients.versions import histories

    with open("/dev/null", "w") as quiet:
        call_command("demo", stdout=quiet)
    doctor = get_user_model().objects.get(username="demo-doctor")
    compared = 0
    for pk in Patient.objects.visible_to(doctor).values_list("pk", flat=True):
        found, expected = _with_chart_lists(Patient.objects.for_user_or_404(doctor, pk)), _chart_by_prefetching(pk)
        same([found], [expected])
        for name, rows in expected._prefetched_objects_cache.items():
            got = list(found._prefetched_objects_cache[name])
            assert [r.pk for r in got] == [r.pk for r in rows], name
            if name != "sessions":  # the chart reads only some columns of a session
                same(got, list(rows))
        for plan, plan_expected in zip(found.plans.all(), expected.plans.all()):
            assert [(s.pk, s.started_at) for s in plan.sessions.all()] == \
                [(s.pk, s.started_at) for s in plan_expected.sessions.all()]
            same(list(plan.reviews.all()), list(plan_expected.reviews.all()))
        # The scores as the courses read them: rows of every session's scores.
        assert sorted(_SCORES(found.clinic_id, pk)) == sorted(
            (s.session_id, s.complaint_id, s.pre_nrs, s.post_nrs) for session in expected.sessions.all()
            for s in session.scores.all())
        for name in ["allergies", "medications", "conditions", "weights", "consents", "complaints", "history",
                     "pregnancy_statuses", "reviews", "plans"]:
            items = list(getattr(found, name).all())
            if items:
                model, ids = type(items[0]), [i.pk for i in items]
                assert histories(model, ids, found.clinic_id, patient_id=pk) == histories(model, ids, found.clinic_id)
                compared += 1
        assert histories(Patient, [pk], found.clinic_id, patient_id=pk) == histories(Patient, [pk], found.clinic_id)
    assert compared > 10


def test_every_prepared_query_of_the_code_is_compared_here(doctor, clinic):
    """All prepared queries run here from scratch: one added to the code without being run
    here fails, until it is added here and compared with the ORM above."""
    for query in prepared.ALL:
        query._compiled = threading.local()
    patient = make_patient(clinic)
    token, _raw = ApiToken.issue(doctor, "t")
    _active_token(token.key_hash)
    doctor.profile.trained_techniques()
    _visible_patient(doctor.pk, patient.pk)
    for clinic_id in [None, clinic.pk]:
        query, values = visible_query(doctor, clinic_id)
        query(*values, limit=10, offset=0)
    visible_row(doctor, patient.pk)
    visible_stamp_key(doctor, patient.pk)
    _with_chart_lists(Patient.objects.for_user_or_404(doctor, patient.pk))
    _injections(patient)
    _sites(patient)
    _SCORES(clinic.pk, patient.pk)
    for session in (None, Session.objects.create(patient=patient, started_at=timezone.now())):
        given_elsewhere(patient, session, timezone.now(), load())
    _active_overrides(clinic.pk)
    for model in apps.get_models():
        if hasattr(model, "versions") and _of_one_patient(model) is not None:
            _of_one_patient(model)(clinic.pk, patient.pk, 0)
    with_case_lists(patient)
    stored_case(patient)
    record("view", user=doctor, patient=patient, obj=patient)
    recent_access(patient)
    recent_access(patient)  # again: the window moved on from the events since
    _RECENT_LINES(clinic.pk, patient.pk, limit=10)  # (PostgreSQL's way)
    _EVENTS_FROM(patient.pk, 0), _LATEST_EVENTS(patient.pk)  # (SQLite's)
    Alert.open_on_chart(patient)
    _SESSION("a key", timezone.now())
    _USER(doctor.pk)
    _TOTP_DEVICE(0)
    _MEMBERSHIPS(doctor.pk)
    assert [q for q in prepared.ALL if not hasattr(q._compiled, "default")] == []


def test_the_charts_open_alerts_are_those_the_orm_reads(doctor, clinic):
    from segmenta.outcomes.models import Response

    patient, other = make_patient(clinic), make_patient(clinic, family="Zweite")
    for chart, acknowledged in ((patient, None), (patient, timezone.now()), (other, None), (patient, None)):
        answer = Response.objects.create(patient=chart, instrument="phq-9", answered_at=timezone.now(), resource={}, total=20,
                                         band="severe")
        Alert.objects.create(patient=chart, response=answer, code="phq9-item9", message="item 9",
                             acknowledged_at=acknowledged)
    found = Alert.open_on_chart(patient)
    assert len(found) == 2
    same(found, list(Alert.open_for([patient]).select_related("response")))


def test_the_charts_recent_access_lines_are_those_the_orm_reads(doctor, clinic):
    """Grouped by user, action and minute, with the latest time converted as the ORM does."""
    from segmenta.audit.query import _RECENT_LINES, _recent_lines

    patient, other = make_patient(clinic), make_patient(clinic, family="Zweite")
    for n in range(30):
        record("view" if n % 3 else "update", user=doctor, patient=patient if n % 4 else other, obj=patient)
    for chart in (patient, other):
        expected = list(_recent_lines(chart.clinic_id, chart.pk)[:10])
        assert expected and _RECENT_LINES(chart.clinic_id, chart.pk, limit=10) == expected
        assert {type(latest) for _user, _action, latest, _count in expected} == {datetime.datetime}
    assert _RECENT_LINES(patient.clinic_id, patient.pk, limit=1) == list(_recent_lines(patient.clinic_id, patient.pk)[:1])


def test_the_windows_events_are_those_the_orm_reads(doctor, clinic, other_clinic):
    """The events the chart's window of Recent access is built and moved on from: the
    patient's, of every clinic."""
    from segmenta.audit.models import AuditEvent

    patient, other = make_patient(clinic), make_patient(other_clinic, family="Zweite")
    ids = [record("view", user=doctor, patient=chart, obj=chart).pk for chart in [patient, other] * 5]
    record("view", user=doctor, patient=patient, clinic=other_clinic)  # filed under another clinic
    columns = ("id", "hash", "clinic_id", "username", "action", "at")
    for chart in (patient, other):
        events = AuditEvent.objects.filter(patient_id=chart.pk)
        assert _LATEST_EVENTS(chart.pk) == list(events.order_by("-id").values_list(*columns))
        assert _LATEST_EVENTS(chart.pk, limit=2) == list(events.order_by("-id").values_list(*columns)[:2])
        for first in (0, ids[3], ids[-1] + 1):
            assert _EVENTS_FROM(chart.pk, first) == list(
                events.filter(id__gte=first).order_by("id").values_list(*columns))
    assert {row[2] for row in _LATEST_EVENTS(patient.pk)} == {clinic.pk, other_clinic.pk}


def test_sums_and_counts_are_those_the_orm_reads(db):
    """Prepared values_list() queries (the chart's injections per session and per site) give
    the ORM's tuples, their values converted alike (a sum of milligrams as a Decimal)."""
    from django.db.models import Count, Sum

    from segmenta.treatment.models import Injection

    with open("/dev/null", "w") as quiet:
        call_command("demo", stdout=quiet)
    compared = 0
    for patient in Patient.objects.all():
        given = Injection.objects.filter(clinic_id=patient.clinic_id, session__patient_id=patient.pk).order_by()
        per_session = list(given.values("session_id").annotate(count=Count("id"), mg=Sum("mg")).values_list(
            "session_id", "count", "mg"))
        per_site = list(given.values("target", "regions").annotate(count=Count("id")).values_list(
            "target", "regions", "count"))
        assert sorted(_GIVEN_PER_SESSION(patient.clinic_id, patient.pk)) == sorted(per_session)
        assert sorted(_GIVEN_PER_SITE(patient.clinic_id, patient.pk), key=repr) == sorted(per_site, key=repr)
        compared += bool(per_session)
    assert compared >= 2
    found = [row for patient in Patient.objects.all() for row in _GIVEN_PER_SESSION(patient.clinic_id, patient.pk)]
    assert all(type(mg).__name__ == "Decimal" for _session, _count, mg in found if mg is not None)


def test_a_values_list_gives_its_columns_in_the_order_it_names_them(clinic):
    from django.db.models import Count

    for family in ["Abel", "Abel", "Zeller"]:
        make_patient(clinic, family=family)

    def build(clinic_id):
        return Patient.objects.filter(clinic_id=clinic_id).values("family_name").annotate(
            n=Count("id")).order_by("family_name")

    counted = prepared.Prepared(lambda clinic_id: build(clinic_id).values_list("n", "family_name"), int)
    prepared.ALL.remove(counted)
    assert counted(clinic.pk) == list(build(clinic.pk).values_list("n", "family_name")) == [(2, "Abel"), (1, "Zeller")]
    # Dictionaries and flat lists are not what a Prepared query gives: refused, not guessed.
    for other in (lambda clinic_id: build(clinic_id), lambda clinic_id: build(clinic_id).values_list("n", flat=True)):
        refused = prepared.Prepared(other, int)
        prepared.ALL.remove(refused)
        with pytest.raises(ValueError):
            refused(clinic.pk)


def test_injections_near_a_moment_are_those_the_orm_reads(db):
    """Every demo injection's own moment, a day either side and now: what the safety strip and
    the live check count as given near it, of every session or of all but one, through
    prepared SQL as through the ORM (the times compared as the database compares them)."""
    from datetime import timedelta

    with open("/dev/null", "w") as quiet:
        call_command("demo", stdout=quiet)
    compared = 0
    for injection in Injection.objects.select_related("session__patient"):
        patient, session_id = injection.session.patient, injection.session_id
        for when in (injection.time, injection.time - timedelta(hours=23), injection.time + timedelta(days=1),
                     timezone.now()):
            start, end = when - timedelta(hours=24), when + timedelta(hours=24)
            near = Injection.objects.filter(session__patient=patient, time__gte=start, time__lte=end
                                            ).select_related("product").order_by("time", "id")
            key = (patient.clinic_id, patient.pk, start, end)
            same(_GIVEN_NEAR(*key), list(near))
            same(_GIVEN_NEAR_ELSEWHERE(*key, session_id), list(near.exclude(session_id=session_id)))
            compared += bool(near)
    assert compared > 10
    # A time without its zone is refused: the ORM would read it in the default zone, the SQL as UTC.
    with pytest.raises(ValueError):
        _GIVEN_NEAR(1, 1, datetime.datetime(2026, 3, 1, 12), timezone.now())
    # Exactly at the window's edges: both ends count, as the ORM's gte and lte count them.
    edge = Injection.objects.select_related("session").first()
    assert edge.pk in [i.pk for i in _GIVEN_NEAR(edge.clinic_id, edge.session.patient_id, edge.time, edge.time)]


def test_the_trained_techniques_are_those_the_orm_reads(doctor, outsider):
    from segmenta.accounts.models import TrainingRecord, _training_records

    for user, techniques in [(doctor, [["wheal", "scar"], ["stellate"]]), (outsider, [])]:
        for covered in techniques:
            TrainingRecord.objects.create(profile=user.profile, course="c", provider="p", date="2024-01-01",
                                          hours=8, techniques=covered)
        same(_training_records(user.profile.pk), list(TrainingRecord.objects.filter(profile_id=user.profile.pk)))
    assert doctor.profile.trained_techniques() == ["scar", "stellate", "wheal"]
    assert outsider.profile.trained_techniques() == []


def test_a_deactivated_user_has_no_token(doctor):
    _token, raw = ApiToken.issue(make_user("leaver"), "t")
    leaver = ApiToken.authenticate(raw).user
    leaver.is_active = False
    leaver.save()
    assert ApiToken.authenticate(raw) is None


def test_the_versions_of_the_newest_entries_are_those_the_orm_reads(clinic, doctor):
    """The chart reads the versions of a patient's entries from the first it lists on: the
    same versions as the ORM's query by id, for a list that leaves older entries out."""
    from segmenta.patients.models import Complaint
    from segmenta.patients.versions import histories

    patient = make_patient(clinic)
    first, second, third = (Complaint.objects.create(patient=patient, description=f"Pain {n}") for n in range(3))
    for complaint in (first, third):
        complaint.description += " (changed)"
        complaint.save()
    for ids in ([third.pk, second.pk], [third.pk], [first.pk, third.pk]):
        assert histories(Complaint, ids, clinic.pk, patient.pk) == histories(Complaint, ids, clinic.pk)
    assert len(histories(Complaint, [third.pk], clinic.pk, patient.pk)[third.pk]) == 2


def test_a_prepared_insert_stores_what_save_stores(patient, doctor):
    """An audit event written through its prepared insert and one written by the ORM's own
    save() hold the same values, read back as the hash reads them, and both verify."""
    from django.db.models import Model

    from segmenta.audit.models import AuditEvent

    now = timezone.now()

    def event():
        made = AuditEvent(at=now, user=doctor, username="doctor", clinic=patient.clinic, patient=patient,
                          action="view", object_type="patient", object_id=str(patient.pk), source_ip="10.0.0.1",
                          detail={"api": True, "q": "Müller", "ids": [1, 2], "dose": "0.5"}, prev_hash="")
        made.hash = made.compute_hash()
        return made

    prepared_row, orm_row = event(), event()
    prepared_row.save()  # AuditEvent.save() inserts through PreparedInsert
    Model.save(orm_row, force_insert=True)  # Django's own insert
    assert prepared_row.pk and orm_row.pk and prepared_row.pk != orm_row.pk
    got = AuditEvent.objects.in_bulk([prepared_row.pk, orm_row.pk])
    columns = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]
    assert [getattr(got[prepared_row.pk], c) for c in columns] == [getattr(got[orm_row.pk], c) for c in columns]
    assert got[prepared_row.pk].compute_hash() == got[prepared_row.pk].hash == prepared_row.hash
    with pytest.raises(ValueError):
        prepared.PreparedInsert(AuditEvent)(got[prepared_row.pk])


def test_several_events_inserted_at_once_store_what_save_stores(patient, other_clinic, doctor):
    """AuditEvent.insert(a, b, c) writes each row as save() writes it, in one statement, and
    gives each event its own id in the order given (a list of two clinics' patients records
    its two events so)."""
    from django.db.models import Model

    from segmenta.audit.models import AuditEvent

    now = timezone.now()

    def event(clinic_id, n):
        made = AuditEvent(at=now, user=doctor, username="doctor", clinic_id=clinic_id, patient=None, action="view",
                          object_type="patient_list", object_id="", source_ip="10.0.0.1",
                          detail={"api": True, "patients": [n, n + 1]}, prev_hash="")
        made.hash = made.compute_hash()
        return made

    clinics = [patient.clinic_id, other_clinic.pk, patient.clinic_id]
    together = [event(c, n) for n, c in enumerate(clinics)]
    one_by_one = [event(c, n) for n, c in enumerate(clinics)]
    with CaptureQueriesContext(connection) as queries:
        AuditEvent.insert(*together)
    assert len(queries) == 1
    for made in one_by_one:
        Model.save(made, force_insert=True)
    assert [e.pk for e in together] == sorted(e.pk for e in together)
    got = AuditEvent.objects.in_bulk([e.pk for e in together + one_by_one])
    columns = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]
    for mine, theirs in zip(together, one_by_one):
        assert [getattr(got[mine.pk], c) for c in columns] == [getattr(got[theirs.pk], c) for c in columns]
        assert got[mine.pk].compute_hash() == got[mine.pk].hash == mine.hash
    with pytest.raises(PermissionError):
        AuditEvent.insert(event(patient.clinic_id, 9), got[together[0].pk])
