"""The membrane-potential lab (/learn/lab/): ion concentrations, permeabilities and temperature
in, the Goldman–Hodgkin–Katz and Nernst potentials out, computed here on the server by
segmenta/learning/membrane.py and drawn as an SVG scale; its lessons and the claims it shows
as claims come from the knowledge base. The form is a GET: it reads no patient data and
stores nothing, so there is nothing to audit. htmx asks for the result alone as the inputs
change; without JavaScript the Compute button loads the whole page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from segmenta.accounts.access import chosen_clinic
from segmenta.knowledge import localize
from segmenta.knowledge.base import MEMBRANE_MODEL, MEMBRANE_TEXTS
from segmenta.knowledge.monograph import CLAIM_STATUS
from segmenta.knowledge.service import for_clinic

from . import membrane

LABELS = {
    "temp_c": gettext_lazy("Temperature (°C)"),
    "k_in": gettext_lazy("K⁺ inside (mmol/L)"), "k_out": gettext_lazy("K⁺ outside (mmol/L)"),
    "na_in": gettext_lazy("Na⁺ inside (mmol/L)"), "na_out": gettext_lazy("Na⁺ outside (mmol/L)"),
    "cl_in": gettext_lazy("Cl⁻ inside (mmol/L)"), "cl_out": gettext_lazy("Cl⁻ outside (mmol/L)"),
    "p_k": gettext_lazy("K⁺ permeability (relative)"), "p_na": gettext_lazy("Na⁺ permeability (relative)"),
    "p_cl": gettext_lazy("Cl⁻ permeability (relative)"),
    "blocked_percent": gettext_lazy("Voltage-gated Na⁺ channels blocked by procaine (%)"),
}
PROBLEMS = {
    "missing": gettext_lazy("Enter a number."),
    "not_a_number": gettext_lazy("Enter a number."),
    "temperature": gettext_lazy("Enter a temperature between %(low)s and %(high)s °C."),
    "concentration": gettext_lazy("Enter a concentration between %(low)s and %(high)s mmol/L."),
    "permeability": gettext_lazy("Enter 0 or a permeability between %(low)s and %(high)s."),
    "no_permeability": gettext_lazy("At least one of the three permeabilities must be above 0."),
    "blocked": gettext_lazy("Enter a share between 0 and 100."),
}
ION_NAMES = {"K": "K⁺", "Na": "Na⁺", "Cl": "Cl⁻"}
# E_K and E_Cl often lie close together: their labels go on different rows under the scale.
LABEL_ROWS = {"K": {"line_y": 112, "label_y": 124}, "Na": {"line_y": 112, "label_y": 124},
              "Cl": {"line_y": 130, "label_y": 142}}

# The scale the result is drawn on, in mV, and its drawing's size (SVG user units).
SCALE_MV = (-100, 60)
# How far outside the textbook resting range a potential may lie and still be worded as
# "at its edge" (the default neuron's −69.8 mV): a wording choice, not a physiological limit.
EDGE_MV = 1
WIDTH, MARGIN, BEYOND = 480, 36, 18
# The knowledge base's lessons (membrane_texts.yaml) the result explains itself with: what a
# membrane held at or above threshold does, and what a block of sodium channels does and does not.
HELD_DEPOLARISED = "depolarisation"
BLOCK_LESSONS = ("procaine-action", "conduction-block")


def _x(mv):
    """Where ``mv`` sits on the scale; a value beyond it sits just past the end it passed."""
    low, high = SCALE_MV
    if mv < low:
        return f"{MARGIN - BEYOND:.1f}"
    if mv > high:
        return f"{WIDTH - MARGIN + BEYOND:.1f}"
    return f"{MARGIN + (mv - low) / (high - low) * (WIDTH - 2 * MARGIN):.1f}"


def _marker(mv, name):
    low, high = SCALE_MV
    return {"mv": mv, "data_mv": f"{mv:.2f}", "x": _x(mv), "name": name, "beyond": not low <= mv <= high}


def _slider(field, default, limits):
    """A slider's range for a field: wide enough for the presets and the textbook variants,
    narrow enough to move in useful steps; the number beside it takes any valid value."""
    if field == "temp_c":
        return limits.temp_min_c, limits.temp_max_c, 0.5
    if field.startswith("p_"):
        top = max(2 * default, 1.0)
        return 0, top, round(top / 200, 4)
    top = max(4 * default, 20.0)
    return 0.5, top, 0.5


def _plain(value):
    """A number as an input's value attribute wants it, whatever the page's language (12.5)."""
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _field(name, value, slider, wrong):
    low, high, step = slider
    return {"name": name, "label": LABELS[name], "value": _plain(value), "min": _plain(low), "max": _plain(high),
            "step": _plain(step), "problem": wrong == name}


def _problem(error):
    params = {key: f"{value:g}" if isinstance(value, float) else value for key, value in error.params.items()}
    return {"field": error.field, "label": LABELS[error.field],
            "message": PROBLEMS[error.code] % params if "%(" in str(PROBLEMS[error.code]) else PROBLEMS[error.code]}


def _inputs(request, defaults, presets):
    """The values asked for: a preset's, then whatever the form sends, else the defaults."""
    preset = next((p for p in presets if p["id"] == request.GET.get("preset")), None)
    start = dict(preset["values"]) if preset else dict(defaults)
    blocked = preset["blocked_fraction"] * 100 if preset else 0.0
    values = {field: request.GET.get(field, "").strip() or start[field] for field in membrane.FIELDS}
    return values, request.GET.get("blocked_percent", "").strip() or blocked, preset


def _result(values, blocked, model, limits):
    """Everything the result shows, or the first problem with the inputs."""
    try:
        checked = membrane.checked(values, limits)
        try:
            share = float(str(blocked).replace(",", "."))
        except ValueError:
            raise membrane.MembraneError("blocked_percent", "blocked", f"{blocked!r} is not a number") from None
        if not 0 <= share <= 100:
            raise membrane.MembraneError("blocked_percent", "blocked", "must lie between 0 and 100")
        potentials = membrane.potentials(checked, limits)
        free = membrane.excitability(checked, limits, model["threshold_mv"], model["peak_p_na"], 0)
        block = membrane.excitability(checked, limits, model["threshold_mv"], model["peak_p_na"], share / 100)
    except membrane.MembraneError as error:
        return {"problem": _problem(error)}
    shown = membrane.rounded(potentials)
    resting = model["resting_mv"]
    return {
        "vm": _marker(shown["vm_mv"], "Vm"),
        "ions": [{**_marker(shown["nernst_mv"][ion], ION_NAMES[ion]), "ion": ion, "inside": checked[f"{ion.lower()}_in"],
                  "outside": checked[f"{ion.lower()}_out"], "p": checked[f"p_{ion.lower()}"], **LABEL_ROWS[ion]}
                 for ion in membrane.IONS],
        "threshold": _marker(model["threshold_mv"], _("threshold")),
        "band": {"x": _x(resting["min"]), "width": f"{float(_x(resting['max'])) - float(_x(resting['min'])):.1f}",
                 "min": resting["min"], "max": resting["max"]},
        "ticks": [{"mv": mv, "x": _x(mv)} for mv in range(SCALE_MV[0], SCALE_MV[1] + 1, 20)],
        "axis": {"x1": _x(SCALE_MV[0]), "x2": _x(SCALE_MV[1]), "width": WIDTH},
        "resting_range": _resting_range(potentials["vm_mv"], resting),
        "above_threshold": shown["vm_mv"] >= model["threshold_mv"],
        "blocked_percent": share, "free": _excitable(free), "blocked": _excitable(block),
        "threshold_p_na": free["threshold_p_na"], "rest_p_na": checked["p_na"], "peak_p_na": model["peak_p_na"],
    }


def _resting_range(vm, resting):
    """"in", "edge" or "outside": compared unrounded, so −69.8 mV is never called within
    −90 to −70 mV; "edge" is outside by less than EDGE_MV and is worded as such."""
    if resting["min"] <= vm <= resting["max"]:
        return "in"
    if resting["min"] - EDGE_MV < vm < resting["max"] + EDGE_MV:
        return "edge"
    return "outside"


def _excitable(found):
    return {**found, "share_percent": None if found["share_needed"] is None else found["share_needed"] * 100}


def _texts(kb):
    """The lab's lessons and claims in the page's language by id, each with its sources' entries
    and, for a claim, its status as people read it."""
    shown = {}
    for text_id in MEMBRANE_TEXTS:
        entry = kb.get("membrane-text", text_id)
        if entry is None:
            continue
        # A copy: in English localize.entry hands back the knowledge base's own entry, which
        # every other page then reads.
        text = dict(localize.entry(entry))
        text["cited"] = [kb.source(s) for s in entry["sources"] if kb.source(s)]
        text["stated"] = [kb.source(s) for s in entry.get("stated_by", []) if kb.source(s)]
        text["questioned"] = [kb.source(s) for s in entry.get("questioned_by", []) if kb.source(s)]
        if entry.get("status"):
            text["status_label"] = str(CLAIM_STATUS.get(entry["status"], entry["status"]))
        shown[text_id] = text
    return shown


def _notes(texts, result):
    """The lessons the result explains itself with: what a membrane held at or above threshold
    does (while it is) and what a block does and does not do."""
    if result.get("problem"):
        return []
    wanted = ((HELD_DEPOLARISED,) if result["above_threshold"] else ()) + BLOCK_LESSONS
    return [texts[text_id] for text_id in wanted if text_id in texts]


@login_required
@require_safe
def lab_page(request):
    clinic, _clinics = chosen_clinic(request)
    kb = for_clinic(clinic)
    model = kb.get("membrane-model", MEMBRANE_MODEL)
    defaults, limits, presets = membrane.from_model(model)
    values, blocked, preset = _inputs(request, defaults, presets)
    result = _result(values, blocked, model, limits)
    texts = _texts(kb)
    context = {"result": result, "notes": _notes(texts, result), "model": localize.entry(model)}
    if request.headers.get("HX-Request"):
        return render(request, "learning/_lab_result.html", context)
    wrong = result.get("problem", {}).get("field")
    fields = [_field(name, values[name], _slider(name, defaults[name], limits), wrong) for name in membrane.FIELDS]
    fields.append(_field("blocked_percent", blocked, (0, 100, 1), wrong))
    shown_presets = [{"id": p["id"], "name": shown["name"], "note": shown.get("note", "")}
                     for p, shown in zip(presets, localize.entry(model)["presets"])]
    return render(request, "learning/lab.html", {
        **context, "fields": fields,
        # The block's lessons stand beside the result's block table (none with a problem in the
        # inputs), not again among the lessons.
        "lessons": [t for key, t in texts.items() if t["role"] == "lesson" and (key not in BLOCK_LESSONS or wrong)],
        "claims": [t for t in texts.values() if t["role"] == "claim"], "presets": shown_presets,
        "preset": next((p for p in shown_presets if preset and p["id"] == preset["id"]), None)})
