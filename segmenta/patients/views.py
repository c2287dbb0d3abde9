"""Patient list, chart, create and edit, and the clinic's patient export."""

import csv
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from segmenta.accounts.access import clinics_of, reauth_required
from segmenta.accounts.context_processors import segmenta as page_context
from segmenta.audit.query import recent_access
from segmenta.audit.trail import record
from segmenta.spreadsheet import safe_cell
from segmenta.knowledge.base import load as knowledge_base
from segmenta.knowledge.service import for_clinic
from segmenta.prepared import Prepared, as_prefetched, of_patient

from .audit import record_list_view
from .chart import body_map_marks, list_review, nrs_courses, pregnancy_review, tooth_marks
from .forms import PatientForm
from .kept import Kept, stamp_key
from .models import (Allergy, ChartReview, Complaint, Condition, Consent, HistoryItem, Medication, Patient,
                     PregnancyStatus, WeightMeasurement)
from .versions import attach

PAGE_SIZE = 50
# A long chart shows its newest sessions and history items, and links to all of them.
CHART_SHOWN = {"sessions": 20, "history": 50}


def _visible(request):
    return Patient.objects.visible_to(request.user).select_related("clinic")


@login_required
def patient_list(request):
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(_visible(request).search(q), PAGE_SIZE).get_page(request.GET.get("page"))
    record_list_view(request, page.object_list, detail={"q": q, "page": page.number})
    return render(request, "patients/list.html", {
        "page": page, "q": q, "multi_clinic": clinics_of(request.user).count() > 1,
    })


# What the chart page reads of a patient, each query's SQL built once (segmenta/prepared.py):
# the chart is the most read page. Sessions, plans and their parts through the relations,
# without importing treatment (the floor above).
_MARKED = "entered_in_error_by"  # who marked an entry in error, shown beside it
_SESSION = Patient.sessions.rel.related_model
_SCORE = _SESSION.scores.rel.related_model
_INJECTION = _SESSION.injections.rel.related_model
_PLAN = Patient.plans.rel.related_model
_PLAN_REVIEW = _PLAN.reviews.rel.related_model
_CHART_LISTS = {
    **{name: (model, of_patient(model, related=(_MARKED,))) for name, model in (
        ("allergies", Allergy), ("medications", Medication), ("conditions", Condition),
        ("weights", WeightMeasurement), ("consents", Consent))},
    "complaints": (Complaint, of_patient(Complaint, "id", related=(_MARKED,))),
    "history": (HistoryItem, of_patient(HistoryItem, "id", related=(_MARKED,))),
    "pregnancy_statuses": (PregnancyStatus, of_patient(PregnancyStatus, related=("recorded_by", _MARKED))),
    "reviews": (ChartReview, of_patient(ChartReview, related=("recorded_by", _MARKED))),
    "plans": (_PLAN, of_patient(_PLAN, related=("complaint",))),
}
# Of a session only what the chart shows: a long course has a thousand injections.
_SESSIONS = Prepared(lambda clinic_id, patient_id: _SESSION.objects.filter(
    clinic_id=clinic_id, patient_id=patient_id).only("id", "clinic_id", "patient_id", "plan_id", "started_at", "status"),
    int, int)
# Scores only draw the courses: as rows, not objects (a long course has hundreds).
_SCORES = Prepared(lambda clinic_id, patient_id: _SCORE.objects.filter(
    clinic_id=clinic_id, session__patient_id=patient_id).order_by().values_list(
    "session_id", "complaint_id", "pre_nrs", "post_nrs"), int, int)
_PLAN_REVIEWS = Prepared(lambda clinic_id, patient_id: _PLAN_REVIEW.objects.filter(
    clinic_id=clinic_id, plan__patient_id=patient_id), int, int)


def _with_chart_lists(patient):
    """``patient`` with everything the chart page shows loaded, as prefetch_related would
    leave it, in a fixed number of queries."""
    key = (patient.clinic_id, patient.pk)
    loaded = patient._prefetched_objects_cache = {
        name: as_prefetched(rows(*key), model, patient=patient) for name, (model, rows) in _CHART_LISTS.items()}
    reviews = _grouped(_PLAN_REVIEWS(*key), "plan_id")
    sessions = _SESSIONS(*key)
    loaded["sessions"] = as_prefetched(sessions, _SESSION, patient=patient)
    # (A plan's sessions are the same objects as the patient's: the chart reads their times.)
    of_plan = _grouped(sessions, "plan_id")
    for plan in loaded["plans"]:
        plan._prefetched_objects_cache = {
            "sessions": as_prefetched(of_plan.get(plan.pk, []), _SESSION),
            "reviews": as_prefetched(reviews.get(plan.pk, []), _PLAN_REVIEW, plan=plan)}
    return patient


def _grouped(rows, attribute):
    found = {}
    for row in rows:
        found.setdefault(getattr(row, attribute), []).append(row)
    return found


class _Sites:
    """Injections of one target at one site, as the body map shows them: how many."""

    __slots__ = ("_labels", "count", "regions", "target")

    def __init__(self, target, regions, count, labels):
        self.target, self.regions, self.count, self._labels = target, regions, count, labels

    def get_target_display(self):
        return str(self._labels.get(self.target, self.target))


def _given(clinic_id, patient_id):
    return _INJECTION.objects.filter(clinic_id=clinic_id, session__patient_id=patient_id).order_by()


_GIVEN_PER_SESSION = Prepared(lambda clinic_id, patient_id: _given(clinic_id, patient_id).values(
    "session_id").annotate(count=Count("id"), mg=Sum("mg")).values_list("session_id", "count", "mg"), int, int)
_GIVEN_PER_SITE = Prepared(lambda clinic_id, patient_id: _given(clinic_id, patient_id).values(
    "target", "regions").annotate(count=Count("id")).values_list("target", "regions", "count"), int, int)


def _injections(patient):
    """{session id: (injections, total mg)} of the patient's injections: one query of sums,
    however long the course (a thousand injections, read one by one, cost the chart more
    than everything else it reads)."""
    return {session_id: (count, mg or 0)
            for session_id, count, mg in _GIVEN_PER_SESSION(patient.clinic_id, patient.pk)}


def _sites(patient):
    """[_Sites, …]: the patient's injections summed by target and place, for the body map."""
    labels = dict(_INJECTION._meta.get_field("target").flatchoices)
    return [_Sites(target, regions, count, labels)
            for target, regions, count in _GIVEN_PER_SITE(patient.clinic_id, patient.pk)]


def _pregnancy_rule(kb):
    """The pregnancy-status rule of ``kb`` (the clinic's knowledge base), None while it has none."""
    try:
        return kb.get("safety-rule", "pregnancy_status")
    except KeyError:  # the base has no safety rules at all yet
        return None


# The course charts of the charts open lately, drawn: a long course has hundreds of points
# (a chart of 100 sessions and 5 complaints spent 8 ms of its 45 drawing them, 220 KB of
# markup). At most 4 million characters of them per process, however long the courses
# (8 MB: Python holds text with an arrow or a dash in it at two bytes a character).
_courses_drawn = Kept(64, budget=4_000_000)


# The body map and the dental chart of the charts open lately, drawn: a map with a long
# history carries a tooltip for every marked segment (the chart of 1,000 injections and 200
# history items spent 5 ms of its 35 on them, the sums of its injections by place included).
_maps_drawn = Kept(64, budget=4_000_000)


def _drawn_map(patient, kept_key, complaints, history):
    """The chart's body map and dental chart as markup, kept under the patient's stamp (read
    before the lists) with the language and the knowledge base (the segments, their supply,
    the targets' names and the teeth). Only what is not entered in error is placed on them."""
    def draw():
        return render_to_string("patients/_chart_map.html", {
            "patient": patient, "map_marks": body_map_marks(complaints, history, _sites(patient)),
            "tooth_marks": tooth_marks(history)})
    key = None if kept_key is None else (*kept_key, translation.get_language(), knowledge_base().version)
    return _maps_drawn.get(key, draw)


def _drawn_courses(patient, kept_key, complaints, sessions, given):
    """The chart's NRS course charts as markup, kept under the patient's stamp (read before
    the lists) with everything else they are drawn from: the language, the time zone (the
    dates) and the knowledge base (the thresholds and their sources)."""
    def draw():
        courses = nrs_courses(complaints, sessions, day=timezone.localdate, injected=set(given),
                              scores=_SCORES(patient.clinic_id, patient.pk))
        return render_to_string("patients/_nrs_courses.html", {"nrs_courses": courses})
    key = None if kept_key is None else (
        *kept_key, translation.get_language(), timezone.get_current_timezone_name(), knowledge_base().version)
    return _courses_drawn.get(key, draw)


# The chart's own parts, drawn: its title, the entries, lists, map and courses, everything
# on the page that is the patient's data. A chart read again reads and draws none of it
# (the demo chart spent 10 of its 16 ms on them): only the safety strip, the alerts, the
# record-keeping card and Recent access are worked out for every read. At most 8 million
# characters of them per process.
_charts_drawn = Kept(64, budget=8_000_000, weight=lambda parts: sum(map(len, parts.values())))
# What stands in a kept drawing for the request's CSRF token (its forms post with it):
# random, so that no entry's text can forge it.
_CSRF_MARK = f"csrf-{secrets.token_hex(16)}"


@login_required
def patient_detail(request, pk):
    """The chart: complaints and history on the body map and dental chart, the
    clinical background with what has been reviewed, and who looked at it lately."""
    patient = Patient.objects.for_user_or_404(request.user, pk)
    # Read before the chart's lists, so that what is kept under it is never older than they are.
    kept_key = stamp_key(patient)
    record("view", request=request, patient=patient, obj=patient)
    shown = {"sessions": request.GET.get("sessions") == "all", "history": request.GET.get("history") == "all",
             "in_error": request.GET.get("in_error") == "shown"}
    sees_outcomes = page_context(request)["sees_outcomes"]
    kb = for_clinic(patient.clinic)
    key = None if kept_key is None else (
        *kept_key, translation.get_language(), timezone.get_current_timezone_name(), timezone.localdate(),
        knowledge_base().version, kb.version, patient.clinic.name, sees_outcomes, tuple(shown.values()))
    parts = _charts_drawn.get(key, lambda: _chart_parts(patient, kept_key, kb, shown, sees_outcomes))
    token = get_token(request)
    return render(request, "patients/detail.html", {
        "patient": patient,
        "recent": recent_access(patient),
        "chart": {name: mark_safe(part.replace(_CSRF_MARK, token)) for name, part in parts.items()},
    })


def _chart_parts(patient, kept_key, kb, shown, sees_outcomes):
    """{part: markup} of the chart's own parts (``shown``: the lists asked for whole, and the
    entries in error), drawn from its lists, which this loads into ``patient``."""
    if kept_key is not None:
        # The patient's own row as stored now: the caller read it before the stamp, and an
        # edit committed in between would otherwise be kept under the newer stamp.
        clinic = patient.clinic
        try:
            patient.refresh_from_db(from_queryset=Patient.objects.using(kept_key[0]).filter(clinic_id=clinic.pk))
        except Patient.DoesNotExist:  # deleted, or moved to another clinic, in between
            raise Http404("No patient matches the given query.") from None
        patient.clinic = clinic
    _with_chart_lists(patient)
    # Entries marked "entered in error" count nowhere and are listed apart, struck through,
    # when the user asks to see them.
    entries = {kind: list(items) for kind, items in (
        ("complaints", patient.complaints.all()), ("history", patient.history.all()),
        ("weights", patient.weights.all()), ("allergies", patient.allergies.all()),
        ("medications", patient.medications.all()), ("conditions", patient.conditions.all()),
        ("pregnancy", patient.pregnancy_statuses.all()), ("consents", patient.consents.all()),
        ("reviews", patient.reviews.all()))}
    in_error = {kind: [item for item in items if item.in_error] for kind, items in entries.items()}
    standing = {kind: [item for item in items if not item.in_error] for kind, items in entries.items()}
    complaints = standing["complaints"]
    history = standing["history"]
    sessions = list(reversed(patient.sessions.all()))  # the model orders newest first; the chart oldest first
    given = _injections(patient)
    allergies = standing["allergies"]
    medications = standing["medications"]
    reviews = standing["reviews"]
    # The map, the dental chart and the courses show everything; the lists fold when long.
    folded = {name: len(items) > CHART_SHOWN[name] and not shown[name]
              for name, items in (("sessions", sessions), ("history", history))}
    listed = {"sessions": sessions[-CHART_SHOWN["sessions"]:] if folded["sessions"] else sessions,
              "history": history[-CHART_SHOWN["history"]:] if folded["history"] else history}
    # The versions of every entry listed (one query per kind, however many).
    for kind, items in standing.items():
        attach(in_error[kind] + listed.get(kind, items))
    attach([patient])
    context = {
        "patient": patient,
        "csrf_token": _CSRF_MARK,
        "sees_outcomes": sees_outcomes,
        "complaints": complaints,
        "history": listed["history"],
        "folded": folded,
        "shown": CHART_SHOWN,
        "counts": {"sessions": len(sessions), "history": len(history)},
        "chart_map": _drawn_map(patient, kept_key, complaints, history),
        "sessions": [{"session": s, "total_mg": given.get(s.pk, (0, 0))[1],
                      "injections": given.get(s.pk, (0, 0))[0]} for s in reversed(listed["sessions"])],
        "nrs_courses": _drawn_courses(patient, kept_key, complaints, sessions, given),
        "plans": attach(patient.plans.all()),
        "weights": standing["weights"],
        # The latest height, which need not come with the latest weight (LAST dosing uses it).
        "height": next((w for w in standing["weights"] if w.height_cm is not None), None),
        "allergies": allergies,
        "medications": medications,
        "allergy_review": list_review(allergies, reviews, ChartReview.Kind.ALLERGIES),
        "medication_review": list_review(medications, reviews, ChartReview.Kind.MEDICATIONS),
        "reviews": reviews,
        "pregnancy": pregnancy_review(patient.sex, patient.birth_date, standing["pregnancy"],
                                      timezone.localdate(), _pregnancy_rule(kb)),
        "conditions": standing["conditions"],
        "consents": standing["consents"],
        "in_error": in_error,
        "in_error_count": sum(len(items) for items in in_error.values()),
        "show_errors": shown["in_error"],
    }
    return {name: render_to_string(f"patients/_chart_{name}.html", context)
            for name in ("title", "toggle", "map_card", "sections")}


@login_required
def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                patient = form.save(commit=False)
                patient.created_by = request.user
                patient.save()
                record("create", request=request, patient=patient, obj=patient)
        except IntegrityError:
            # Another request took the record number between our check and our write.
            form.add_error("record_number", _("Another patient of this clinic has this record number."))
            return render(request, "patients/form.html", {"form": form}, status=400)
        messages.success(request, _("Patient %(name)s added.") % {"name": patient.display_name})
        return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def patient_edit(request, pk):
    patient = get_object_or_404(_visible(request), pk=pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            record("update", request=request, patient=patient, obj=patient,
                   detail={"fields": sorted(form.changed_data)})
        messages.success(request, _("Changes saved."))
        return redirect("patients:detail", pk=patient.pk)
    if request.method == "GET":
        record("view", request=request, patient=patient, obj=patient, detail={"form": "edit"})
    return render(request, "patients/form.html", {"form": form, "patient": patient},
                  status=400 if form.errors else 200)


EXPORT_FIELDS = ["id", "clinic", "record_number", "family_name", "given_name", "birth_date", "sex", "phone", "email"]


@login_required
@reauth_required
def patient_export(request):
    """The patient register of the user's clinics as CSV, for the clinic's own records."""
    patients = _visible(request).order_by("clinic__name", "name_key", "id")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="segmenta-patients-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_FIELDS)
    per_clinic = {}
    for p in patients.iterator(chunk_size=500):
        writer.writerow([safe_cell(v) for v in (p.id, p.clinic.name, p.record_number, p.family_name, p.given_name,
                                            p.birth_date.isoformat(), p.sex, p.phone, p.email)])
        per_clinic.setdefault(p.clinic, []).append(p.pk)
    for clinic, ids in per_clinic.items():
        record("export", request=request, clinic=clinic, object_type="patient_list",
               detail={"format": "csv", "patients": len(ids)})
    return response
