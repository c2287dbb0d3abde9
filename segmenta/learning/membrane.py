"""The membrane-potential lab's arithmetic: Nernst and Goldman–Hodgkin–Katz potentials.

Pure Python (no Django), so the page, the CLI and the tests compute the same numbers. Inputs
are one flat mapping named as the CLI options and the page's fields are (``temp_c``,
``k_in``, ``k_out``, ``na_in``, …, ``p_cl``): concentrations in mmol/L, permeabilities
relative to each other (only their ratios matter), temperature in °C. The textbook values
and the limits of what the lab accepts come from the knowledge base (``membrane-model``),
passed in by the caller; nothing clinical is written here.

The constants are the exact SI values (2019 redefinition): R = N_A·k and F = N_A·e, so no
rounding of a textbook's R or F creeps into the results.
"""

import math
from dataclasses import dataclass

AVOGADRO = 6.02214076e23  # 1/mol, exact
BOLTZMANN = 1.380649e-23  # J/K, exact
ELEMENTARY_CHARGE = 1.602176634e-19  # C, exact
R = AVOGADRO * BOLTZMANN  # J/(mol·K)
F = AVOGADRO * ELEMENTARY_CHARGE  # C/mol
ZERO_CELSIUS = 273.15  # K, by the definition of the Celsius scale

IONS = ("K", "Na", "Cl")
VALENCE = {"K": 1, "Na": 1, "Cl": -1}
CONCENTRATIONS = {ion: (f"{ion.lower()}_in", f"{ion.lower()}_out") for ion in IONS}
PERMEABILITIES = {ion: f"p_{ion.lower()}" for ion in IONS}
FIELDS = ("temp_c", *(name for pair in CONCENTRATIONS.values() for name in pair), *PERMEABILITIES.values())


class MembraneError(ValueError):
    """An input the lab cannot compute with; ``field`` names it as the CLI and the page do,
    ``code`` and ``params`` say what is wrong so that a page can say it in its own language."""

    def __init__(self, field, code, message, **params):
        super().__init__(f"{field}: {message}")
        self.field, self.code, self.message, self.params = field, code, message, params


@dataclass(frozen=True)
class Limits:
    """What the lab accepts (from the knowledge base): a temperature range in °C, the smallest
    and largest concentration (mmol/L), and the smallest non-zero and the largest relative
    permeability. The smallest ones keep every term of the equations a number: a concentration
    of 1e-320 mmol/L made a potential infinite (printed as JSON's invalid Infinity), and a
    permeability of 5e-324 times a concentration rounded to 0 and failed the logarithm."""

    temp_min_c: float
    temp_max_c: float
    concentration_min: float
    concentration_max: float
    permeability_min: float
    permeability_max: float


def thermal_voltage_mv(temp_c):
    """RT/F in millivolts at ``temp_c`` °C (26.7 mV at 37 °C)."""
    return R * (temp_c + ZERO_CELSIUS) / F * 1000


def nernst_mv(ion, inside, outside, temp_c):
    """An ion's equilibrium potential, E = RT/zF · ln(out/in), in mV (inside against outside)."""
    return thermal_voltage_mv(temp_c) / VALENCE[ion] * math.log(outside / inside)


def ghk_mv(values):
    """The Goldman–Hodgkin–Katz voltage equation for K⁺, Na⁺ and Cl⁻, in mV: each cation's
    outside and the anion's inside concentration above the line, the rest below, each weighted
    by its permeability. ``values`` must be valid (see ``checked``)."""
    above = below = 0.0
    for ion in IONS:
        inside, outside = (values[name] for name in CONCENTRATIONS[ion])
        p = values[PERMEABILITIES[ion]]
        if VALENCE[ion] > 0:
            above, below = above + p * outside, below + p * inside
        else:
            above, below = above + p * inside, below + p * outside
    return thermal_voltage_mv(values["temp_c"]) * math.log(above / below)


def _number(values, name):
    value = values.get(name)
    if value is None:
        raise MembraneError(name, "missing", "missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip().replace(",", "."))
        except ValueError:
            raise MembraneError(name, "not_a_number", f"{value!r} is not a number", value=value) from None
    value = float(value)
    if not math.isfinite(value):
        raise MembraneError(name, "not_a_number", f"{value!r} is not a finite number", value=value)
    return value


def checked(values, limits):
    """``values`` as floats, every field present and within ``limits``; else MembraneError
    naming the first field that is not."""
    out = {name: _number(values, name) for name in FIELDS}
    if not limits.temp_min_c <= out["temp_c"] <= limits.temp_max_c:
        raise MembraneError("temp_c", "temperature", f"must lie between {limits.temp_min_c:g} and "
                            f"{limits.temp_max_c:g} °C, not {out['temp_c']:g}", low=limits.temp_min_c,
                            high=limits.temp_max_c, value=out["temp_c"])
    for pair in CONCENTRATIONS.values():
        for name in pair:
            if not limits.concentration_min <= out[name] <= limits.concentration_max:
                raise MembraneError(name, "concentration", f"must lie between {limits.concentration_min:g} and "
                                    f"{limits.concentration_max:g} mmol/L, not {out[name]:g}",
                                    low=limits.concentration_min, high=limits.concentration_max, value=out[name])
    for name in PERMEABILITIES.values():
        if not (out[name] == 0 or limits.permeability_min <= out[name] <= limits.permeability_max):
            raise MembraneError(name, "permeability", f"must be 0 or lie between {limits.permeability_min:g} and "
                                f"{limits.permeability_max:g}, not {out[name]:g}", low=limits.permeability_min,
                                high=limits.permeability_max, value=out[name])
    if not any(out[name] > 0 for name in PERMEABILITIES.values()):
        raise MembraneError("p_k", "no_permeability", "at least one of the three permeabilities must be above 0")
    return out


def potentials(values, limits):
    """{"vm_mv", "nernst_mv": {"K", "Na", "Cl"}} of checked ``values``, unrounded."""
    values = checked(values, limits)
    return {"vm_mv": ghk_mv(values),
            "nernst_mv": {ion: nernst_mv(ion, *(values[name] for name in CONCENTRATIONS[ion]), values["temp_c"])
                          for ion in IONS}}


def rounded(result, places=2):
    """A result as the CLI and the page show it: every number to ``places`` decimals."""
    return {"vm_mv": round(result["vm_mv"], places),
            "nernst_mv": {ion: round(mv, places) for ion, mv in result["nernst_mv"].items()}}


def sodium_permeability_for(target_mv, values):
    """The relative P_Na at which the GHK potential of ``values`` (checked) is ``target_mv``,
    the others unchanged; None when no P_Na reaches it (it lies at or beyond E_Na, or below the
    potential with P_Na = 0). Solved from the GHK equation, which is linear in P_Na."""
    e = math.exp(target_mv / thermal_voltage_mv(values["temp_c"]))
    p_k, p_cl = values["p_k"], values["p_cl"]
    numerator = e * (p_k * values["k_in"] + p_cl * values["cl_out"]) - (p_k * values["k_out"] + p_cl * values["cl_in"])
    denominator = values["na_out"] - e * values["na_in"]
    if denominator <= 0:
        return None
    p_na = numerator / denominator
    return p_na if p_na >= 0 else None


def excitability(values, limits, threshold_mv, peak_p_na, blocked_fraction):
    """What a block of voltage-gated sodium channels does, in the steady-state GHK picture.

    At rest the voltage-gated channels are closed: the resting potential is that of ``values``
    whatever the block. Firing needs P_Na to rise until the membrane reaches ``threshold_mv``;
    with every channel open it would rise to ``peak_p_na``. A local anaesthetic that blocks a
    fraction of the channels leaves fewer to open: a larger share of those left must open to
    reach threshold (a stronger stimulus), the highest potential reachable falls, and beyond a
    point threshold cannot be reached at all (conduction block). A teaching simplification
    (no channel kinetics, no inactivation, P_K held at its resting value), not a neuron model.
    """
    values = checked(values, limits)
    if not 0 <= blocked_fraction <= 1:
        raise MembraneError("blocked_percent", "blocked", f"must lie between 0 and 100, not {blocked_fraction * 100:g}",
                            value=blocked_fraction * 100)
    rest_p_na = values["p_na"]
    resting = ghk_mv(values)
    openable = (1 - blocked_fraction) * max(peak_p_na - rest_p_na, 0.0)
    highest = ghk_mv({**values, "p_na": rest_p_na + openable})
    needed = sodium_permeability_for(threshold_mv, values)
    if resting >= threshold_mv:
        share, reaches = 0.0, True  # already at or above threshold: depolarised
    elif needed is None or openable <= 0:
        share, reaches = None, False
    else:
        share = (needed - rest_p_na) / openable
        reaches = share <= 1
    return {"resting_mv": resting, "threshold_mv": threshold_mv, "threshold_p_na": needed,
            "highest_mv": highest, "highest_p_na": rest_p_na + openable,
            "share_needed": share if reaches else None, "reaches_threshold": reaches}


def from_model(entry):
    """(defaults, Limits, presets) of a ``membrane-model`` entry of the knowledge base: the
    defaults flat by field name, each preset as {"id", "values" (the defaults with its own),
    "blocked_fraction"}."""
    defaults = {"temp_c": float(entry["temperature_c"]["default"])}
    for ion in IONS:
        inside, outside = CONCENTRATIONS[ion]
        defaults[inside] = float(entry["concentrations_mmol_l"][ion]["in"])
        defaults[outside] = float(entry["concentrations_mmol_l"][ion]["out"])
        defaults[PERMEABILITIES[ion]] = float(entry["permeabilities"][ion])
    limits = Limits(temp_min_c=float(entry["temperature_c"]["min"]), temp_max_c=float(entry["temperature_c"]["max"]),
                    concentration_min=float(entry["concentration_min_mmol_l"]),
                    concentration_max=float(entry["concentration_max_mmol_l"]),
                    permeability_min=float(entry["permeability_min"]),
                    permeability_max=float(entry["permeability_max"]))
    presets = [{"id": p["id"], "values": {**defaults, **{k: float(v) for k, v in p["values"].items()}},
                "blocked_fraction": p["blocked_percent"] / 100} for p in entry["presets"]]
    return defaults, limits, presets
