"""A stored patient in the case format (segmenta-case/1), for the engines and exports."""

import logging

from django.db.models import Prefetch
from django.utils import timezone

from segmenta import caseformat
from segmenta.patients import models as chart
from segmenta.patients.kept import Kept, stamp_key
from segmenta.patients.models import Complaint, Consent, HistoryItem, Patient
from segmenta.prepared import Prepared, as_prefetched, of_patient
from segmenta.validators import when_problem

from .models import FollowUp, Injection, Session


def chart_queryset():
    """Patients with everything the case needs, in a fixed number of queries."""
    return Patient.objects.prefetch_related(
        "allergies",
        "medications",
        "conditions",
        Prefetch("complaints", queryset=Complaint.objects.order_by("id")),
        Prefetch("history", queryset=HistoryItem.objects.order_by("id")),
        "weights",
        "pregnancy_statuses",
        "reviews",
        "consents",
        Prefetch("sessions__injections", queryset=Injection.objects.filter(
            history_item__isnull=False, complaint__isnull=False, relief_percent__isnull=False
        ).prefetch_related("follow_ups").order_by("time", "id"), to_attr="test_injections"),
    )


def _of_patient(model, *order):
    """(model, a patient's rows of ``model`` (its clinic named), in ``order`` or the model's own)."""
    return model, of_patient(model, *order)


# What chart_queryset() prefetches, each query's SQL built once (segmenta/prepared.py): the
# case export is read on every assessment, safety check and API export.
_LISTS = {
    "allergies": _of_patient(chart.Allergy), "medications": _of_patient(chart.Medication),
    "conditions": _of_patient(chart.Condition), "complaints": _of_patient(Complaint, "id"),
    "history": _of_patient(HistoryItem, "id"), "weights": _of_patient(chart.WeightMeasurement),
    "pregnancy_statuses": _of_patient(chart.PregnancyStatus), "reviews": _of_patient(chart.ChartReview),
    "consents": _of_patient(Consent), "sessions": _of_patient(Session),
}
_TESTS = Prepared(lambda clinic_id, patient_id: Injection.objects.filter(
    clinic_id=clinic_id, session__patient_id=patient_id, history_item__isnull=False, complaint__isnull=False,
    relief_percent__isnull=False).order_by("time", "id"), int, int)
_FOLLOW_UPS = Prepared(lambda clinic_id, patient_id: FollowUp.objects.filter(
    clinic_id=clinic_id, session__patient_id=patient_id, injection__isnull=False), int, int)


def with_case_lists(patient):
    """``patient`` with the lists the case reads loaded, as chart_queryset() loads them."""
    key = (patient.clinic_id, patient.pk)
    cache = patient._prefetched_objects_cache = getattr(patient, "_prefetched_objects_cache", {})
    for name, (model, rows) in _LISTS.items():
        cache[name] = as_prefetched(rows(*key), model)
    tests, follow_ups = {}, {}
    for follow_up in _FOLLOW_UPS(*key):
        follow_ups.setdefault(follow_up.injection_id, []).append(follow_up)
    for injection in _TESTS(*key):
        injection._prefetched_objects_cache = {
            "follow_ups": as_prefetched(follow_ups.get(injection.pk, []), FollowUp)}
        tests.setdefault(injection.session_id, []).append(injection)
    for session in cache["sessions"]:
        session.test_injections = tests.get(session.pk, [])
    return patient


log = logging.getLogger(__name__)


def _sane(obj, field):
    """``obj.field``, or None when it lies outside the clinical range: a date stored before
    the app refused such dates is left out of the case (the engines then treat it as unknown,
    which warns) with a warning in the log, never passed on; `segmenta dates check` lists it
    for a clinician to correct."""
    value = getattr(obj, field)
    if value is not None and when_problem(value, "year"):
        log.warning("case of patient %s: %s %s %s lies outside the clinical range; left out",
                    getattr(obj, "patient_id", obj.pk), obj._meta.label_lower, obj.pk, field)
        return None
    return value


def _iso(value):
    return value.isoformat() if value is not None else None


def _standing(items):
    """The entries that count: those marked "entered in error" count nowhere (they stay in
    the chart, struck through, with every version)."""
    return [item for item in items if item.entered_in_error_at is None]


def _latest(items):
    items = _standing(items)  # already ordered newest first by the model
    return items[0] if items else None


def _newest(items):
    """The newest of ``items`` by (date, id), whatever order they come in."""
    return max(items, key=lambda item: (item.date, item.pk), default=None)


def _reviewed(patient, pregnancy):
    """When each list was last reviewed (ISO date), None where never: unknown is not none."""
    reviews = _standing(patient.reviews.all())
    reviewed = {}
    for kind in ("allergies", "medications"):
        review = _newest([r for r in reviews if r.kind == kind])
        reviewed[kind] = _iso(_sane(review, "date")) if review else None
    reviewed["pregnancy"] = _iso(_sane(pregnancy, "date")) if pregnancy else None
    return reviewed


def _consent(patient):
    """The latest consent by (date, id): given with its scope, refused, withdrawn, or none."""
    consent = _newest(_standing(patient.consents.all()))
    if consent is None:
        return {"status": "none"}
    if consent.decision == Consent.Decision.REFUSED:
        found = {"status": "refused", "date": _iso(_sane(consent, "date"))}
    elif consent.withdrawn_on is not None:
        found = {"status": "withdrawn", "date": _iso(_sane(consent, "withdrawn_on"))}
    else:
        found = {"status": "given", "date": _iso(_sane(consent, "date")), "scope": list(consent.scopes)}
    return {key: value for key, value in found.items() if value is not None}


def _medication(medication):
    item = {"name": medication.name, "class": medication.medication_class}
    last_dose = _sane(medication, "last_dose")
    if last_dose is not None:
        # In the clinic's time zone, to the minute: what the patient was asked and said.
        item["last_dose"] = timezone.localtime(last_dose).isoformat(timespec="minutes")
    return item


def _height(patient):
    """The latest recorded height: weights are newest first, not every one has a height."""
    return next((float(w.height_cm) for w in _standing(patient.weights.all()) if w.height_cm is not None), None)


def _coded(value):
    return list(value or [])


def _tests(patient, history, complaints):
    """Test injections recorded in sessions: the item, the complaint and the response.

    The relief's duration is the one recorded with the injection, else the longest
    a follow-up reported. A test of an item or complaint entered in error is left out
    with it (``history`` and ``complaints``: the case ids that count).
    """
    tests = []
    for session in sorted(patient.sessions.all(), key=lambda s: s.started_at):
        for injection in session.test_injections:
            if f"h{injection.history_item_id}" not in history or f"c{injection.complaint_id}" not in complaints:
                continue
            hours = injection.duration_hours
            if hours is None:
                reported = [f.relief_hours for f in injection.follow_ups.all() if f.relief_hours is not None]
                hours = max(reported) if reported else None
            test = {"history_id": f"h{injection.history_item_id}", "complaint_id": f"c{injection.complaint_id}",
                    "relief_percent": injection.relief_percent}
            if _sane(injection, "time") is not None:
                test["date"] = injection.time.date().isoformat()
            if injection.onset_seconds is not None:
                test["onset_seconds"] = injection.onset_seconds
            if hours is not None:
                test["duration_hours"] = float(hours)
            tests.append(test)
    return tests


def patient_case(patient, practitioner=None):
    """The case for ``patient``; ``practitioner`` is a PractitionerProfile, if known."""
    weight = _latest(patient.weights.all())
    pregnancy = _newest(_standing(patient.pregnancy_statuses.all()))
    height = _height(patient)
    complaints = []
    findings = []
    for c in _standing(patient.complaints.all()):
        item = {"id": c.case_id, "description": c.description, "regions": _coded(c.regions),
                "organs": _coded(c.organs), "status": c.status, "findings": _coded(c.findings)}
        if c.onset:
            item["onset"] = c.onset
        if c.nrs is not None:
            item["nrs"] = c.nrs
        complaints.append(item)
        if c.status == "active":
            findings.extend(f for f in c.findings if f not in findings)
    history = []
    for h in _standing(patient.history.all()):
        item = {"id": h.case_id, "kind": h.kind, "description": h.description, "regions": _coded(h.regions),
                "organs": _coded(h.organs), "signs": _coded(h.signs)}
        if h.tooth:
            item["tooth"] = h.tooth
        if h.date:
            item["date"] = h.date
        if h.notes:
            item["notes"] = h.notes
        history.append(item)
    case = {
        "format": caseformat.FORMAT,
        "patient": {
            "sex": patient.sex,
            "birth_date": _iso(_sane(patient, "birth_date")),
            "weight_kg": float(weight.weight_kg) if weight else None,
            "pregnant": {"pregnant": True, "not_pregnant": False}.get(pregnancy.status) if pregnancy else None,
            "allergies": [{"substance": a.substance, "class": a.allergy_class}
                          for a in _standing(patient.allergies.all()) if a.active],
            "medications": [_medication(m) for m in _standing(patient.medications.all()) if m.active],
            "conditions": sorted({c.code for c in _standing(patient.conditions.all()) if c.code and c.active}),
            "reviewed": _reviewed(patient, pregnancy),
        },
        "consent": _consent(patient),
        "complaints": complaints,
        "history": history,
        "findings": findings,
        "tests": _tests(patient, {h["id"] for h in history}, {c["id"] for c in complaints}),
        "planned_injections": [],
    }
    if case["patient"]["birth_date"] is None:
        del case["patient"]["birth_date"]  # stored out of range: the engines take the age as unknown
    if height is not None:
        case["patient"]["height_cm"] = height
    if practitioner is not None:
        # Only a profession a clinic admin verified counts; the engine treats any other as unknown.
        case["practitioner"] = practitioner.case_practitioner(patient.clinic)
    return case


KEPT = 128  # cases kept per process: the charts open in a clinic's day, not every chart
_kept = Kept(KEPT)


def stored_case(patient):
    """``patient_case(patient)`` (no practitioner) as stored now, kept between requests
    where the database has stamps (``kept_case``)."""
    return stored_case_and_key(patient)[0]


def stored_case_and_key(patient):
    """(stored_case(patient), the key it is kept under, or None where nothing is kept): what
    is worked out from the case may be kept under the same key."""
    case, key = _kept_with_key(patient)
    return (case, key) if case is not None else (patient_case(with_case_lists(patient)), None)


def kept_case(patient):
    """``patient_case(patient)`` (no practitioner) as stored now, kept between requests;
    None where nothing may be kept (the database has no stamps).

    Why: the export reads 14 lists, most of its time, and external systems ask for the same
    charts again and again; the chart page's safety strip reads it on every view. A kept case
    is keyed on the patient's stamp (segmenta/patients/kept.py), and on the day and time zone
    it was worked out in (a date is checked against today). The stamp is read first and the
    patient and lists after it, so a case is never older than its key.

    The dict returned may be shared with other requests: copy before changing it.
    """
    return _kept_with_key(patient)[0]


def _kept_with_key(patient):
    return kept_case_of(patient.clinic_id, patient.pk, stamp_key(patient))


def stored_case_of(clinic_id, patient_id, stamp, using="default"):
    """stored_case_and_key() for a patient known by its ids and ``stamp``, its stamp_key read
    already (or None where the database has none): patients/kept.py visible_stamp_key() reads
    it with the patient's visibility in one query. None for the case if the patient is gone."""
    case, key = kept_case_of(clinic_id, patient_id, stamp)
    if key is None:
        return _case_as_stored(clinic_id, patient_id, using), None
    return case, key if case is not None else None  # (a case kept is never None: the patient is gone)


def kept_case_of(clinic_id, patient_id, stamp):
    """(the kept case, its key) of the patient with ``stamp`` (stamp_key); (None, None) where
    nothing may be kept."""
    if stamp is None:
        return None, None
    key = (*stamp, timezone.localdate(), timezone.get_current_timezone_name())
    return _kept.get(key, lambda: _case_as_stored(clinic_id, patient_id, key[0])), key


def _case_as_stored(clinic_id, patient_id, using):
    """The case of the patient as stored after the stamp was read (a caller's copy may be
    older); None if the patient is gone."""
    fresh = Patient.objects.using(using).filter(clinic_id=clinic_id, pk=patient_id).first()
    return None if fresh is None else patient_case(with_case_lists(fresh))
