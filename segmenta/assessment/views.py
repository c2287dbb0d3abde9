"""The chart's Assess view: red flags first (acknowledged before anything else shows),
then the ranked candidate fields and targets for each complaint."""

import hashlib

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from segmenta.audit.trail import record
from segmenta.knowledge.service import for_clinic, remember
from segmenta.patients.case import chart_queryset, patient_case
from segmenta.patients.models import Patient

from .engine import assess


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
    for flag in result["red_flags"]:
        flag["complaint"] = complaints.get(flag["complaint_id"])
    return render(request, "assessment/assess.html", {
        "patient": patient, "result": result, "acknowledged": acknowledged, "kb": kb,
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
