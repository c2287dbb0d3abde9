"""The patient's own copy of the chart: a readable summary and the case JSON, behind the
password again, audited. Allowed also when the chart's processing is restricted."""

import json

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from segmenta.accounts.access import reauth_required
from segmenta.audit.trail import record
from segmenta.patients.models import Patient, offered_language
from segmenta.treatment.case import chart_queryset, patient_case

from .patient_copy import summary


def _patient(request, pk):
    visible = Patient.objects.visible_to(request.user).values("pk")
    return get_object_or_404(chart_queryset().select_related("clinic").filter(pk__in=visible), pk=pk)


@login_required
@reauth_required
@require_safe
def patient_copy(request, pk):
    """Everything stored about the patient, readable and printable, in the patient's language."""
    patient = _patient(request, pk)
    with transaction.atomic(), patient.in_own_language():
        sections = summary(patient)
        record("export", request=request, patient=patient, obj=patient,
               detail={"patient_copy": True, "format": "html", "restricted": patient.restricted})
    return render(request, "outcomes/patient_copy.html", {
        "patient": patient, "sections": sections, "made_at": timezone.localtime(),
        "language": offered_language(patient.language)})


@login_required
@reauth_required
@require_safe
def patient_copy_json(request, pk):
    """The chart in the case format (segmenta-case/1), as a file for the patient."""
    patient = _patient(request, pk)
    with transaction.atomic():
        case = patient_case(patient)
        record("export", request=request, patient=patient, obj=patient,
               detail={"patient_copy": True, "format": "case", "restricted": patient.restricted})
    response = HttpResponse(json.dumps(case, indent=2, ensure_ascii=False), content_type="application/json")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="patient-copy-{patient.pk}-{stamp}.json"'
    return response
