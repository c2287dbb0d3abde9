"""Plans and sessions in the app: the session page checks every injection before saving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from segmenta import l10n
from segmenta.audit.trail import record
from segmenta.knowledge import wording
from segmenta.patients.models import Patient

from .forms import (
    AdverseEventForm,
    AmendmentForm,
    FollowUpForm,
    InjectionForm,
    InjectionResponseForm,
    PlanForm,
    RemoveInjectionForm,
    ScoreForm,
    SessionForm,
    SessionNotesForm,
)
from .emergency import emergency_context
from .models import Injection, Session, SignedSessionError
from .sessions import (
    TreatmentError,
    add_injection,
    amend,
    discard_draft,
    gauge,
    is_empty,
    is_physician,
    record_response,
    remove_injection,
    removed_injections,
    safety_preview,
    session_budget,
    sign,
    strip_chart,
    strip_facts,
)


def _patient(request, pk):
    return Patient.objects.for_user_or_404(request.user, pk)


def _session(request, session_id):
    return get_object_or_404(
        Session.objects.visible_to(request.user)
        .select_related("patient", "patient__clinic", "plan", "practitioner", "signed_by"), pk=session_id)


@login_required
def plan_new(request, pk):
    patient = _patient(request, pk)
    form = PlanForm(request.POST or None, patient=patient,
                    initial={"reassess_after": patient.clinic.reassess_after})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            plan = form.save(commit=False)
            plan.patient, plan.created_by = patient, request.user
            plan.save()
            record("create", request=request, patient=patient, obj=plan)
        messages.success(request, _("Treatment plan saved."))
        return redirect(f"/patients/{patient.pk}/#plans")
    return render(request, "treatment/plan_form.html", {"patient": patient, "form": form},
                  status=400 if form.errors else 200)


@login_required
def session_new(request, pk):
    patient = _patient(request, pk)
    form = SessionForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            session = form.save(commit=False)
            session.patient, session.practitioner = patient, request.user
            session.save()
            record("create", request=request, patient=patient, obj=session)
        return redirect("treatment:session", session_id=session.pk)
    return render(request, "treatment/session_new.html", {"patient": patient, "form": form},
                  status=400 if form.errors else 200)


def _page(request, session, status=200, **forms):
    """The session page with any bound forms passed in, fresh ones otherwise (a bound
    response or removal form is for the injection ``forms["for_injection"]``)."""
    patient = session.patient
    weight = patient.weights.filter(entered_in_error_at=None).first()
    events = list(session.adverse_events.select_related("injection"))
    injections = list(session.injections.select_related("history_item", "complaint", "overridden_by",
                                                        "performed_by", "product"))
    scores = list(session.scores.select_related("complaint"))
    follow_ups = list(session.follow_ups.all())
    chart = strip_chart(patient)
    strip = strip_facts(patient, chart=chart)
    budget, budget_at = session_budget(session, injections, strip, chart)
    if budget is not strip["budget"]:
        # A session whose window has closed (charted later, or reopened): the strip's dose
        # is the session's own, up to its last injection, as the gauge shows it; "now"
        # would read 0 mg beside a gauge that says otherwise.
        strip = {**strip, "budget": budget, "budget_at": budget_at}
    if not session.signed:
        bound = forms.get("for_injection")
        for item in injections:
            item.response_form = forms["response_form"] if bound == item.pk and "response_form" in forms else \
                InjectionResponseForm(instance=item)
            item.remove_form = forms["remove_form"] if bound == item.pk and "remove_form" in forms else \
                RemoveInjectionForm(injection=item)
            item.open_form = "response" if bound == item.pk and "response_form" in forms else \
                "remove" if bound == item.pk else None
    context = {
        "session": session, "patient": patient, "injections": injections,
        "scores": scores, "events": events, "follow_ups": follow_ups,
        "amendments": session.amendments.select_related("author"),
        "removed": removed_injections(session),
        "strip": strip, "budget": budget, "budget_at": budget_at, "gauge": gauge(budget),
        "empty": is_empty(session, injections, scores, events, follow_ups),
        "injection_form": forms.get("injection_form") or InjectionForm(session=session, user=request.user),
        "score_form": forms.get("score_form") or ScoreForm(session=session),
        "event_form": forms.get("event_form") or AdverseEventForm(session=session),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(session=session),
        "amendment_form": forms.get("amendment_form") or AmendmentForm(),
        "notes_form": SessionNotesForm(instance=session),
        "preview": forms.get("preview"), "can_override": is_physician(request.user),
        "weight": weight,
        **emergency_context(session),
    }
    return render(request, "treatment/session.html", context, status=status)


@login_required
def session_detail(request, session_id):
    session = _session(request, session_id)
    record("view", request=request, patient=session.patient, obj=session)
    return _page(request, session)


@login_required
@require_POST
def injection_add(request, session_id):
    session = _session(request, session_id)
    form = InjectionForm(request.POST, session=session, user=request.user)
    if not form.is_valid():
        return _page(request, session, status=400, injection_form=form)
    if request.POST.get("action") == "check":
        _result, verdict, _kb = safety_preview(session, form.injection(), request.user)
        return _page(request, session, injection_form=form, preview=verdict)
    try:
        item = add_injection(session, form.injection(), request.user, request=request,
                             override_reason=form.cleaned_data["override_reason"])
    except TreatmentError as error:
        _result, verdict, _kb = safety_preview(session, form.injection(), request.user)
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _page(request, session, status=400 if error.status == 422 else error.status,
                     injection_form=form, preview=verdict)
    if item.verdict == "warn":
        messages.warning(request, _("Injection #%(n)s saved with warnings: %(reasons)s")
                         % {"n": item.order, "reasons": wording.reasons(item.reasons)})
    else:
        messages.success(request, _("Injection #%(n)s saved.") % {"n": item.order})
    return redirect("treatment:session", session_id=session.pk)


def _injection(session, injection_id):
    return get_object_or_404(Injection.objects.select_related("session"), session=session, pk=injection_id)


def _to_injection(session, item_pk):
    return redirect(reverse("treatment:session", args=[session.pk]) + f"#injection-{item_pk}")


@login_required
@require_POST
def response_edit(request, session_id, injection_id):
    """A response (onset, relief, how long it lasted) added to a saved injection of a draft."""
    session = _session(request, session_id)
    item = _injection(session, injection_id)
    form = InjectionResponseForm(request.POST, instance=Injection.objects.get(pk=item.pk))
    if not form.is_valid():
        return _page(request, session, status=400, for_injection=item.pk, response_form=form)
    try:
        changed = record_response(item, form.cleaned_data, request.user, request=request)
    except TreatmentError as error:
        messages.error(request, error.message)
        return redirect("treatment:session", session_id=session.pk)
    if changed:
        messages.success(request, _("Response to injection #%(n)s saved.") % {"n": item.order})
    else:
        messages.info(request, _("Nothing changed in the response to injection #%(n)s.") % {"n": item.order})
    return _to_injection(session, item.pk)


@login_required
@require_POST
def injection_remove(request, session_id, injection_id):
    """Remove a mistaken injection from a draft, with the reason (kept in its versions)."""
    session = _session(request, session_id)
    item = _injection(session, injection_id)
    form = RemoveInjectionForm(request.POST, injection=item)
    if not form.is_valid():
        return _page(request, session, status=400, for_injection=item.pk, remove_form=form)
    try:
        remove_injection(item, request.user, form.cleaned_data["reason"], request=request)
    except TreatmentError as error:
        if error.field == "reason":
            form.add_error("reason", error.message)
            return _page(request, session, status=400, for_injection=item.pk, remove_form=form)
        messages.error(request, error.message)
        return _to_injection(session, item.pk)
    messages.success(request, _("Injection #%(n)s removed; the session's history keeps it.") % {"n": item.order})
    return redirect(reverse("treatment:session", args=[session.pk]) + "#injections")


@login_required
@require_POST
def session_discard(request, session_id):
    """Discard an empty draft (started by mistake)."""
    session = _session(request, session_id)
    try:
        discard_draft(session, request.user, request=request)
    except TreatmentError as error:
        messages.error(request, error.message)
        return redirect("treatment:session", session_id=session.pk)
    messages.success(request, _("The empty draft session of %(when)s was discarded.")
                     % {"when": l10n.moment(session.started_at)})
    return redirect("patients:detail", session.patient_id)


@login_required
@require_POST
def injection_check(request, session_id):
    """The live verdict (htmx): the injection form as it stands, checked without saving."""
    session = _session(request, session_id)
    form = InjectionForm(request.POST, session=session, user=request.user)
    verdict = None
    if form.is_valid() and not session.signed:
        _result, verdict, _kb = safety_preview(session, form.injection(), request.user)
    return render(request, "treatment/_verdict.html", {
        "session": session, "form": form, "preview": verdict, "can_override": is_physician(request.user),
        "incomplete": not form.is_valid(), "oob": True})


def _save_part(request, session, form_name, form, what):
    if form.is_valid():
        try:
            with transaction.atomic():
                part = form.save(commit=False)
                part.session = session
                if hasattr(part, "recorded_by_id"):
                    part.recorded_by = request.user
                part.save()
                record("create", request=request, patient=session.patient, obj=part, detail={"session": session.pk})
        except SignedSessionError as error:
            messages.error(request, error.messages[0])
            return redirect("treatment:session", session_id=session.pk)
        messages.success(request, what)
        return redirect("treatment:session", session_id=session.pk)
    return _page(request, session, status=400, **{form_name: form})


@login_required
@require_POST
def notes_edit(request, session_id):
    session = _session(request, session_id)
    form = SessionNotesForm(request.POST, instance=session)
    if session.signed:
        messages.error(request, _("This session is signed; add an amendment instead."))
    elif form.is_valid():
        with transaction.atomic():
            form.save()
            record("update", request=request, patient=session.patient, obj=session,
                   detail={"fields": sorted(form.changed_data)})
        messages.success(request, _("Notes saved."))
    return redirect("treatment:session", session_id=session.pk)


@login_required
@require_POST
def score_add(request, session_id):
    session = _session(request, session_id)
    return _save_part(request, session, "score_form", ScoreForm(request.POST, session=session), _("NRS saved."))


@login_required
@require_POST
def event_add(request, session_id):
    session = _session(request, session_id)
    return _save_part(request, session, "event_form", AdverseEventForm(request.POST, session=session),
                      _("Adverse event recorded."))


@login_required
@require_POST
def follow_up_add(request, session_id):
    session = _session(request, session_id)
    return _save_part(request, session, "follow_up_form", FollowUpForm(request.POST, session=session),
                      _("Follow-up recorded."))


@login_required
@require_POST
def session_sign(request, session_id):
    session = _session(request, session_id)
    try:
        sign(session, request.user, request=request)
    except TreatmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Session signed. From now on only amendments can be added."))
    return redirect("treatment:session", session_id=session.pk)


@login_required
@require_POST
def amendment_add(request, session_id):
    session = _session(request, session_id)
    form = AmendmentForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, amendment_form=form)
    try:
        amend(session, request.user, form.cleaned_data["reason"], form.cleaned_data["text"], request=request)
    except TreatmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Amendment signed and added."))
    return redirect("treatment:session", session_id=session.pk)
