"""The day at a glance: each practitioner's appointments with the patient's safety strip and
the questionnaire due at the visit, beside the unsigned sessions, the questionnaires waiting
for an answer and the day's no-shows.

A practitioner sees their own day (and the whole clinic's on asking); a clinic admin or an
assistant, who run the front desk, see every practitioner of the clinic. Every list is read
in a fixed number of queries however full the day is: the strips' chart lists for all the
day's patients at once, the rolling dose window in one query (``given_by_patient``), the
plans' sessions and reviews prefetched.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from segmenta.accounts.access import chosen_clinic
from segmenta.accounts.models import Membership, Role
from segmenta.knowledge.service import for_clinic
from segmenta.outcomes.labels import instrument_title
from segmenta.outcomes.models import AnswerLink, Response, clinic_instruments
from segmenta.patients.audit import record_list_view
from segmenta.patients.models import HistoryItem, Patient
from segmenta.treatment.case import patient_case
from segmenta.treatment.models import Session
from segmenta.treatment.sessions import STRIP_LISTS, given_by_patient, strip_facts

from .day import order_practitioners, split_at, visit_questionnaires
from .models import Appointment
from .views import _day  # the calendar's reading of ?date= (today when missing or invalid)

# Those a day belongs to: who treats (assistants book for them).
TREATING = (Role.ADMIN, Role.PRACTITIONER)

# The side lists are worklists, not archives: the oldest this many are shown, with a count.
SIDE_LIMIT = 50


def _midnight(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@login_required
def today(request):
    clinic, clinics = chosen_clinic(request)
    if clinic is None:
        raise Http404
    day = _day(request.GET.get("date"))
    now = timezone.now()
    role = Membership.objects.filter(user=request.user, clinic=clinic).values_list("role", flat=True).first()
    treating = list(get_user_model().objects.filter(memberships__clinic=clinic, memberships__role__in=TREATING,
                                                   is_active=True).order_by("username"))
    whole_clinic = role != Role.PRACTITIONER or request.GET.get("all") == "1"
    me = next((p for p in treating if p.pk == request.user.pk), None)
    shown = order_practitioners(treating, me) if whole_clinic or me is None else [me]
    ids = [p.pk for p in shown]

    start, end = _midnight(day), _midnight(day + datetime.timedelta(days=1))
    appointments = list(
        Appointment.objects.filter(clinic=clinic, practitioner_id__in=ids, starts_at__lt=end, ends_at__gt=start)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("type", "room", "session")
        .prefetch_related(Prefetch("plan__sessions", queryset=Session.objects.only("id", "plan_id", "started_at")),
                          "plan__reviews")
        .order_by("starts_at", "id"))
    first_of_today = _midnight(timezone.localdate())
    drafts = list(Session.objects.filter(clinic=clinic, practitioner_id__in=ids, status=Session.Status.DRAFT,
                                         started_at__lt=_midnight(timezone.localdate() + datetime.timedelta(days=1)))
                  .select_related("patient__clinic").order_by("started_at", "id")[:SIDE_LIMIT + 1])
    links = list(AnswerLink.objects.filter(clinic=clinic, used_at__isnull=True, expires_at__gt=now)
                 .select_related("patient__clinic").order_by("created_at", "id")[:SIDE_LIMIT + 1])

    patients = _patients_with_strip_lists(clinic, {a.patient_id for a in appointments})
    strips = _strips(clinic, patients, now)
    answered = {}
    for patient_id, instrument in (Response.objects.filter(clinic=clinic, patient_id__in=patients)
                                   .order_by().values_list("patient_id", "instrument").distinct()):
        answered.setdefault(patient_id, set()).add(instrument)
    waiting = {}
    for link in links:
        waiting.setdefault(link.patient_id, set()).add(link.instrument)
    extra = clinic_instruments(clinic)

    rows = {p.pk: [] for p in shown}
    due_today, no_shows = [], []
    for appointment in appointments:
        appointment.patient = patients[appointment.patient_id]
        appointment.strip = strips[appointment.patient_id]
        due = visit_questionnaires(kind=appointment.type.kind, plan=appointment.course_before(),
                                   answered=answered.get(appointment.patient_id, ()),
                                   open_links=waiting.get(appointment.patient_id, ()))
        appointment.due = due and {**due, "repeat": [instrument_title(i, extra) for i in due["repeat"]],
                                   "open": [instrument_title(i, extra) for i in due["open"]]}
        rows[appointment.practitioner_id].append(appointment)
        if due:
            due_today.append(appointment)
        if appointment.status == Appointment.Status.NO_SHOW:
            no_shows.append(appointment)
    for link in links:
        link.title = instrument_title(link.instrument, extra)
    earlier, drafts_today = split_at(drafts[:SIDE_LIMIT], first_of_today, lambda s: s.started_at)

    listed = [a.patient for a in appointments] + [s.patient for s in drafts[:SIDE_LIMIT]] + \
        [link.patient for link in links[:SIDE_LIMIT]]
    record_list_view(request, listed, {"page": "today", "date": day.isoformat(),
                                       "appointments": [a.pk for a in appointments],
                                       "practitioners": ids})
    query = {"clinic": clinic.pk} if len(clinics) > 1 else {}
    if whole_clinic and role == Role.PRACTITIONER:
        query["all"] = "1"
    return render(request, "scheduling/today.html", {
        "clinic": clinic, "clinics": clinics, "day": day, "today": timezone.localdate(),
        "previous": (day - datetime.timedelta(days=1)).isoformat(),
        "next": (day + datetime.timedelta(days=1)).isoformat(),
        "columns": [{"practitioner": p, "appointments": rows[p.pk], "me": p == me} for p in shown],
        "can_widen": role == Role.PRACTITIONER and not whole_clinic and len(treating) > 1,
        "can_narrow": role == Role.PRACTITIONER and whole_clinic and me is not None,
        "query": urlencode(query), "query_own": urlencode({k: v for k, v in query.items() if k != "all"}),
        "drafts_earlier": earlier, "drafts_today": drafts_today, "drafts_more": len(drafts) > SIDE_LIMIT,
        "links": links[:SIDE_LIMIT], "links_more": len(links) > SIDE_LIMIT,
        "due_today": due_today, "no_shows": no_shows, "side_limit": SIDE_LIMIT,
    })


def _patients_with_strip_lists(clinic, patient_ids):
    """{id: patient} with the lists the safety strip reads, loaded once for all of them, as
    the chart page loads them for one (``strip_chart`` reads them as they are)."""
    found = (Patient.objects.filter(clinic=clinic, pk__in=patient_ids).select_related("clinic")
             .prefetch_related(*STRIP_LISTS, Prefetch("history", queryset=HistoryItem.objects.none()),
                               Prefetch("sessions", queryset=Session.objects.none())))
    return {p.pk: p for p in found}


def _strips(clinic, patients, now):
    """{patient id: the safety strip's facts}: one knowledge base and one read of the rolling
    dose window for the whole day."""
    if not patients:
        return {}
    kb = for_clinic(clinic)
    given = given_by_patient(clinic, list(patients), now, kb)
    return {pk: strip_facts(p, now=now, chart=(p, kb, patient_case(p)), given=given[pk])
            for pk, p in patients.items()}
