"""The documents' pages: each an HTML preview with "Download PDF" (a POST: the PDF issued is
kept and audited). Behind the password again, as every export of a chart."""

import json

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from segmenta.accounts.access import reauth_required
from segmenta.audit.trail import record
from segmenta.interop.fhir.everything import everything
from segmenta.interop.fhir.views import base_url
from segmenta.knowledge.service import for_clinic
from segmenta.patients.models import Consent, Patient
from segmenta.treatment.models import Session, TreatmentPlan
from segmenta.treatment.sessions import membership_for

from . import content
from .forms import ReferralForm
from segmenta.learning import leaflets

from .make import compose, filename, issue
from .models import IssuedDocument, Kind, Recipient


# Letters that carry the name of whoever prints them as their signature.
SIGNED_BY_WHOEVER_PRINTS = {Kind.REFERRAL, Kind.COURSE_LETTER}


def _patient(request, patient_id):
    return Patient.objects.for_user_or_404(request.user, patient_id)


def _session(request, session_id):
    return get_object_or_404(Session.objects.visible_to(request.user).select_related(
        "patient__clinic", "signed_by", "practitioner"), pk=session_id)


def _plan(request, plan_id):
    return get_object_or_404(TreatmentPlan.objects.visible_to(request.user).select_related(
        "patient__clinic", "complaint"), pk=plan_id)


def _consent(request, consent_id):
    return get_object_or_404(Consent.objects.visible_to(request.user).select_related("patient__clinic"),
                             pk=consent_id)


def _signer(user):
    return user.get_full_name() or user.get_username()


def _unavailable(request, patient, error):
    return render(request, "documents/unavailable.html", {"patient": patient, "message": str(error)}, status=409)


def _preview(request, kind, target, pdf_url, **options):
    try:
        made = compose(kind, target, **options)
    except content.NotAvailable as error:
        return _unavailable(request, getattr(target, "patient", target), error)
    record("view", request=request, patient=made.patient, obj=target, detail={"document": kind})
    return render(request, "documents/page.html", {"made": made, "patient": made.patient, "pdf_url": pdf_url,
                                                   "clinic": made.patient.clinic, **made.context})


def _pdf(request, kind, target, *, texts=None, recipient="", technique="", **options):
    try:
        made = compose(kind, target, texts=texts, technique=technique, **options)
    except content.NotAvailable as error:
        return _unavailable(request, getattr(target, "patient", target), error)
    if kind in SIGNED_BY_WHOEVER_PRINTS:
        membership = membership_for(request.user, made.patient)
        if membership is None or not membership.can_sign:
            return render(request, "documents/unavailable.html", {"patient": made.patient, "message": _(
                "Only a practitioner signs a letter; assistants may prepare and preview it.")}, status=403)
    pdf, _issued = issue(made, request=request, texts=texts, recipient=recipient, technique=technique)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(made)}"'
    return response


@login_required
@reauth_required
@require_safe
def index(request, patient_id):
    """Every document that can be made for the patient, and those issued so far."""
    patient = _patient(request, patient_id)
    with transaction.atomic():
        record("view", request=request, patient=patient, obj=patient, detail={"documents": "index"})
    kb = for_clinic(patient.clinic)
    return render(request, "documents/index.html", {
        "patient": patient,
        "sessions": patient.sessions.filter(status=Session.Status.SIGNED).order_by("-started_at"),
        "plans": patient.plans.select_related("complaint").order_by("-created_at"),
        "consents": [(consent, content.why_no_sheet(consent)) for consent in patient.consents.order_by("-date", "-id")],
        "techniques": content.techniques(kb), "drugs": content.sheet_drugs(patient.clinic, kb),
        "proposed_drug": content.proposed_drug(patient, kb),
        "leaflets": [(key, name, leaflets.translated_into(kb.get("leaflet", key), patient.language))
                     for key, name in leaflets.all_of(kb)],
        "issued": IssuedDocument.objects.filter(patient=patient).select_related("made_by", "consent")})


def _pair(kind, load, pdf_name, options=lambda request, target: {}):
    """The preview page and the PDF download of a document about one record (``load`` finds
    it among the user's clinics' by the address's id)."""

    @login_required
    @reauth_required
    @require_safe
    def preview(request, **ids):
        (pk,) = ids.values()
        target = load(request, pk)
        return _preview(request, kind, target, reverse(pdf_name, args=[pk]), **options(request, target))

    @login_required
    @reauth_required
    @require_POST
    def pdf(request, **ids):
        (pk,) = ids.values()
        target = load(request, pk)
        return _pdf(request, kind, target, **options(request, target))

    return preview, pdf


def _technique(request, consent):
    """The technique and drug the sheet is for (the drug may be left to content.proposed_drug)."""
    technique = request.GET.get("technique") or request.POST.get("technique") or ""
    drug = request.GET.get("drug") or request.POST.get("drug") or ""
    kb = for_clinic(consent.patient.clinic)
    if kb.get("technique", technique) is None:
        raise Http404("no such technique")
    if drug and kb.get("drug", drug) is None:
        raise Http404("no such drug")
    return {"technique": technique, "drug": drug}


session_note, session_note_pdf = _pair(Kind.SESSION_NOTE, _session, "documents:session_note_pdf")
course_letter, course_letter_pdf = _pair(Kind.COURSE_LETTER, _plan, "documents:course_letter_pdf",
                                         lambda request, plan: {"signer": _signer(request.user)})
consent_sheet, consent_sheet_pdf = _pair(Kind.CONSENT_SHEET, _consent, "documents:consent_sheet_pdf", _technique)
record_copy, record_copy_pdf = _pair(Kind.RECORD_COPY, _patient, "documents:record_copy_pdf")


@login_required
@reauth_required
@require_safe
def leaflet(request, patient_id, leaflet_id):
    """A patient leaflet in the patient's language, as it will print."""
    patient = _leaflet_patient(request, patient_id, leaflet_id)
    return _preview(request, Kind.LEAFLET, patient, reverse("documents:leaflet_pdf", args=[patient.pk, leaflet_id]),
                    leaflet=leaflet_id)


@login_required
@reauth_required
@require_POST
def leaflet_pdf(request, patient_id, leaflet_id):
    """The leaflet printed for the patient: kept in the chart's documents and audited."""
    return _pdf(request, Kind.LEAFLET, _leaflet_patient(request, patient_id, leaflet_id), leaflet=leaflet_id)


def _leaflet_patient(request, patient_id, leaflet_id):
    """The patient, once the leaflet is one of their clinic's knowledge base (else 404)."""
    patient = _patient(request, patient_id)
    if for_clinic(patient.clinic).get("leaflet", leaflet_id) is None:
        raise Http404("no such leaflet")
    return patient


@login_required
@reauth_required
@require_safe
def record_copy_fhir(request, patient_id):
    """Everything about the patient as a FHIR Bundle (the interoperability app's $everything)."""
    patient = _patient(request, patient_id)
    with transaction.atomic():
        bundle = everything(patient, base_url(request))
        record("export", request=request, patient=patient, obj=patient,
               detail={"document": Kind.RECORD_COPY, "format": "fhir", "restricted": patient.restricted})
    response = HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False), content_type="application/fhir+json")
    response["Content-Disposition"] = (f'attachment; filename="record-copy-{patient.pk}-'
                                       f'{timezone.localdate().isoformat()}.fhir.json"')
    return response


@login_required
@reauth_required
@require_http_methods(["GET", "HEAD", "POST"])
def referral(request, patient_id):
    """The referral letter: a form prefilled from the chart, its preview, and the PDF issued
    ("Download PDF" keeps the texts as sent)."""
    patient = _patient(request, patient_id)
    if request.method == "POST":
        form = ReferralForm(request.POST)
    else:
        initial = content.referral_draft(patient)
        form = ReferralForm(initial={**initial, "recipient": request.GET.get("to", Recipient.GP)})
    made = None
    if form.is_bound and form.is_valid():
        recipient = form.cleaned_data["recipient"]
        options = {"texts": form.texts(), "recipient_label": Recipient(recipient).label, "signer": _signer(request.user)}
        if request.POST.get("action") == "pdf":
            return _pdf(request, Kind.REFERRAL, patient, recipient=recipient, **options)
        made = compose(Kind.REFERRAL, patient, **options)
    record("view", request=request, patient=patient, obj=patient, detail={"document": Kind.REFERRAL})
    return render(request, "documents/referral_page.html", {
        "patient": patient, "form": form, "made": made, "clinic": patient.clinic,
        **(made.context if made else {})}, status=400 if form.errors else 200)
