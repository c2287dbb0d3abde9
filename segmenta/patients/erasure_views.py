"""The erasure request (GDPR Art. 17), recorded by a clinic admin on the patient's page.

Within the retention period (or while none is known) it restricts processing (Art. 17(3)(b)
and 18): the chart is kept, read only, and marked so on every page. Past the period it erases
the chart at once and leaves a tombstone in the audit trail.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta import l10n
from segmenta.accounts.access import admin_clinics, reauth_required
from segmenta.audit.trail import record
from segmenta.knowledge import retention

from . import erasure
from .models import Patient


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Request and reason"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that this deletes the chart, its sessions, answers and files for good."),
        required=False)

    def __init__(self, *args, past=False, **kwargs):
        super().__init__(*args, **kwargs)
        # The example's date as the page writes dates (today's, so it reads as a date of now).
        example = l10n.day(timezone.localdate())
        self.fields["reason"].help_text = _("How and when the patient asked, e.g. “letter of %(date)s”. Shown with "
                                            "the restriction; no clinical details.") % {"date": example}
        self.past = past
        if not past:
            del self.fields["confirm"]

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say how and when the patient asked."))
        return reason

    def clean_confirm(self):
        if self.past and not self.cleaned_data.get("confirm"):
            raise forms.ValidationError(_("Tick this to erase the chart: it cannot be undone."))
        return True


def _admin_patient(request, pk):
    """The patient, for an admin of the patient's clinic; a 404 for everyone else."""
    patient = Patient.objects.for_user_or_404(request.user, pk)
    if not admin_clinics(request.user).filter(pk=patient.clinic_id).exists():
        raise Http404
    return patient


@login_required
@reauth_required
def erasure_request(request, pk):
    patient = _admin_patient(request, pk)
    chart = erasure.chart_of(patient)
    past = chart["status"] == retention.PAST
    form = ErasureRequestForm(request.POST or None, past=past)
    if request.method == "POST" and form.is_valid() and (past or not patient.restricted):
        outcome, chart = erasure.request_erasure(patient, form.cleaned_data["reason"], request=request,
                                                 user=request.user)
        if outcome == "purged":
            messages.success(request, _("The chart was past its retention period and has been erased. The audit "
                                        "trail keeps that it was, without name or clinical content."))
            return redirect("patients:list")
        if outcome == "restricted":
            messages.success(request, _("Erasure request recorded: the chart is kept until its retention period "
                                        "ends, and until then it is read only."))
        return redirect("patients:detail", pk=patient.pk)
    if request.method == "GET":
        record("view", request=request, patient=patient, obj=patient, detail={"form": "erasure_request"})
    return render(request, "patients/erasure.html", {
        "patient": patient, "form": form, "chart": chart, "past": past,
        "period_text": erasure.explain(chart["period"], patient.clinic.jurisdiction),
        "last_treatment": chart["last_session"] or chart["last_entry"],
    }, status=400 if form.errors else 200)
