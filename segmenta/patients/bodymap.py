"""The body map: Segmenta's own drawing of a figure, front and back, cut into the 74
CHOIR-numbered segments (the numbering scheme of Scherrer et al. 2021; the shapes are
ours). Each view is 280 × 580 units; on the front view the patient's right is on the
viewer's left, on the back view the patient's left is on the viewer's left.

Pure Python: returns shapes as SVG path strings; the template draws them.
"""

import math
from functools import cache

from segmenta.knowledge.base import load

WIDTH, HEIGHT = 280, 580
MID = WIDTH / 2


def segments():
    """{choir id: segment data} from the knowledge base."""
    return load().entries["choir-segment"]


def _path(points):
    head, *rest = points
    return f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"


def _band(top, bottom):
    """A quadrilateral between two horizontal edges, each (y, x_left, x_right)."""
    (y1, a1, b1), (y2, a2, b2) = top, bottom
    return [(a1, y1), (b1, y1), (b2, y2), (a2, y2)]


def _limb(axis, index):
    """Segment ``index`` of a limb given as rings (y, centre x, half width)."""
    (y1, c1, w1), (y2, c2, w2) = axis[index], axis[index + 1]
    return _band((y1, c1 - w1, c1 + w1), (y2, c2 - w2, c2 + w2))


def _mirror(points):
    return [(WIDTH - x, y) for x, y in reversed(points)]


def _half_head(upper):
    """The viewer's-left half of the head: the cranium (upper) or the face/occiput."""
    cx, cy, rx, ry = MID, 46, 27, 36
    degrees = range(90, 181, 9) if upper else range(180, 271, 9)
    arc = [(cx + rx * math.cos(math.radians(d)), cy - ry * math.sin(math.radians(d))) for d in degrees]
    return arc + [(MID, cy)]


# Rings along the viewer's-left arm and leg: (y, centre x, half width).
ARM = [(148, 86, 15), (200, 77, 13), (226, 71, 12), (266, 62, 10), (290, 52, 10), (332, 40, 14)]
LEG = [(300, 118, 22), (392, 118, 17), (440, 117, 14), (500, 118, 10), (528, 121, 11), (566, 121, 14)]


def _left_side_shapes(view):
    """Shapes of the viewer's-left half, keyed by role; mirrored for the other half."""
    shapes = {
        "cranium": _half_head(upper=True),
        "face": _half_head(upper=False),
        "neck": _band((82, 128, MID), (106, 124, MID)),
        "shoulder": [(104, 108), (124, 106), (100, 150), (74, 150), (80, 122)],
        "upper_trunk": [(124, 106), (MID, 106), (MID, 165 if view == "back" else 205),
                        (104, 165 if view == "back" else 205), (100, 150)],
        "upper_arm": _limb(ARM, 0),
        "elbow": _limb(ARM, 1),
        "forearm": _limb(ARM, 2),
        "wrist": _limb(ARM, 3),
        "hand": _limb(ARM, 4),
        "hip": _band((266, 100, 114), (300, 96, 114)),
        "thigh": _limb(LEG, 0),
        "knee": _limb(LEG, 1),
        "lower_leg": _limb(LEG, 2),
        "ankle": _limb(LEG, 3),
        "foot": _limb(LEG, 4),
    }
    if view == "front":
        shapes["abdomen"] = _band((205, 104, MID), (266, 106, MID))
        shapes["groin"] = _band((266, 114, MID), (300, 114, MID))
    else:
        shapes["mid_back"] = _band((165, 104, MID), (228, 105, MID))
        shapes["low_back"] = _band((228, 105, MID), (266, 106, MID))
        shapes["buttock"] = _band((266, 114, MID), (300, 114, MID))
    return shapes


# (role, id on the viewer's left, id on the viewer's right)
FRONT = [("cranium", 101, 102), ("face", 103, 104), ("neck", 105, 106), ("shoulder", 107, 110),
         ("upper_trunk", 108, 109), ("upper_arm", 111, 112), ("elbow", 113, 114), ("forearm", 115, 118),
         ("abdomen", 116, 117), ("wrist", 119, 124), ("hip", 120, 123), ("groin", 121, 122),
         ("hand", 125, 128), ("thigh", 126, 127), ("knee", 129, 130), ("lower_leg", 131, 132),
         ("ankle", 133, 134), ("foot", 135, 136)]
BACK = [("cranium", 201, 202), ("face", 203, 204), ("neck", 205, 206), ("shoulder", 207, 210),
        ("upper_trunk", 208, 209), ("upper_arm", 211, 214), ("mid_back", 212, 213), ("elbow", 215, 216),
        ("forearm", 217, 220), ("low_back", 218, 219), ("wrist", 221, 226), ("hip", 222, 225),
        ("buttock", 223, 224), ("hand", 227, 230), ("thigh", 228, 229), ("knee", 231, 232),
        ("lower_leg", 233, 234), ("ankle", 235, 236), ("foot", 237, 238)]


@cache
def views():
    """[(view name, [(choir id, svg path d), …]), …] for front and back."""
    result = []
    for view, layout in (("front", FRONT), ("back", BACK)):
        shapes = _left_side_shapes(view)
        paths = []
        for role, left_id, right_id in layout:
            paths.append((left_id, _path(shapes[role])))
            paths.append((right_id, _path(_mirror(shapes[role]))))
        paths.sort()
        result.append((view, paths))
    return result
