"""Proportions with Wilson score intervals: the practice's own evidence, stated with its
uncertainty. Pure Python."""

import math

Z95 = 1.959963984540054


def wilson(successes, n, z=Z95):
    """The Wilson score interval (low, high) for ``successes`` out of ``n``; (None, None) for n = 0."""
    if n == 0:
        return None, None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At the edges the interval ends exactly at 0 or 1 (rounding would leave a hair's breadth).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def group(name, n, responders):
    """One row of the summary: n, responders, proportion and its 95 % interval."""
    n, responders = int(n), int(responders)
    low, high = wilson(responders, n)
    return {"group": name, "n": n, "responders": responders,
            "proportion": round(responders / n, 4) if n else None,
            "ci_low": round(low, 4) if low is not None else None,
            "ci_high": round(high, 4) if high is not None else None}


def side_by_side(completers, intention_to_treat):
    """Rows pairing each group's completers with its intention-to-treat figures, in the
    intention-to-treat order (every completer group is among those)."""
    found = {g["group"]: g for g in completers}
    empty = {"n": 0, "responders": 0, "proportion": None, "ci_low": None, "ci_high": None}
    return [{"group": g["group"], "completers": found.get(g["group"], {**empty, "group": g["group"]}),
             "itt": g} for g in intention_to_treat]
