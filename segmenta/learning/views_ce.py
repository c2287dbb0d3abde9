"""Continuing education: a practitioner's own Training page with their records and where they
stand against each requirement, the record form, and the clinic admin's team view and
requirements. Records are the practitioner's own; only they add or change them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from segmenta.accounts.access import admin_clinics, clinic_admin_required
from segmenta.accounts.models import PractitionerProfile, TrainingRecord
from segmenta.accounts.uploads import drop_stored_upload
from segmenta.audit.trail import record as audit
from segmenta.knowledge import localize
from segmenta.knowledge import service as knowledge_service
from segmenta.knowledge.base import load as load_knowledge

from . import training
from .forms_ce import CycleForm, RecordForm, RequirementForm, body_choices
from .models_ce import ClinicRequirement, TrainingCycle

AUDITED_FIELDS = ("kind", "course", "awarding_body", "provider", "date", "credits", "expiry", "hours", "techniques")


def _kb_of(user):
    """The knowledge base of the user's first clinic (its overrides included), else the shipped one."""
    membership = user.memberships.select_related("clinic").first()
    return knowledge_service.for_clinic(membership.clinic) if membership else load_knowledge()


def _changes(before, item):
    return {name: [str(before.get(name)), str(getattr(item, name))] for name in AUDITED_FIELDS
            if before.get(name) != getattr(item, name)}


@login_required
def training_page(request):
    PractitionerProfile.objects.get_or_create(user=request.user)
    # Its records read once: the standings, the techniques still covered and those lapsed all use them.
    profile = PractitionerProfile.objects.prefetch_related("training_records").get(user=request.user)
    records = list(profile.training_records.all())
    memberships = list(request.user.memberships.select_related("clinic"))
    cycles = {c.requirement: c for c in request.user.training_cycles.all()}
    starts = {key: c.starts for key, c in cycles.items()}
    today = timezone.localdate()
    own = list(ClinicRequirement.objects.filter(clinic__in=[m.clinic for m in memberships]))
    clinics = []
    names = {}
    for membership in memberships:
        kb = knowledge_service.for_clinic(membership.clinic)
        names = names or dict(body_choices(kb))
        profession = training.profession_of(profile)
        found = training.standings(kb=kb, clinic=membership.clinic, role=membership.role,
                                   profession=profession, records=records,
                                   cycles=starts, clinic_requirements=own, today=today)
        for standing in found:
            if standing.from_knowledge_base:
                rid = standing.entry["id"]
                standing.cycle_form = CycleForm(instance=cycles.get(rid), prefix=f"cycle-{rid}")
        clinics.append({"clinic": membership.clinic, "standings": found,
                        "unknown": training.unknowns(membership.clinic, profession)})
    names = names or dict(body_choices(load_knowledge()))
    for item in records:
        item.awarding_body_name = names.get(item.awarding_body, item.awarding_body)
    lapsed = profile.lapsed_techniques(today)
    return render(request, "learning/training.html", {
        "records": records,
        "clinics": clinics,
        "certificates": training.certificates(records, today),
        "today": today,
        "trained": [localize.label("injection_target", code) for code in profile.trained_techniques(today)],
        "lapsed": [(localize.label("injection_target", code), day) for code, day in sorted(lapsed.items())],
        "is_admin": admin_clinics(request.user).exists(),
    })


def _record_form_page(request, item):
    kb = _kb_of(request.user)
    profile, _created = PractitionerProfile.objects.get_or_create(user=request.user)
    initial = {}
    if item is None and request.GET.get("technique"):
        initial["techniques"] = [request.GET["technique"]]
    if request.method == "POST":
        before = {name: getattr(item, name) for name in AUDITED_FIELDS} if item else {}
        old_file = item.certificate.name if item and item.certificate else ""
        form = RecordForm(request.POST, request.FILES, instance=item, kb=kb)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.profile = profile
            try:
                with transaction.atomic():
                    saved.save()
                    if item is None:
                        audit("create", request=request, obj=saved)
                    else:
                        detail = _changes(before, saved)
                        if old_file != (saved.certificate.name or ""):
                            detail["certificate"] = "replaced" if saved.certificate else "removed"
                        audit("update", request=request, obj=saved, detail=detail)
            except Exception:
                drop_stored_upload(saved.certificate, keep=old_file)
                raise
            if old_file and old_file != (saved.certificate.name or ""):
                saved.certificate.storage.delete(old_file)  # the replaced file, after the commit
            messages.success(request, _("Training record saved."))
            return redirect("learning:training")
        status = 400
    else:
        form = RecordForm(instance=item, kb=kb, initial=initial)
        status = 200
    return render(request, "learning/training_record_form.html", {"form": form, "item": item}, status=status)


@login_required
def record_new(request):
    return _record_form_page(request, None)


@login_required
def record_edit(request, pk):
    item = get_object_or_404(TrainingRecord, pk=pk, profile__user=request.user)
    return _record_form_page(request, item)


@login_required
@require_POST
def cycle_save(request, requirement):
    """The start of the user's own period of a knowledge-base requirement; empty: rolling."""
    kb = _kb_of(request.user)
    if "cme-requirement" not in kb.kinds() or kb.get("cme-requirement", requirement) is None:
        raise Http404
    cycle = TrainingCycle.objects.filter(user=request.user, requirement=requirement).first()
    prefix = f"cycle-{requirement}"
    if not request.POST.get(f"{prefix}-starts"):
        if cycle is not None:
            with transaction.atomic():
                audit("delete", request=request, obj=cycle, detail={"requirement": requirement})
                cycle.delete()
        messages.success(request, _("Your period is now counted back from today."))
        return redirect("learning:training")
    form = CycleForm(request.POST, instance=cycle or TrainingCycle(user=request.user, requirement=requirement),
                     prefix=prefix)
    if not form.is_valid():
        for error in form.errors.get("starts", []):
            messages.error(request, _("Period start: %(error)s") % {"error": error})
        return redirect("learning:training")
    with transaction.atomic():
        saved = form.save()
        audit("create" if cycle is None else "update", request=request, obj=saved,
              detail={"requirement": requirement, "starts": str(saved.starts)})
    messages.success(request, _("Your period's start is saved."))
    return redirect("learning:training")


def _admin_clinic(request):
    clinics = list(admin_clinics(request.user).order_by("name"))
    chosen = request.GET.get("clinic") or request.POST.get("clinic")
    if chosen:
        clinic = next((c for c in clinics if str(c.pk) == chosen), None)
        if clinic is None:
            raise Http404
        return clinic, clinics
    return clinics[0], clinics


@login_required
@clinic_admin_required
def team_page(request):
    clinic, clinics = _admin_clinic(request)
    members = training.team(knowledge_service.for_clinic(clinic), clinic)
    audit("view", request=request, clinic=clinic, object_type="training_team", object_id=str(clinic.pk),
          detail={"members": [m.user.get_username() for m in members]})
    return render(request, "learning/training_team.html", {
        "clinic": clinic, "clinics": clinics, "members": members,
        "requirements": ClinicRequirement.objects.filter(clinic=clinic)})


@login_required
@clinic_admin_required
def requirements_page(request, pk=None):
    clinic, clinics = _admin_clinic(request)
    kb = knowledge_service.for_clinic(clinic)
    item = get_object_or_404(ClinicRequirement, pk=pk, clinic__in=clinics) if pk else None
    if item is not None:
        clinic = item.clinic
    if request.method == "POST":
        before = {f: getattr(item, f) for f in RequirementForm.Meta.fields} if item else {}
        form = RequirementForm(request.POST, instance=item, kb=kb)
        if form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.clinic = clinic
                saved.save()
                detail = {f: [str(before.get(f)), str(getattr(saved, f))] for f in RequirementForm.Meta.fields
                          if before.get(f) != getattr(saved, f)}
                audit("update" if item else "create", request=request, clinic=clinic, obj=saved, detail=detail)
            messages.success(request, _("Requirement saved."))
            return redirect(f"{request.path if item is None else _list_url()}?clinic={clinic.pk}")
        status = 400
    else:
        form = RequirementForm(instance=item, kb=kb)
        status = 200
    bodies = dict(body_choices(kb))
    requirements = list(ClinicRequirement.objects.filter(clinic=clinic))
    for own in requirements:
        own.bodies_display = [bodies.get(b, b) for b in own.awarding_bodies]
    return render(request, "learning/training_requirements.html", {
        "clinic": clinic, "clinics": clinics, "form": form, "item": item, "requirements": requirements,
        "shipped": [localize.entry(e) for e in kb.all("cme-requirement")] if "cme-requirement" in kb.kinds() else []}, status=status)


def _list_url():
    return reverse("learning:training_requirements")


@login_required
@clinic_admin_required
@require_POST
def requirement_delete(request, pk):
    item = get_object_or_404(ClinicRequirement, pk=pk, clinic__in=admin_clinics(request.user))
    with transaction.atomic():
        audit("delete", request=request, clinic=item.clinic, obj=item, detail={"name": item.name})
        item.delete()
    messages.success(request, _("Requirement removed."))
    return redirect(f"{_list_url()}?clinic={item.clinic_id}")
