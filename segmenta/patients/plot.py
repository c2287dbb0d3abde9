"""Course charts drawn on the server as SVG: the geometry only (pure Python, no Django).

A course chart plots one value per occasion (a session, a questionnaire answered) on
evenly spaced slots along a dated x axis, on the instrument's own scale: lowest value at
the bottom, highest at the top. A slot can carry a second value, the one after the
session, drawn as a pair with the first (before → after), and a mark (a session with
injections). A band shades the values that count as an important improvement.

The template turns the numbers into SVG; dates stay date objects so that the template
formats them in the user's language and time zone.
"""

import math

# SVG user units; the chart scales with its box.
WIDTH = 400
PLOT_HEIGHT = 140
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 12, 46
EDGE = 22  # the first and last slot sit this far inside the plot, so their labels fit
LABEL_ROOM = 56  # the width one date label ("28 Sep") needs, with space to the next, at the phone's larger lettering

STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def value_ticks(lo, hi, most=6):
    """Round values for the y axis from ``lo`` to ``hi``, at most ``most`` + 1 of them."""
    span = hi - lo
    step = next((s for s in STEPS if span / s <= most), math.ceil(span / most))
    value = math.ceil(lo / step) * step
    ticks = []
    while value <= hi + 1e-9:
        ticks.append(value)
        value += step
    return ticks


def labelled_slots(xs, days, room=LABEL_ROOM):
    """Indexes of the slots whose date is written under the axis.

    The first slot always; a later one when it falls on another day and leaves ``room``
    after the previous label; the last one too, dropping the label before it if the two
    would overlap. Slots on a day already written get no second label.
    """
    chosen = []
    for index, (x, day) in enumerate(zip(xs, days)):
        if not chosen or (day != days[chosen[-1]] and x - xs[chosen[-1]] >= room):
            chosen.append(index)
    last = len(xs) - 1
    if last > 0 and chosen[-1] != last and days[last] != days[chosen[-1]]:
        if xs[last] - xs[chosen[-1]] < room and len(chosen) > 1:
            chosen.pop()
        if xs[last] - xs[chosen[-1]] >= room:
            chosen.append(last)
    return chosen


def defines_band(threshold):
    """Whether the knowledge base's entry says both which way is better and what change matters."""
    change = (threshold or {}).get("important_change") or {}
    return (threshold or {}).get("better") in ("lower", "higher") and ("percent" in change or "points" in change)


def important_band(first, threshold, lo, hi):
    """The values that count as an important improvement on the first score, or None.

    ``threshold`` is the knowledge base's entry for the instrument: its ``important_change``
    (``percent`` is preferred, else ``points``) and ``better`` ("lower" or "higher"). Returns
    {"low", "high", "limit", "percent" or "points", "better"}; None where the base gives no
    change or no direction, or when the first score leaves no room to improve.
    """
    if not defines_band(threshold) or first is None:
        return None
    change, better = threshold["important_change"], threshold["better"]
    if "percent" in change:
        if first == 0:  # no per cent of nothing
            return None
        share = change["percent"] / 100
        limit = first * (1 - share) if better == "lower" else first * (1 + share)
        measure = {"percent": change["percent"]}
    else:
        limit = first - change["points"] if better == "lower" else first + change["points"]
        measure = {"points": change["points"]}
    limit = round(limit, 2)
    low, high = (lo, limit) if better == "lower" else (limit, hi)
    if high <= low or (better == "lower" and limit < lo) or (better == "higher" and limit > hi):
        return None
    return {"low": low, "high": high, "limit": limit, "better": better, **measure}


def course_chart(points, lo, hi, band=None):
    """The coordinates of a course chart.

    ``points``: [{"when": datetime or date, "day": date, "value": number, "after": number
    or None, "marked": bool}] in the order they happened. ``lo`` and ``hi``: the scale.
    ``band``: {"low", "high"} (see ``important_band``) or None.
    """
    if hi <= lo:
        hi = lo + 1
    plot_width = WIDTH - LEFT - RIGHT
    bottom = TOP + PLOT_HEIGHT

    def y(value):
        value = min(max(value, lo), hi)
        return round(bottom - (value - lo) * PLOT_HEIGHT / (hi - lo), 1)

    count = len(points)
    if count > 1:
        step = (plot_width - 2 * EDGE) / (count - 1)
        xs = [round(LEFT + EDGE + i * step, 1) for i in range(count)]
    else:
        xs = [round(LEFT + plot_width / 2, 1)] * count
    days = [p["day"] for p in points]
    labelled = labelled_slots(xs, days)
    x_ticks = []
    previous_year = None
    for index in labelled:
        year = days[index].year
        x_ticks.append({"x": xs[index], "when": points[index]["when"], "year": year != previous_year})
        previous_year = year
    drawn = []
    for x, p in zip(xs, points):
        drawn.append({**p, "x": x, "y": y(p["value"]),
                      "after_y": y(p["after"]) if p.get("after") is not None else None,
                      # A small triangle under the axis marks the slot.
                      "mark": (f"M{x - 4.5:.1f} {bottom + 15}L{x + 4.5:.1f} {bottom + 15}L{x:.1f} {bottom + 7}Z"
                               if p.get("marked") else None)})
    return {
        "width": WIDTH, "height": bottom + BOTTOM,
        "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": bottom,
        "plot_width": plot_width, "middle": round(TOP + PLOT_HEIGHT / 2, 1),
        "tick_end": bottom + 5,
        "date_y": bottom + 27, "year_y": bottom + 41,
        # Tick values stay numbers: the template writes them as the page's language does.
        "y_ticks": [{"y": y(v), "text_y": round(y(v) + 4, 1), "value": v} for v in value_ticks(lo, hi)],
        "slots": xs,
        "x_ticks": x_ticks,
        "points": drawn,
        "line": " ".join(f"{p['x']},{p['y']}" for p in drawn),
        "band": None if band is None else {"y": y(band["high"]), "height": round(y(band["low"]) - y(band["high"]), 1)},
        "lo": lo, "hi": hi,
    }
