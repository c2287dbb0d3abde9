"""The Learn section: the knowledge base to browse and search, with its sources."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from segmenta.accounts.access import admin_clinics, chosen_clinic, clinic_admin_required
from segmenta.audit.trail import record
from segmenta.l10n import DecimalInput
from segmenta.validators import load_json

from . import localize
from .base import KINDS, KnowledgeError, load
from .last import lean_body_weight, lipid_doses, weight_plausibility
from .localize import evidence_label
from .models import ClinicOverride, overridable_kinds
from .monograph import generic_value, kind_title, label, map_title, monograph, organ_map_facts, source_type_label
from .relations import cited, indication_evidence, organ_maps, settable
from .search import LIMIT as SEARCH_LIMIT
from .search import search
from .search import terms as search_terms
from .service import for_clinic, overrides_of

WEAK = {"expert_opinion", "disputed", "no_source", "approximate", "secondary_source", "case_series"}


def _clinic(request):
    """The clinic whose overrides the pages show: ?clinic=ID among the user's, else the first."""
    clinic, clinics = chosen_clinic(request)
    return (clinic or (clinics[0] if clinics else None)), clinics


def _kb(request):
    clinic, clinics = _clinic(request)
    kb = for_clinic(clinic)
    if kb.problems:
        messages.error(request, _("Your clinic's overrides do not validate; showing the shipped knowledge base."))
    return kb, clinic, clinics


@login_required
def learn_index(request):
    kb, clinic, clinics = _kb(request)
    q = request.GET.get("q", "").strip()[:100]
    results = [{**r, "name": _name(kb, r), "kind_title": kind_title(r["kind"])} for r in search(kb, q)] if q else []
    kinds = [{"kind": kind, "title": kind_title(kind), "count": len(kb.entries[kind])} for kind in KINDS]
    return render(request, "knowledge/index.html", {
        "kb": kb, "kinds": kinds, "q": q, "results": results, "clinic": clinic, "clinics": clinics,
        "words": search_terms(q), "limit": SEARCH_LIMIT,
        "studies": [localize.entry(s) for s in kb.all("study")],
    })


def _name(kb, result):
    """A search result's entry name in the active language (as the index of that language holds it)."""
    entry_id = int(result["id"]) if result["kind"] == "choir-segment" and str(result["id"]).isdigit() else result["id"]
    found = kb.get(result["kind"], entry_id) if result["kind"] in kb.entries else None
    return localize.text(found) if found else result["name"]


@login_required
def learn_kind(request, kind):
    if kind not in KINDS:
        raise Http404
    kb, clinic, clinics = _kb(request)
    entries = [{"entry": localize.entry(e), "override": kb.is_override(kind, e["id"]),
                "evidence": evidence_label(e["evidence"]) if "evidence" in e else source_type_label(e.get("type")),
                "unsourced": kind != "source" and not e.get("sources") and e.get("evidence") != "no_source",
                "promotional": kind == "source" and e.get("type") == "promotional"}
               for e in kb.all(kind)]
    return render(request, "knowledge/kind.html", {"kb": kb, "kind": kind, "title": kind_title(kind),
                                                   "entries": entries, "clinic": clinic})


class WeightForm(forms.Form):
    """The LAST calculator: the checklist doses on lean body weight, which needs height and sex."""

    weight = forms.FloatField(label=gettext_lazy("Patient's weight (kg)"), min_value=1, max_value=400,
                              localize=True, widget=DecimalInput())
    height = forms.FloatField(label=gettext_lazy("Height (cm)"), min_value=30, max_value=250, required=False,
                              localize=True, widget=DecimalInput())
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), required=False,
                            choices=[("", gettext_lazy("Unknown")), ("female", gettext_lazy("Female")),
                                     ("male", gettext_lazy("Male"))])

    def doses(self, entry, kb):
        data = self.cleaned_data
        lean = None
        if data.get("height"):
            lean = lean_body_weight(data["weight"], data["height"], data.get("sex") or None,
                                    kb.get("protocol", "lean-body-weight"))["kg"]
        return lipid_doses(data["weight"], entry, lean_kg=lean)


@login_required
def learn_entry(request, kind, entry_id):
    if kind not in KINDS:
        raise Http404
    kb, clinic, clinics = _kb(request)
    entry = kb.get(kind, int(entry_id) if kind == "choir-segment" and entry_id.isdigit() else entry_id)
    if entry is None:
        raise Http404
    entry = localize.entry(entry)
    sources = cited(kb, [entry["id"]] if kind == "source" else entry.get("sources", []))
    page = monograph(kb, kind, entry)
    maps = [{**m, "title": map_title(m, m["cited"]), "facts": organ_map_facts(kb, m)}
            for m in organ_maps(kb, entry)] if kind == "organ" else []
    context = {
        "kb": kb, "kind": kind, "kind_title": kind_title(kind), "entry": entry, "sources": sources,
        "monograph": page,
        "has_indications_section": any(section.slug == "indications" for section in page.sections),
        "promotional": kind == "source" and entry.get("type") == "promotional",
        "indications": [{**claim, "study_entries": [localize.entry(s) for s in claim["study_entries"]]}
                        for claim in indication_evidence(kb, entry)],
        "maps": maps,
        "settable": settable(entry),
        "evidence": evidence_label(entry["evidence"]) if "evidence" in entry else None,
        "weak_evidence": entry.get("evidence") in WEAK,
        "override": next((o for o in kb.overrides if o[0] == kind and o[1] == entry["id"]), None),
        "clinic": clinic,
    }
    if kind == "protocol" and entry["id"] == "last":
        form = WeightForm(request.GET or None)
        context["weight_form"] = form
        if form.is_valid():
            context["doses"] = form.doses(entry, kb)
            # 350 kg is dosed too, but not without a word: check the weight first.
            context["implausible_weight"] = weight_plausibility(form.cleaned_data["weight"],
                                                                kb.get("protocol", "weight-plausibility"))
    return render(request, "knowledge/entry.html", context)


# --- Clinic overrides (clinic admins) -----------------------------------------------

def _kind_choices():
    return [(kind, kind_title(kind)) for kind, _code in overridable_kinds()]


class OverrideForm(forms.ModelForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of entry"), choices=_kind_choices)
    data_text = forms.CharField(label=gettext_lazy("Fields (JSON)"), widget=forms.Textarea(attrs={"rows": 6}),
                                help_text=gettext_lazy('For example {"limits": {"session_max_mg": 400, …}}'))

    class Meta:
        model = ClinicOverride
        fields = ["clinic", "kind", "entry_id", "reason"]
        labels = {"clinic": gettext_lazy("Clinic")}  # the model's field has no label of its own

    def __init__(self, *args, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics
        if len(clinics) == 1:  # an admin of one clinic has nothing to choose
            self.fields["clinic"].initial = clinics[0].pk
            self.fields["clinic"].empty_label = None

    def clean_data_text(self):
        try:
            data = load_json(self.cleaned_data["data_text"])
        except ValueError as error:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": error}) from None
        if not isinstance(data, dict) or not data:
            raise forms.ValidationError(_("Give an object with the fields to set."))
        return data

    def clean(self):
        cleaned = super().clean()
        clinic, kind, entry_id, data = (cleaned.get(k) for k in ("clinic", "kind", "entry_id", "data_text"))
        if clinic and kind and entry_id and data is not None:
            existing = [o for o in overrides_of(clinic) if not (o[0] == kind and o[1] == entry_id)]
            try:
                load().with_overrides(existing + [(kind, entry_id, data, cleaned.get("reason", ""))])
            except KnowledgeError as error:
                self.add_error("data_text", "; ".join(error.problems[:5]))
            if kind != "source" and load().get(kind, entry_id) is None and "sources" not in data:
                self.add_error("data_text", _("A new entry needs name, sources and evidence like any other."))
        return cleaned


@clinic_admin_required
def overrides_view(request):
    clinics = admin_clinics(request.user)
    form = OverrideForm(request.POST or None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            ClinicOverride.objects.filter(clinic=form.cleaned_data["clinic"], kind=form.cleaned_data["kind"],
                                          entry_id=form.cleaned_data["entry_id"], active=True).update(active=False)
            override = form.save(commit=False)
            override.data = form.cleaned_data["data_text"]
            override.created_by = request.user
            override.save()
            record("create", request=request, clinic=override.clinic, obj=override,
                   detail={"kind": override.kind, "entry": override.entry_id, "reason": override.reason})
        messages.success(request, _("Override saved; it applies to your clinic at once."))
        return redirect("knowledge:overrides")
    overrides = ClinicOverride.objects.filter(clinic__in=clinics).select_related("clinic", "created_by")
    rows = [{"override": o, "kind_title": kind_title(o.kind), "entry": _override_entry(o),
             "fields": [(label(key), generic_value(key, value)) for key, value in o.data.items()]
             if isinstance(o.data, dict) else []}
            for o in overrides]
    return render(request, "knowledge/overrides.html", {"form": form, "rows": rows},
                  status=400 if form.errors else 200)


def _override_entry(override):
    """The overridden entry's name (a shipped entry's, else the new entry's own), and whether
    its page exists to link to."""
    shipped = load().get(override.kind, override.entry_id)
    name = localize.text(shipped) or (override.data.get("name") if isinstance(override.data, dict) else None)
    return {"name": name or override.entry_id, "id": override.entry_id, "shipped": shipped is not None}


@clinic_admin_required
@require_POST
def override_deactivate(request, pk):
    override = get_object_or_404(ClinicOverride, pk=pk, clinic__in=admin_clinics(request.user), active=True)
    with transaction.atomic():
        override.active = False
        override.save(update_fields=["active"])
        record("delete", request=request, clinic=override.clinic, obj=override,
               detail={"kind": override.kind, "entry": override.entry_id})
    messages.success(request, _("Override withdrawn; the shipped entry applies again."))
    return redirect("knowledge:overrides")
