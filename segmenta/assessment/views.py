"""The chart's Assess view: red flags first (acknowledged before anything else shows),
then the ranked candidate fields and targets for each complaint; and the structured
red-flag screening of a complaint."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from segmenta.audit.trail import record
from segmenta.knowledge import localize
from segmenta.knowledge.service import for_clinic, remember
from segmenta.treatment.case import chart_queryset, patient_case
from segmenta.patients import validation
from segmenta.patients.models import Complaint, Patient

from . import screening
from .engine import assess
from .forms import ScreeningForm
from .models import RedFlagScreening


def _patient(request, pk):
    visible = Patient.objects.visible_to(request.user).values("pk")
    return get_object_or_404(chart_queryset().select_related("clinic").filter(pk__in=visible), pk=pk)


def _flags_key(patient, result):
    """Identifies this set of red flags: a new flag needs a new acknowledgement."""
    codes = sorted(f"{f['code']}:{f['complaint_id']}" for f in result["red_flags"])
    return f"redflags-ack-{patient.pk}-" + hashlib.sha256("|".join(codes).encode()).hexdigest()[:16]


def _run(request, patient):
    kb = for_clinic(patient.clinic)
    case = patient_case(patient, practitioner=getattr(request.user, "profile", None))
    return assess(case, kb), kb


@login_required
def assess_view(request, pk):
    patient = _patient(request, pk)
    result, kb = _run(request, patient)
    with transaction.atomic():
        remember(kb)
        record("view", request=request, patient=patient, object_type="assessment", object_id=str(patient.pk),
               detail={"knowledge_version": kb.version, "refer_first": result["refer_first"]})
    acknowledged = not result["refer_first"] or request.session.get(_flags_key(patient, result), False)
    items = {item.case_id: item for item in patient.history.all()}
    complaints = {c.case_id: c for c in patient.complaints.all()}
    for complaint in result["complaints"]:
        complaint["complaint"] = complaints[complaint["id"]]
        for candidate in complaint["candidates"]:
            candidate["item"] = items[candidate["history_id"]]
    result["red_flags"] = localize.red_flags(kb, result["red_flags"])  # the page's words; codes unchanged
    for flag in result["red_flags"]:
        flag["complaint"] = complaints.get(flag["complaint_id"])
    last = {}
    for s in RedFlagScreening.objects.filter(patient=patient).select_related("screened_by").order_by("date", "id"):
        last[s.complaint_id] = s
    screenings = [(c, last.get(c.pk)) for c in sorted(complaints.values(), key=lambda c: (c.status, -c.pk))]
    return render(request, "assessment/assess.html", {
        "patient": patient, "result": result, "acknowledged": acknowledged, "kb": kb, "screenings": screenings,
    })


@login_required
@require_POST
def acknowledge_view(request, pk):
    patient = _patient(request, pk)
    result, kb = _run(request, patient)
    if result["refer_first"]:
        with transaction.atomic():
            record("acknowledge", request=request, patient=patient, object_type="red_flags",
                   object_id=str(patient.pk),
                   detail={"codes": sorted({f["code"] for f in result["red_flags"]}),
                           "knowledge_version": kb.version})
        request.session[_flags_key(patient, result)] = True
    return redirect("assessment:assess", pk=patient.pk)


NEXT = {"assess": "assessment:assess", "chart": "patients:detail"}


@login_required
def screening_view(request, pk, complaint_id):
    """Screen one complaint for the red flags of its regions and organs. Every "yes"
    joins the complaint's findings, so the assessment and the safety checks see it."""
    patient = Patient.objects.for_user_or_404(request.user, pk)
    complaint = get_object_or_404(Complaint, patient=patient, pk=complaint_id)
    kb = for_clinic(patient.clinic)
    # The questions in the active language (the answers are stored by code).
    groups = screening.questions({"regions": complaint.regions, "organs": complaint.organs},
                                 localize.base(kb, ["red-flag", "red-flag-area"]))
    back = request.POST.get("next") or request.GET.get("next")
    back = back if back in NEXT else "chart"
    form = ScreeningForm(request.POST or None, groups=groups, recorded=complaint.findings)
    if request.method == "POST" and form.is_valid():
        answers = form.answers()
        before = list(complaint.findings)
        with transaction.atomic():
            remember(kb)
            done = RedFlagScreening.objects.create(
                patient=patient, complaint=complaint, date=form.cleaned_data["date"], screened_by=request.user,
                answers=answers, knowledge_version=kb.version)
            record("create", request=request, patient=patient, obj=done,
                   detail={"complaint": complaint.pk, "answers": answers, "knowledge_version": kb.version})
            complaint.findings = screening.findings_after(before, answers)
            if complaint.findings != before:
                validation.findings(complaint.findings)
                complaint.save(update_fields=["findings"])
                record("update", request=request, patient=patient, obj=complaint,
                       detail={"fields": ["findings"], "added": complaint.findings[len(before):],
                               "by": "red_flag_screening"})
        yes = done.codes(screening.YES)
        if yes:
            messages.warning(request, _("Screening saved: %(n)s red flag(s) added to the complaint. "
                                        "Refer for conventional work-up first.") % {"n": len(yes)})
        else:
            messages.success(request, _("Screening saved: no red flag answered yes."))
        url = reverse(NEXT[back], args=[patient.pk])
        return redirect(url + ("#complaints" if back == "chart" else ""))
    with transaction.atomic():
        record("view", request=request, patient=patient, obj=complaint, detail={"form": "red_flag_screening"})
    history = complaint.red_flag_screenings.select_related("screened_by").order_by("-date", "-id")[:10]
    flags = {flag["id"]: flag for flag in kb.all("red-flag")}
    past = [{"screening": s, "yes": [localize.text(flags[c]) for c in s.codes(screening.YES) if c in flags],
             "not_asked": len(s.codes(screening.NOT_ASKED))} for s in history]
    return render(request, "assessment/screening.html", {
        "patient": patient, "complaint": complaint, "form": form, "past": past, "next": back,
    }, status=400 if form.errors else 200)
