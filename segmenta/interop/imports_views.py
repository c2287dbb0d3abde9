"""The FHIR import's pages and its FHIR entry point (segmenta/interop/fhir/imports.py).

- ``upload``: FHIR Bundles or NDJSON files into one of the user's clinics; then the report.
- ``report``: what an import took, proposed and refused, and the patients it holds for a
  decision (``decide``: one of the candidates, or a new patient).
- ``proposals``: a patient's proposed history items, each accepted (with the practitioner's
  corrections) into the chart or rejected.
- ``transaction``: ``POST /fhir/r4/`` with a transaction (or batch) Bundle and a bearer
  token: the same import, answered with a transaction-response Bundle.

Clinic admins and practitioners only (assistants document, but do not decide what enters
the chart from elsewhere); everyone else gets a 404."""

import datetime
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from segmenta.accounts.access import outcome_clinics
from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.knowledge import localize
from segmenta.patients.models import Patient

from .fhir import imports
from .fhir.views import fhir_response, outcome, token_required
from .models import FieldProposal, ImportRun, PendingPatient

MAX_BYTES = 50 * 1024 * 1024  # one upload or one transaction Bundle


def importing_clinics(user):
    """The clinics in which ``user`` may import and decide: those whose outcomes they may see
    (admins and practitioners, not assistants), by the same rule."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    return outcome_clinics(user).order_by("name")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(FilesField, self).clean(f, initial) for f in files if f] or [super().clean(None, initial)]


class UploadForm(forms.Form):
    clinic = forms.ModelChoiceField(label=gettext_lazy("Clinic"), queryset=Clinic.objects.none())
    files = FilesField(label=gettext_lazy("FHIR files"),
                       help_text=gettext_lazy("Bundles (transaction or collection) as .json, or NDJSON files "
                                              "(.ndjson), one patient or many; several files at once."))

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        if len(clinics) == 1:
            self.fields["clinic"].initial = clinics.first()
            self.fields["clinic"].widget = forms.HiddenInput()

    def clean_files(self):
        found = []
        for upload in self.cleaned_data["files"]:
            if upload.size > MAX_BYTES:
                raise ValidationError(_("%(name)s is too large (at most 50 MB).") % {"name": upload.name})
            try:
                found += imports.read_document(upload.name, upload.read())
            except UnicodeDecodeError:
                raise ValidationError(_("%(name)s is not UTF-8 text.") % {"name": upload.name}) from None
            except imports.Unreadable as error:
                raise ValidationError(_("Not FHIR JSON: %(error)s") % {"error": error}) from None
        return found


@login_required
def upload(request):
    clinics = importing_clinics(request.user)
    if not clinics.exists():
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        names = ", ".join(f.name for f in request.FILES.getlist("files"))
        report = imports.run_import(form.cleaned_data["clinic"], form.cleaned_data["files"], user=request.user,
                                    via=ImportRun.Via.UPLOAD, files=names)
        return redirect("imports:report", report["details"]["run"])
    runs = ImportRun.objects.filter(clinic__in=clinics).select_related("clinic", "by")[:20]
    return render(request, "interop/import_upload.html", {"form": form, "runs": runs},
                  status=400 if form.errors else 200)


@login_required
def report(request, pk):
    run = get_object_or_404(ImportRun, pk=pk, clinic__in=importing_clinics(request.user))
    details = run.report.get("details", {})
    held = {p.pk: p for p in PendingPatient.objects.filter(run=run).prefetch_related("candidates")}
    for line in details.get("needs_decision", []):
        line["held"] = held.get(line["pending"])
        line["born"] = datetime.date.fromisoformat(line["birth_date"])
    for line in details.get("patients", []):
        line["match_label"] = MATCHED.get(line["match"], line["match"])
    record("view", request=request, clinic=run.clinic, obj=run, detail={"import_report": run.pk})
    return render(request, "interop/import_report.html", {"run": run, "report": run.report, "details": details})


@login_required
@require_POST
def decide(request, pk):
    pending = get_object_or_404(PendingPatient, pk=pk, clinic__in=importing_clinics(request.user))
    if pending.decided_at:
        messages.info(request, _("Someone has already decided who this is."))
        return redirect("imports:report", pending.run_id)
    choice = request.POST.get("patient", "")
    patient = None
    if choice != "new":
        patient = pending.candidates.filter(pk=choice if choice.isdigit() else None).first()
        if patient is None:
            messages.error(request, _("Choose one of the patients listed, or a new patient."))
            return redirect("imports:report", pending.run_id)
    try:
        line = imports.decide(pending, request.user, patient=patient)
    except imports.AlreadyDecided:
        messages.info(request, _("Someone has already decided who this is."))
        return redirect("imports:report", pending.run_id)
    except imports.Refused as error:  # a new patient the chart's checks refuse
        messages.error(request, _("Not taken: %(field)s: %(error)s") % {"field": error.field, "error": error.message})
        return redirect("imports:report", pending.run_id)
    messages.success(request, _("%(name)s: records taken; %(n)s candidate fields proposed.") % {
        "name": line["name"], "n": len(line["proposed"])})
    return redirect("imports:proposals", line["patient"])


class AcceptForm(forms.Form):
    """The practitioner's corrections to a proposal before it enters the chart."""

    description = forms.CharField(label=gettext_lazy("Description"), max_length=300)
    date = forms.CharField(label=gettext_lazy("Date"), max_length=10, required=False,
                           help_text=gettext_lazy("YYYY, YYYY-MM or YYYY-MM-DD"))
    tooth = forms.ChoiceField(label=gettext_lazy("Tooth (FDI)"), required=False)
    side = forms.ChoiceField(label=gettext_lazy("Side"), required=False)

    def __init__(self, *args, proposal, **kwargs):
        super().__init__(*args, initial={"description": proposal.description, "date": proposal.date,
                                         "tooth": proposal.tooth}, prefix=f"p{proposal.pk}", **kwargs)
        self.fields["tooth"].choices = [("", "—"), *localize.choices("tooth")]
        self.fields["side"].choices = [("", _("as recorded (not stated)")), *localize.choices("side")]
        if proposal.kind != "tooth":
            del self.fields["tooth"]
        if not proposal.regions:
            del self.fields["side"]

    def changes(self, proposal):
        data = self.cleaned_data
        changes = {"description": data["description"], "date": data["date"]}
        if "tooth" in data:
            changes["tooth"] = data["tooth"]
        if data.get("side"):
            changes["regions"] = [{**r, "side": data["side"]} for r in proposal.regions]
        return changes


def _region_label(region):
    name = localize.label("region", region["region"]) if "region" in region else f"CHOIR {region.get('choir')}"
    return f"{name} ({localize.label('side', region['side'])})" if region.get("side") else name


# How the import found each patient, as the report says it.
MATCHED = {"earlier_import": gettext_lazy("by an earlier import"), "identifier": gettext_lazy("by identifier"),
           "name_birth_date": gettext_lazy("by name and birth date"), "new": gettext_lazy("new patient"),
           "decided": gettext_lazy("by your decision")}


def _deciding_patient(request, pk):
    patient = Patient.objects.for_user_or_404(request.user, pk)
    if not importing_clinics(request.user).filter(pk=patient.clinic_id).exists():
        raise Http404
    return patient


@login_required
def proposals(request, pk, forms_by_id=None):
    patient = _deciding_patient(request, pk)
    rows = list(FieldProposal.objects.filter(patient=patient).select_related("decided_by", "history_item"))
    open_rows = [p for p in rows if p.status == FieldProposal.Status.PROPOSED]
    forms_by_id = forms_by_id or {}
    for proposal in open_rows:
        proposal.form = forms_by_id.get(proposal.pk) or AcceptForm(proposal=proposal)
        proposal.region_text = ", ".join(_region_label(region) for region in proposal.regions)
    record("view", request=request, patient=patient, object_type="fieldproposal",
           detail={"proposals": [p.pk for p in rows]})
    return render(request, "interop/import_proposals.html", {
        "patient": patient, "open": open_rows, "decided": [p for p in rows if p.status != FieldProposal.Status.PROPOSED],
    }, status=400 if forms_by_id else 200)


@login_required
@require_POST
def proposal_decide(request, pk, proposal_id):
    patient = _deciding_patient(request, pk)
    proposal = get_object_or_404(FieldProposal, pk=proposal_id, patient=patient)
    if proposal.status != FieldProposal.Status.PROPOSED:
        messages.info(request, _("This proposal has already been decided."))
        return redirect("imports:proposals", patient.pk)
    if request.POST.get("action") == "reject":
        try:
            imports.reject(proposal, request.user)
        except imports.AlreadyDecided:
            messages.info(request, _("This proposal has already been decided."))
        else:
            messages.success(request, _("Rejected: %(what)s") % {"what": proposal.description})
        return redirect("imports:proposals", patient.pk)
    form = AcceptForm(request.POST, proposal=proposal)
    if form.is_valid():
        try:
            item = imports.accept(proposal, request.user, **form.changes(proposal))
        except imports.AlreadyDecided:
            messages.info(request, _("This proposal has already been decided."))
            return redirect("imports:proposals", patient.pk)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Added to the chart: %(item)s") % {"item": item.clinical_label()})
            return redirect("imports:proposals", patient.pk)
    return proposals(request, pk, forms_by_id={proposal.pk: form})


# --- POST /fhir/r4/ -----------------------------------------------------------------------------

# Where a chart row of each kind is read through the FHIR API (segmenta/interop/fhir/types.py).
LOCATIONS = {"allergy": "AllergyIntolerance/a-{}", "medication": "MedicationStatement/m-{}",
             "condition": "Condition/k-{}", "weightmeasurement": "Observation/w-{}", "patient": "Patient/{}"}


def _entry_response(result):
    """A transaction-response entry for what became of one resource."""
    if result is None:
        return {"status": "400 Bad Request"}
    what, detail = result
    if what == "refused":
        return {"status": "422 Unprocessable Entity", "outcome": _issue(
            "error", "invalid", f"{detail['resource']}: {detail['field']}: {detail['error']}")}
    if what == "held":
        return {"status": "202 Accepted", "outcome": _issue(
            "information", "informational", f"patient held for a decision ({detail['reason']}): "
                                            "see the clinic's import report")}
    if what in ("not_taken", "already_imported"):
        return {"status": "200 OK", "outcome": _issue(
            "information", "informational", detail or "already imported: nothing changed")}
    kind, _sep, row = (detail or "").partition(":")
    if kind == "proposal":
        return {"status": "202 Accepted", "outcome": _issue(
            "information", "informational", "proposed as a history item: it enters the chart when the "
                                            "practitioner accepts it")}
    if kind in LOCATIONS:
        return {"status": "200 OK" if what == "in_chart" else "201 Created", "location": LOCATIONS[kind].format(row)}
    return {"status": "200 OK", "outcome": _issue("information", "informational", "not taken")}


def _issue(severity, code, text):
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}


@csrf_exempt
@token_required
def transaction(request):
    """A transaction or batch Bundle, imported as the upload page imports it. Each entry is
    answered on its own (the import is atomic per patient, not per Bundle: a refused entry
    does not undo the others, as in a batch)."""
    if request.method != "POST":
        response = outcome(405, "not-supported", f"{request.method} /fhir/r4/: POST a transaction Bundle here")
        response["Allow"] = "POST"
        return response
    clinics = list(importing_clinics(request.user))
    if request.GET.get("clinic"):
        clinics = [c for c in clinics if str(c.pk) == request.GET["clinic"]]
    if not clinics:
        return outcome(403, "forbidden", "importing needs a clinic admin's or practitioner's token "
                                         "(and ?clinic= one of their clinics)")
    if len(clinics) > 1:
        return outcome(400, "required", "your token's user belongs to several clinics: name one with ?clinic=ID")
    body = request.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        return outcome(413, "too-costly", "the Bundle exceeds 50 MB: split it, or use segmenta fhir import")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return outcome(400, "structure", f"body: not JSON ({error})")
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle" or \
            document.get("type") not in ("transaction", "batch"):
        return outcome(400, "invalid", "body: POST a Bundle of type transaction or batch")
    entries = document.get("entry") or []
    found = imports.read_parsed("Bundle", document)  # parsed once, above
    results = {}
    imports.run_import(clinics[0], found, user=request.user, via=ImportRun.Via.FHIR, outcomes=results)
    by_index = {int(label.rsplit("[", 1)[1].rstrip("]")): resource for label, resource, _r in found}
    answer = []
    for index, _entry in enumerate(entries):
        resource = by_index.get(index)
        if resource is None:
            answer.append({"response": {"status": "400 Bad Request", "outcome": _issue(
                "error", "required", f"entry[{index}].resource: missing")}})
        else:
            answer.append({"response": _entry_response(results.get(id(resource)))})
    return fhir_response({"resourceType": "Bundle", "type": f"{document['type']}-response", "entry": answer})
