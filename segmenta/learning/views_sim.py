"""The case simulator's pages (/learn/simulator/): the vignettes with each one's best score,
and a run step by step: history, body map, fields and injections, then the debrief.

The scoring is segmenta.learning.simulator (pure); these views keep the run's answers and
show what the engines said. Vignettes are made-up cases, so nothing here reads or writes a
patient's data and nothing is audited as such."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from segmenta.accounts.models import Membership
from segmenta.knowledge import localize
from segmenta.knowledge.base import load
from segmenta.patients.chart_forms import RegionsField

from . import simulator
from .models_sim import SimulatorRun

INJECTION_ROWS = 3
PART_TITLES = {
    "history": gettext_lazy("History taken"), "red_flags": gettext_lazy("Red flags"),
    "body_map": gettext_lazy("Body map"), "fields": gettext_lazy("Candidate fields"),
    "targets": gettext_lazy("Injections the engine offers"), "safety": gettext_lazy("Safety of your injections"),
}


def _membership(request):
    """The membership runs are kept under: the user's first clinic by name."""
    membership = (Membership.objects.filter(user=request.user).select_related("clinic")
                  .order_by("clinic__name").first())
    if membership is None:
        raise Http404(_("You belong to no clinic."))
    return membership


def _vignette(vignette_id):
    vignette = load().get("vignette", vignette_id)
    if vignette is None:
        raise Http404(_("No such case."))
    return vignette


def _run(request, pk):
    membership = _membership(request)
    return get_object_or_404(SimulatorRun, pk=pk, clinic_id=membership.clinic_id, membership=membership)


@login_required
def vignette_list(request):
    membership = _membership(request)
    runs = {row["vignette"]: row for row in SimulatorRun.objects.filter(
        clinic_id=membership.clinic_id, membership=membership).values("vignette").annotate(
        best=Max("score"), count=Count("id"))}
    vignettes = [{"entry": localize.entry(v), "best": runs.get(v["id"], {}).get("best"),
                  "runs": runs.get(v["id"], {}).get("count", 0)} for v in load().all("vignette")]
    return render(request, "learning/simulator_list.html", {"vignettes": vignettes})


@login_required
@require_POST
def start(request, vignette_id):
    _vignette(vignette_id)
    run = SimulatorRun.objects.create(membership=_membership(request), vignette=vignette_id,
                                      answers=simulator.empty_answers())
    return redirect("learning:simulator_run", run.pk)


def _questions(vignette, asked):
    """The vignette's questions in the page's language, each with its answer once asked."""
    shown = localize.entry(vignette)["questions"]
    return [{"id": q["id"], "question": shown[i]["question"],
             "answer": shown[i]["answer"] if q["id"] in asked else None} for i, q in enumerate(vignette["questions"])]


def _where(thing):
    """A complaint's or history item's regions in the page's language ("Unterbauch, rechts")."""
    return "; ".join(", ".join([localize.label("region", r["region"])] +
                               ([localize.label("side", r["side"]).lower()] if r.get("side") else []))
                     for r in thing.get("regions", []) if "region" in r)


def item_label(item):
    """A history item as the learner reads it: its kind, tooth and place in the page's language
    (the case's own description is English, as written by the vignette's author)."""
    label = localize.label("history_kind", item["kind"])
    if item.get("tooth"):
        label = f"{label} {item['tooth']}"
    where = _where(item)
    return f"{label} ({where})" if where else label


class MapForm(forms.Form):
    regions = RegionsField(label=gettext_lazy("Where the complaint is"))

    def clean_regions(self):
        regions = self.cleaned_data["regions"]
        if any("choir" not in r for r in regions):
            raise forms.ValidationError(_("Mark the segments on the body map."))
        return [{"choir": r["choir"]} for r in regions]


class PlanForm(forms.Form):
    """Red flags, candidate fields and up to three injections with their doses."""

    red_flags = forms.MultipleChoiceField(label=gettext_lazy("Red flags you found"), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    candidate_fields = forms.MultipleChoiceField(label=gettext_lazy("Candidate interference fields"), required=False,
                                       widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, vignette, asked, **kwargs):
        super().__init__(*args, **kwargs)
        kb = load()
        self.fields["red_flags"].choices = [(f["id"], localize.text(f)) for f in kb.all("red-flag")]
        # Only what the history revealed can be proposed: a field never asked about is unknown.
        revealed = {h for q in simulator.revealed(vignette, asked) for h in q["reveals"]}
        self.fields["candidate_fields"].choices = [
            (h["id"], item_label(h)) for h in vignette["case"].get("history", []) if h["id"] in revealed]
        targets = [("", "—")] + [(t["id"], localize.text(t)) for t in kb.all("technique")]
        drugs = [(d["id"], localize.text(d)) for d in kb.all("drug")]
        sides = [("", "—")] + localize.choices("side")
        items = [("", "—")] + self.fields["candidate_fields"].choices
        for row in range(1, INJECTION_ROWS + 1):
            self.fields[f"target_{row}"] = forms.ChoiceField(label=_("Target"), choices=targets, required=False)
            self.fields[f"side_{row}"] = forms.ChoiceField(label=_("Side"), choices=sides, required=False)
            self.fields[f"field_{row}"] = forms.ChoiceField(label=_("At the field"), choices=items, required=False)
            self.fields[f"drug_{row}"] = forms.ChoiceField(label=_("Drug"), choices=drugs, required=False)
            self.fields[f"concentration_{row}"] = forms.DecimalField(
                label=_("Concentration (%)"), required=False, min_value=0.1, max_value=2, decimal_places=2,
                localize=True)
            self.fields[f"volume_{row}"] = forms.DecimalField(
                label=_("Volume (mL)"), required=False, min_value=0.1, max_value=20, decimal_places=1, localize=True)

    def rows(self):
        return [[self[f"{name}_{row}"] for name in ("target", "side", "field", "drug", "concentration", "volume")]
                for row in range(1, INJECTION_ROWS + 1)]

    def clean(self):
        cleaned = super().clean()
        injections = []
        for row in range(1, INJECTION_ROWS + 1):
            target = cleaned.get(f"target_{row}")
            if not target:
                continue
            for name in ("concentration", "volume"):
                if cleaned.get(f"{name}_{row}") is None and f"{name}_{row}" not in self.errors:
                    self.add_error(f"{name}_{row}", _("Give the dose of this injection."))
            if not cleaned.get(f"drug_{row}") and f"drug_{row}" not in self.errors:
                self.add_error(f"drug_{row}", _("Choose the drug of this injection."))
            if any(not cleaned.get(f"{name}_{row}") for name in ("drug", "concentration", "volume")):
                continue
            injection = {"target": target, "drug": cleaned[f"drug_{row}"],
                         "concentration_percent": float(cleaned[f"concentration_{row}"]),
                         "volume_ml": float(cleaned[f"volume_{row}"])}
            if cleaned.get(f"side_{row}"):
                injection["side"] = cleaned[f"side_{row}"]
            if cleaned.get(f"field_{row}"):
                injection["history_id"] = cleaned[f"field_{row}"]
            injections.append(injection)
        cleaned["injections"] = injections
        return cleaned


@login_required
def run_view(request, pk):
    run = _run(request, pk)
    vignette = _vignette(run.vignette)
    asked = run.answers.get("asked", [])
    context = {"run": run, "vignette": localize.entry(vignette), "questions": _questions(vignette, asked)}
    if run.step == SimulatorRun.Step.MAP:
        context["form"] = MapForm(initial={"regions": run.answers.get("regions", [])})
    elif run.step == SimulatorRun.Step.PLAN:
        context["form"] = PlanForm(vignette=vignette, asked=asked)
    elif run.step == SimulatorRun.Step.DONE:
        context.update(_debrief(run, vignette))
    return render(request, "learning/simulator_run.html", context)


@login_required
@require_POST
def ask(request, pk):
    """Reveal a question's answer (the history step); htmx gets the questions list back."""
    with transaction.atomic():
        run = get_object_or_404(SimulatorRun.objects.select_for_update(), pk=_run(request, pk).pk)
        vignette = _vignette(run.vignette)
        question = request.POST.get("question")
        if run.step != SimulatorRun.Step.HISTORY or question not in {q["id"] for q in vignette["questions"]}:
            raise Http404(_("No such question at this step."))
        if question not in run.answers["asked"]:
            run.answers["asked"].append(question)
            run.save(update_fields=["answers"])
    if request.headers.get("HX-Request"):
        return render(request, "learning/_simulator_questions.html",
                      {"run": run, "questions": _questions(vignette, run.answers["asked"])})
    return redirect("learning:simulator_run", run.pk)


@login_required
@require_POST
def advance(request, pk):
    """Save the step's answers and move on: history → map → plan → debrief (scored)."""
    run = _run(request, pk)
    vignette = _vignette(run.vignette)
    if run.step == SimulatorRun.Step.HISTORY:
        run.step = SimulatorRun.Step.MAP
        run.save(update_fields=["step"])
    elif run.step == SimulatorRun.Step.MAP:
        form = MapForm(request.POST)
        if not form.is_valid():
            return render(request, "learning/simulator_run.html", {
                "run": run, "vignette": localize.entry(vignette), "form": form,
                "questions": _questions(vignette, run.answers["asked"])}, status=400)
        run.answers["regions"] = form.cleaned_data["regions"]
        run.step = SimulatorRun.Step.PLAN
        run.save(update_fields=["answers", "step"])
    elif run.step == SimulatorRun.Step.PLAN:
        form = PlanForm(request.POST, vignette=vignette, asked=run.answers["asked"])
        if not form.is_valid():
            return render(request, "learning/simulator_run.html", {
                "run": run, "vignette": localize.entry(vignette), "form": form,
                "questions": _questions(vignette, run.answers["asked"])}, status=400)
        answers = {**run.answers, "red_flags": form.cleaned_data["red_flags"],
                   "fields": form.cleaned_data["candidate_fields"], "injections": form.cleaned_data["injections"]}
        kb = load()
        result = simulator.score(vignette, answers, kb)
        with transaction.atomic():
            run.answers = answers
            run.score = result["score"]
            run.breakdown = {name: {"points": part["points"], "max": part["max"]}
                             for name, part in result["parts"].items()}
            run.knowledge_version = kb.version
            run.step = SimulatorRun.Step.DONE
            run.finished_at = timezone.now()
            run.save()
    return redirect("learning:simulator_run", run.pk)


def _debrief(run, vignette):
    """What the debrief shows: the engines run again on the stored answers (same knowledge
    base, same answer; the stored score is what the run earned when it was finished)."""
    kb = load()
    result = simulator.score(vignette, run.answers, kb)
    history = {h["id"]: h for h in vignette["case"].get("history", [])}
    complaints = {c["id"]: c for c in vignette["case"].get("complaints", [])}
    parts = [{"name": name, "title": PART_TITLES[name], **part} for name, part in result["parts"].items()]
    for complaint in result["assessment"]["complaints"]:
        complaint["description"] = _where(complaints[complaint["id"]])
        for candidate in complaint["candidates"]:
            candidate["description"] = item_label(history[candidate["history_id"]])
            candidate["leading"] = candidate["history_id"] in complaint["leading"]
            candidate["proposed"] = candidate["history_id"] in run.answers.get("fields", [])
    flags = result["parts"]["red_flags"]
    injections = []
    for injection, verdict, offered in zip(run.answers.get("injections", []), result["safety"]["injections"],
                                           result["parts"]["targets"]["offered"]):
        field = history.get(injection.get("history_id"))
        injections.append({**injection, "technique": localize.name(kb, "technique", injection["target"]),
                           "drug_name": localize.name(kb, "drug", injection["drug"]),
                           "field": item_label(field) if field else None, "verdict": verdict, "offered": offered})
    sources = [{"id": s, "name": (kb.source(s) or {}).get("name", s)} for s in vignette["sources"]]
    return {"result": result, "parts": parts, "sources": sources, "assessment": result["assessment"], "injections": injections,
            "flags_missed": [localize.name(kb, "red-flag", c) for c in flags["missed"]],
            "flags_caught": [localize.name(kb, "red-flag", c) for c in flags["caught"]],
            "flags_extra": [localize.name(kb, "red-flag", c) for c in flags["extra"]],
            "stored_score": run.score,
            # Scored on another version of the knowledge base: the parts shown are today's
            # engines' answer and need not add up to the score the run earned then.
            "scored_on_other_version": run.knowledge_version != kb.version}
