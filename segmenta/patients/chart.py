"""What the chart's body map and dental chart show: pure functions over chart items."""

from .bodymap import segments


def body_map_marks(complaints, history):
    """{CHOIR id: {"complaints": [...], "history": [...]}} for items placed on the map.

    Named regions (``{"region": "shoulder"}``) mark every segment that covers that
    region on the item's side, so items entered without the map still show on it.
    """
    marks = {}
    for key, items in (("complaints", complaints), ("history", history)):
        for item in items:
            for choir_id in segments_of(item.regions):
                marks.setdefault(choir_id, {"complaints": [], "history": []})[key].append(item)
    return marks


def segments_of(regions):
    found = []
    for region in regions or []:
        if "choir" in region:
            candidates = [region["choir"]]
        else:
            side = region.get("side")
            candidates = [sid for sid, seg in segments().items()
                          if region["region"] in seg["regions"] and (side in (None, "both", "midline")
                                                                     or seg["side"] == side)]
        found.extend(c for c in candidates if c not in found)
    return found


def tooth_marks(history):
    """{FDI number: [history items]} for the dental chart."""
    marks = {}
    for item in history:
        if item.tooth:
            marks.setdefault(item.tooth, []).append(item)
    return marks
