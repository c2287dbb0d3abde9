"""Adding and editing chart items: one pair of views serves every kind."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.views.decorators.http import require_POST
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from segmenta.audit.trail import record

from . import chart_forms as f
from . import models as m
from .chart import map_regions
from .corrections import AlreadyInError, mark_in_error
from .versions import attach

# url segment: (model, form, singular label)
KINDS = {
    "complaints": (m.Complaint, f.ComplaintForm, gettext_lazy("complaint")),
    "history": (m.HistoryItem, f.HistoryItemForm, gettext_lazy("history item")),
    "weights": (m.WeightMeasurement, f.WeightForm, gettext_lazy("weight")),
    "allergies": (m.Allergy, f.AllergyForm, gettext_lazy("allergy")),
    "medications": (m.Medication, f.MedicationForm, gettext_lazy("medication")),
    "conditions": (m.Condition, f.ConditionForm, gettext_lazy("condition")),
    "pregnancy": (m.PregnancyStatus, f.PregnancyForm, gettext_lazy("pregnancy status")),
    "consents": (m.Consent, f.ConsentForm, gettext_lazy("consent")),
    "reviews": (m.ChartReview, f.ReviewForm, gettext_lazy("chart review")),
}
# New items of these kinds are dated today unless the user says otherwise.
DATED_TODAY = {"weights", "pregnancy", "consents", "reviews"}


def _patient(request, pk):
    return m.Patient.objects.for_user_or_404(request.user, pk)


def _new_item_initial(kind, query):
    """A tooth picked on the chart's dental chart arrives as ?tooth=38, a body-map segment
    picked on the chart as ?segment=107 (repeatable)."""
    if kind == "history" and query.get("tooth") in dict(m.HistoryItem._meta.get_field("tooth").choices):
        return {"kind": "tooth", "tooth": query["tooth"]}
    if kind in ("history", "complaints") and query.getlist("segment"):
        placed = map_regions(query.getlist("segment"))
        if placed:
            return {"map_regions": placed}
    if kind == "history" and query.get("kind") in dict(m.HistoryItem._meta.get_field("kind").choices):
        return {"kind": query["kind"]}
    initial = {"date": timezone.localdate()} if kind in DATED_TODAY else {}
    if kind == "reviews" and query.get("kind") in m.ChartReview.Kind.values:
        initial["kind"] = query["kind"]
    return initial


@login_required
def item_form(request, pk, kind, item_id=None):
    if kind not in KINDS:
        raise Http404
    model, form_class, label = KINDS[kind]
    patient = _patient(request, pk)
    if item_id is None:
        instance = model(patient=patient, recorded_by=request.user)
        initial = _new_item_initial(kind, request.GET)
    else:
        instance = get_object_or_404(model.objects.select_related("entered_in_error_by"), patient=patient, pk=item_id)
        initial = {}
        attach([instance])
        if instance.in_error:
            return _in_error_page(request, patient, instance, kind, label)
    form = form_class(request.POST or None, request.FILES or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            item = form.save()
            record("update" if item_id else "create", request=request, patient=patient, obj=item,
                   detail={"fields": sorted(form.changed_data)} if item_id else {})
        messages.success(request, _("%(item)s saved.") % {"item": str(label).capitalize()})
        return redirect(reverse("patients:detail", args=[patient.pk]) + f"#{kind}")
    if request.method == "GET" and item_id is not None:
        record("view", request=request, patient=patient, obj=instance, detail={"form": "edit"})
    return render(request, "patients/item_form.html", {
        "patient": patient, "form": form, "kind": kind, "label": label, "editing": item_id is not None,
        "multipart": kind == "consents",
    }, status=400 if form.errors else 200)


def _in_error_page(request, patient, item, kind, label):
    """An entry entered in error is read only: its content, why it was marked and its
    versions stay visible; a change is refused (a corrected new entry can be added)."""
    refused = request.method == "POST"
    if refused:
        messages.error(request, _("This %(item)s was entered in error and cannot be changed; add a corrected one "
                                  "instead.") % {"item": label})
    else:
        record("view", request=request, patient=patient, obj=item, detail={"form": "edit", "entered_in_error": True})
    return render(request, "patients/item_in_error.html", {"patient": patient, "item": item, "kind": kind,
                                                            "label": label}, status=409 if refused else 200)


@login_required
def entered_in_error(request, pk, kind, item_id):
    """Mark a chart entry "entered in error" with a reason: a new version, never a deletion."""
    if kind not in KINDS:
        raise Http404
    model, _form_class, label = KINDS[kind]
    patient = _patient(request, pk)
    item = get_object_or_404(model, patient=patient, pk=item_id)
    if item.in_error:
        return redirect("patients:item_edit", pk=patient.pk, kind=kind, item_id=item.pk)
    form = f.EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                item = get_object_or_404(model.objects.select_for_update(), pk=item.pk)
                mark_in_error(item, request.user, form.cleaned_data["reason"])
                record("update", request=request, patient=patient, obj=item,
                       detail={"fields": ["entered_in_error"], "entered_in_error": True})
        except AlreadyInError:
            return redirect("patients:item_edit", pk=patient.pk, kind=kind, item_id=item.pk)
        messages.success(request, _("%(item)s marked as entered in error.") % {"item": str(label).capitalize()})
        return redirect(reverse("patients:detail", args=[patient.pk]) + f"#{kind}")
    if request.method == "GET":
        record("view", request=request, patient=patient, obj=item, detail={"form": "entered_in_error"})
    return render(request, "patients/entered_in_error.html", {
        "patient": patient, "item": item, "kind": kind, "label": label, "form": form,
    }, status=400 if form.errors else 200)


@login_required
def consent_scan(request, pk, item_id):
    patient = _patient(request, pk)
    consent = get_object_or_404(m.Consent, patient=patient, pk=item_id)
    if not consent.scan:
        raise Http404
    record("view", request=request, patient=patient, obj=consent, detail={"file": "scan"})
    return FileResponse(consent.scan.open("rb"))


@login_required
@require_POST
def review_today(request, pk):
    """"Mark as reviewed today": the user states that the allergy or medication list is
    complete as of today. One review per list, day and reviewer; a second click adds nothing."""
    patient = _patient(request, pk)
    kind = request.POST.get("kind", "")
    if kind not in m.ChartReview.Kind.values:
        return HttpResponseBadRequest(_("kind: must be one of %(kinds)s") % {
            "kinds": ", ".join(m.ChartReview.Kind.values)})
    label = m.ChartReview.Kind(kind).label
    today = timezone.localdate()
    with transaction.atomic():
        # A review entered in error does not count as today's.
        review, created = m.ChartReview.objects.filter(entered_in_error_at=None).get_or_create(
            patient=patient, kind=kind, date=today, recorded_by=request.user, note="")
        if created:
            record("create", request=request, patient=patient, obj=review, detail={"reviewed_today": True})
    if created:
        messages.success(request, _("%(list)s marked as reviewed today.") % {"list": label})
    else:
        messages.info(request, _("%(list)s were already marked as reviewed today.") % {"list": label})
    return redirect(reverse("patients:detail", args=[patient.pk]) + f"#{kind}")
