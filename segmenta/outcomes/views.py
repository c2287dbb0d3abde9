"""Questionnaires in the app: answered by the patient through a one-time link (no login),
or entered by staff; scores over time on the patient's page."""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from segmenta import l10n
from segmenta.accounts.access import admin_clinics, clinic_admin_required, outcome_clinics, reauth_required
from segmenta.accounts.models import Clinic
from segmenta.audit.trail import record
from segmenta.knowledge.base import load
from segmenta.knowledge.service import for_clinic
from segmenta.replica import reports_from_replica
from segmenta.patients.models import Patient, offered_language
from segmenta.patients.plot import course_chart, defines_band, important_band
from segmenta.validators import load_json

from .export import RESEARCH_SCOPE, to_csv, to_parquet
from .alerts import AcknowledgeForm, can_acknowledge
from .labels import by_label, instrument_title
from segmenta.knowledge.crisis import contacts_for
from .models import Alert, AnswerLink, ClinicInstrument, LinkAlreadyAnswered, clinic_instruments
from .responses import answer_form, save_answers
from .scoring import check_instrument, instruments
from .scoring import rule as score_rule
from .statistics import side_by_side
from .summary import summary


@login_required
def practice(request):
    """The practice's own evidence: for clinic admins and practitioners of their clinics."""
    clinics = _research_clinics(request)
    with reports_from_replica():
        result = summary(clinics)
    itt = result["intention_to_treat"]
    tables = {dimension: side_by_side(result[dimension], itt[dimension])
              for dimension in ("by_region", "by_approach", "by_sessions")}
    # Regions and approaches in the order of their names as the reader sees them; the
    # numbers of sessions keep their own order.
    tables["by_region"], tables["by_approach"] = by_label(tables["by_region"]), by_label(tables["by_approach"])
    return render(request, "outcomes/practice.html", {"summary": result, "tables": tables, "clinics": clinics})


def _research_clinics(request):
    clinics = outcome_clinics(request.user)  # the same rule as the menu's "Outcomes"
    if not clinics.exists():
        raise Http404
    return clinics


@login_required
@reauth_required
def research_export(request, fmt):
    """Pseudonymised rows for research, CSV or Parquet, of the patients whose consent covers
    research use: behind re-authentication, audited."""
    clinics = _research_clinics(request)
    with reports_from_replica():
        content, count = (to_parquet if fmt == "parquet" else to_csv)(clinics)
    with transaction.atomic():
        for clinic in clinics:
            record("export", request=request, clinic=clinic, object_type="research_export",
                   detail={"format": fmt, "rows": count, "pseudonymised": True, "consent_scope": RESEARCH_SCOPE})
    response = HttpResponse(content, content_type="application/vnd.apache.parquet" if fmt == "parquet"
                            else "text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="segmenta-research-pseudonymised-{stamp}.{fmt}"'
    return response


class InstrumentImportForm(forms.Form):
    clinic = forms.ModelChoiceField(label=gettext_lazy("Clinic"), queryset=Clinic.objects.none())
    questionnaire = forms.FileField(label=gettext_lazy("FHIR Questionnaire (JSON) with its scoring rule"))
    licence_note = forms.CharField(label=gettext_lazy("Licence"), max_length=300,
                                   help_text=gettext_lazy("Who granted your licence, and until when."))

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics

    def clean_questionnaire(self):
        upload = self.cleaned_data["questionnaire"]
        if upload.size > 1024 * 1024:
            raise forms.ValidationError(_("The file is too large (at most 1 MB)."))
        try:
            resource = load_json(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise forms.ValidationError(_("Not JSON: %(error)s") % {"error": error}) from None
        problems = check_instrument(resource) if isinstance(resource, dict) else [_("Not a JSON object.")]
        if problems:
            raise forms.ValidationError(problems)
        if resource["id"] in instruments():
            raise forms.ValidationError(_("This id is a shipped instrument; give yours another id."))
        return resource


@clinic_admin_required
def instrument_import(request):
    clinics = admin_clinics(request.user)
    form = InstrumentImportForm(request.POST or None, request.FILES or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        resource = form.cleaned_data["questionnaire"]
        with transaction.atomic():
            item, created = ClinicInstrument.objects.update_or_create(
                clinic=form.cleaned_data["clinic"], instrument_id=resource["id"],
                defaults={"resource": resource, "licence_note": form.cleaned_data["licence_note"],
                          "created_by": request.user})
            record("create" if created else "update", request=request, clinic=item.clinic, obj=item,
                   detail={"instrument": item.instrument_id, "licence": item.licence_note})
        messages.success(request, _("Questionnaire %(id)s imported.") % {"id": resource["id"]})
        return redirect("outcomes:instrument_import")
    return render(request, "outcomes/instruments.html", {
        "form": form, "imported": ClinicInstrument.objects.filter(clinic__in=clinics).select_related("clinic"),
        "shipped": sorted((k, instrument_title(k)) for k in instruments()),
    }, status=400 if form.errors else 200)


class LinkForm(forms.Form):
    instrument = forms.ChoiceField(label=gettext_lazy("Questionnaire"))

    def __init__(self, *args, extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        available = {**instruments(), **(extra or {})}
        self.fields["instrument"].choices = [(k, instrument_title(k, extra)) for k in sorted(available)]
    hours = forms.TypedChoiceField(label=gettext_lazy("Valid for"), coerce=int, initial=72,
                                   choices=[(1, gettext_lazy("1 hour (in the waiting room)")),
                                            (24, gettext_lazy("1 day")), (72, gettext_lazy("3 days")),
                                            (168, gettext_lazy("1 week"))])



def _patient(request, pk):
    return Patient.objects.for_user_or_404(request.user, pk)


@login_required
def questionnaires(request, pk):
    patient = _patient(request, pk)
    record("view", request=request, patient=patient, object_type="responses", object_id=str(patient.pk))
    extra = clinic_instruments(patient.clinic_id)
    titles = {k: instrument_title(k, extra) for k in {**instruments(), **extra}}
    by_instrument = {}
    for response in patient.responses.all():
        by_instrument.setdefault(response.instrument, []).append(response)
    return render(request, "outcomes/questionnaires.html", {
        "patient": patient, "link_form": LinkForm(extra=extra),
        "series": [{"instrument": k, "title": titles.get(k, k), "responses": v, "chart": _chart(k, v, extra)}
                   for k, v in by_instrument.items()],
        "instruments": sorted(titles.items()),
    })


def _chart(instrument_id, responses, extra=None):
    """Scores over time on the instrument's own scale, dated, with the band of an important
    improvement on the first score where the knowledge base gives one."""
    kb = load()
    threshold = kb.get("instrument-threshold", instrument_id) or {}
    known = threshold.get("range", {})
    scoring = score_rule({**instruments(), **(extra or {})}[instrument_id])
    totals = [r.total for r in responses]
    lo = next((v for v in (scoring.get("min"), known.get("min")) if v is not None), None)
    hi = next((v for v in (scoring.get("max"), known.get("max")) if v is not None), None)
    range_known = lo is not None and hi is not None
    if not range_known:  # an imported instrument that declares no range: the answers' own
        lo = min(totals + [0]) if lo is None else lo
        hi = max(totals + [lo + 1]) if hi is None else hi
    points = [{"when": r.answered_at, "day": timezone.localdate(r.answered_at), "value": r.total, "after": None,
               "marked": False} for r in responses]
    band = important_band(totals[0], threshold, lo, hi)
    return {"chart": course_chart(points, lo, hi, band), "band": band, "first": points[0], "latest": points[-1],
            "no_band": None if band else ("no_room" if defines_band(threshold) else "no_threshold"),
            "range_known": range_known, "threshold_id": instrument_id if threshold else None,
            "sources": [kb.source(s)["name"] for s in threshold.get("sources", []) if kb.source(s)]}


@login_required
@require_POST
def link_create(request, pk):
    patient = _patient(request, pk)
    form = LinkForm(request.POST, extra=clinic_instruments(patient.clinic_id))
    if not form.is_valid():
        messages.error(request, _("Choose a questionnaire and how long the link stays valid."))
        return redirect("outcomes:questionnaires", pk=patient.pk)
    with transaction.atomic():
        link, raw = AnswerLink.issue(patient, form.cleaned_data["instrument"], request.user,
                                     hours=form.cleaned_data["hours"])
        record("create", request=request, patient=patient, obj=link,
               detail={"instrument": link.instrument, "expires": link.expires_at.isoformat()})
    url = request.build_absolute_uri(reverse("outcomes:answer", args=[raw]))
    return render(request, "outcomes/link_created.html", {
        "patient": patient, "link": link, "url": url, "language": offered_language(patient.language),
        "title": instrument_title(link.instrument, clinic_instruments(patient.clinic_id), patient.language),
        "qr_svg": segno.make(url, error="m").svg_inline(scale=4, dark="#1d2b36", light="#ffffff"),
    })


@login_required
def enter_answers(request, pk, instrument):
    patient = _patient(request, pk)
    extra = clinic_instruments(patient.clinic_id)
    if instrument not in instruments() and instrument not in extra:
        return redirect("outcomes:questionnaires", pk=patient.pk)
    form = answer_form(instrument, request.POST or None, extra)
    if request.method == "POST" and form.is_valid():
        response = save_answers(patient, instrument, form.cleaned_data, entered_by=request.user, request=request)
        messages.success(request, _("Answers saved: score %(total)s.") % {"total": l10n.number(response.total)})
        return redirect("outcomes:questionnaires", pk=patient.pk)
    return render(request, "outcomes/answer.html", {"form": form, "patient": patient, "staff": True},
                  status=400 if form.errors else 200)


def _already_answered(request):
    return render(request, "outcomes/link_gone.html", {"answered": True}, status=410)


def _speak(request, language):
    """This request answers in ``language`` (the patient's), whatever the browser or a
    clinician logged in on the same device would get."""
    translation.activate(offered_language(language))
    request.LANGUAGE_CODE = translation.get_language()


def answer(request, token):
    """The patient's page: no login, one questionnaire, once, until it expires; in the
    patient's language, as are its thank-you and error pages."""
    link = AnswerLink.find(token)
    if link is None:
        language = AnswerLink.holder_language(token)
        if language:
            _speak(request, language)
        if AnswerLink.was_answered(token):
            return _already_answered(request)
        return render(request, "outcomes/link_gone.html", status=410)
    _speak(request, link.patient.language)
    form = answer_form(link.instrument, request.POST or None, clinic_instruments(link.patient.clinic_id))
    if request.method == "POST" and form.is_valid():
        try:
            save_answers(link.patient, link.instrument, form.cleaned_data, link=link, complaint=link.complaint,
                         request=request)
        except LinkAlreadyAnswered:
            return _already_answered(request)
        # Every patient sees the crisis contacts, whatever they answered: the page must not
        # let anyone infer that an alert was raised.
        clinic = link.patient.clinic
        kb = for_clinic(clinic)  # the clinic's own overrides, as its settings page shows them
        return render(request, "outcomes/thanks.html", {"crisis": contacts_for(
            clinic.jurisdiction, clinic.crisis_contacts, kb.entries["crisis-contact"])})
    return render(request, "outcomes/answer.html", {"form": form, "staff": False},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def alert_acknowledge(request, pk, alert_id):
    """A clinician has assessed the risk: the alert leaves the chart, with who, when and a note."""
    patient = _patient(request, pk)
    if not can_acknowledge(request.user, patient):
        return HttpResponseForbidden(_("Only a clinician (a practitioner or clinic admin whose profession is "
                                       "verified) can acknowledge an alert."))
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Note: %(error)s") % {"error": " ".join(form.errors["note"])})
        return redirect("patients:detail", pk=patient.pk)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(patient=patient, pk=alert_id).first()
        if alert is None:
            raise Http404
        if alert.acknowledged_at is None:
            alert.acknowledged_by = request.user
            alert.acknowledged_at = timezone.now()
            alert.note = form.cleaned_data["note"]
            alert.save(update_fields=["acknowledged_by", "acknowledged_at", "note"])
            record("update", request=request, patient=patient, obj=alert,
                   detail={"code": alert.code, "acknowledged": True, "with_note": bool(alert.note)})
            messages.success(request, _("Alert acknowledged."))
    return redirect("patients:detail", pk=patient.pk)
