"""The front and back anatomical body chart shared by the staff body map and the patient's pain map.

The outlines are the muscle shapes of the body-muscles package (patients/body_muscles_data.py,
Apache-2.0). Here they are placed in our 200x400 viewBox, split where the package draws one outline
for what our catalogue names as two muscles, and each piece is named twice: by a `BodyRegion` and
the side the pain map records (the same region/side vocabulary as before, so intake and check-in
fields do not change), and by the catalogue muscle under the finger (`sessions.models.Muscle`
slug, empty where the outline is no one muscle, e.g. the knee).

Coordinates: a stored point's x/y are normalised 0-1 on the 200x400 view. The figure fills the
full height (head at y 0, soles at 0.996) and is centred on x 0.5, its hands reaching x 0.16 and
0.84, as the old mannequin's did (0.17 and 0.83), so stored points keep their place. In anatomical
position the viewer's left is the patient's right on the front view and the patient's left on the
back view.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext_lazy as _

from . import body_muscles_data as source
from .models import BodyRegion, Side

WIDTH, HEIGHT = 200, 400  # the SVG viewBox; 1:2 like a standing figure
# The package draws each view 93 units tall; its midline is at these x (measured between the
# mirrored left and right outlines).
SCALE = HEIGHT / 93
MIDLINE = {"front": 15.836, "back": 52.55}

Point = tuple[float, float]
Polygon = list[Point]

R = BodyRegion
# One rule per drawn piece: (package id, with {side} for the left/right pair; which subpaths of the
# outline, None for all; cuts; region; catalogue muscle slug). Cuts, in the package's units, keep
# the part of a subpath: ("above", y) / ("below", y) of a height, ("lateral", f) / ("medial", f) the
# fraction f of its width from the outer / inner edge, ("half", _) each half beside the midline as
# its own piece. Which muscle lies where follows the surface anatomy (Gray's); where a muscle is
# deep (subscapularis, pectoralis minor, piriformis, gluteus minimus, levator scapulae) or not drawn
# (temporalis, scalenes) nothing names it and the page offers the nearest catalogue muscle.
FRONT_RULES = (
    ("head", None, (), R.HEAD, ""),
    ("face", None, (("above", 8.6),), R.HEAD, ""),
    ("face", None, (("below", 8.6), ("half", 0)), R.JAW, "masseter"),
    ("neck-{side}", None, (), R.NECK_FRONT, "sternocleidomastoid"),
    # Seen from the front, the slope between neck and shoulder is the upper trapezius.
    ("shoulder-front-{side}", None, (), R.SHOULDER, "upper-trapezius"),
    ("shoulder-side-{side}", None, (), R.SHOULDER, "deltoid"),
    ("biceps-{side}", None, (), R.UPPER_ARM, "biceps-brachii"),
    ("elbow-{side}", None, (), R.ELBOW, ""),
    # The outer strip of the forearm is brachioradialis, the rest the wrist flexors.
    ("forearm-{side}", (0,), (), R.FOREARM, "wrist-flexors"),
    ("forearm-{side}", (1,), (), R.FOREARM, "brachioradialis"),
    ("hand-{side}", None, (), R.WRIST_HAND, ""),
    ("chest-upper-{side}", None, (), R.CHEST, "pectoralis-major"),
    ("chest-lower-{side}", None, (), R.CHEST, "pectoralis-major"),
    # The package's torso ids do not follow the drawing: its "serratus" first subpath and its
    # "obliques" first two are the rows of rectus abdominis under the chest, its "upper abs" the
    # flank (external oblique, not in our catalogue). Pieces are named by where they lie.
    ("serratus-anterior-{side}", (1, 2, 3), (), R.CHEST, "serratus-anterior"),
    ("serratus-anterior-{side}", (0,), (), R.ABDOMEN, "rectus-abdominis"),
    ("obliques-{side}", (0, 1), (), R.ABDOMEN, "rectus-abdominis"),
    ("obliques-{side}", (2,), (), R.ABDOMEN, ""),
    ("abs-upper-{side}", None, (), R.ABDOMEN, ""),
    ("abs-lower-{side}", None, (), R.ABDOMEN, "rectus-abdominis"),
    ("hip-flexor-{side}", None, (), R.GROIN, "iliopsoas"),
    # The quadriceps outline is three strips: the high outer one is tensor fasciae latae (the
    # hip), the lower outer one vastus lateralis, the middle one rectus femoris.
    ("quads-{side}", (1,), (), R.HIP, "tensor-fasciae-latae"),
    ("quads-{side}", (0,), (), R.THIGH_FRONT, "vastus-lateralis"),
    ("quads-{side}", (2,), (), R.THIGH_FRONT, "rectus-femoris"),
    # The adductors outline ends in the inner teardrop above the knee: vastus medialis.
    ("adductors-{side}", (0,), (), R.THIGH_FRONT, "adductors"),
    ("adductors-{side}", (1,), (), R.THIGH_FRONT, "vastus-medialis"),
    ("knee-{side}", None, (), R.KNEE, ""),
    ("tibialis-anterior-{side}", (0,), (), R.SHIN, ""),
    # Peroneus longus runs down the outer side of the leg, beside tibialis anterior.
    ("tibialis-anterior-{side}", (1,), (("medial", 0.7),), R.SHIN, "tibialis-anterior"),
    ("tibialis-anterior-{side}", (1,), (("lateral", 0.3),), R.SHIN, "peroneus-longus"),
    ("foot-{side}", None, (), R.ANKLE_FOOT, ""),
)
BACK_RULES = (
    ("head-back", None, (), R.HEAD, ""),
    # The nape: the suboccipitals under the skull, splenius capitis below them.
    ("nape", None, (("above", 10.4),), R.NECK_BACK, "suboccipitals"),
    ("nape", None, (("below", 10.4),), R.NECK_BACK, "splenius-capitis"),
    ("traps-upper-{side}", None, (), R.SHOULDER, "upper-trapezius"),
    ("traps-mid-{side}", None, (), R.UPPER_BACK, "middle-trapezius"),
    ("traps-lower-{side}", None, (), R.MID_BACK, "lower-trapezius"),
    ("deltoid-rear-{side}", None, (), R.SHOULDER, "deltoid"),
    # The package's "upper lats" outline covers the shoulder blade: supraspinatus above its
    # spine, infraspinatus below, teres major at its lower outer corner.
    ("lats-upper-{side}", None, (("above", 17.6),), R.UPPER_BACK, "supraspinatus"),
    ("lats-upper-{side}", None, (("below", 17.6), ("medial", 0.6)), R.UPPER_BACK, "infraspinatus"),
    ("lats-upper-{side}", None, (("below", 17.6), ("lateral", 0.4)), R.UPPER_BACK, "teres-major"),
    ("lats-mid-{side}", None, (), R.MID_BACK, "latissimus-dorsi"),
    ("lats-lower-{side}", None, (), R.MID_BACK, "latissimus-dorsi"),
    ("triceps-long-{side}", None, (), R.UPPER_ARM, "triceps-brachii"),
    ("triceps-lateral-{side}", None, (), R.UPPER_ARM, "triceps-brachii"),
    ("forearm-flexors-{side}", None, (), R.FOREARM, "wrist-flexors"),
    ("forearm-extensors-{side}", None, (), R.FOREARM, "wrist-extensors"),
    ("hand-back-{side}", None, (), R.WRIST_HAND, ""),
    ("spine", None, (("above", 29.0), ("half", 0)), R.MID_BACK, "thoracic-erector-spinae"),
    ("spine", None, (("below", 29.0), ("half", 0)), R.LOWER_BACK, "multifidus"),
    ("lower-back-erectors-{side}", None, (), R.LOWER_BACK, "lumbar-erector-spinae"),
    ("lower-back-ql-{side}", None, (), R.LOWER_BACK, "quadratus-lumborum"),
    ("gluteus-medius-{side}", None, (), R.BUTTOCK, "gluteus-medius"),
    ("gluteus-maximus-{side}", None, (), R.BUTTOCK, "gluteus-maximus"),
    ("hamstrings-medial-{side}", None, (), R.THIGH_BACK, "hamstrings"),
    ("hamstrings-lateral-{side}", None, (), R.THIGH_BACK, "hamstrings"),
    ("knee-back-{side}", None, (), R.KNEE, ""),
    ("calves-gastroc-medial-{side}", None, (), R.CALF, "gastrocnemius"),
    ("calves-gastroc-lateral-{side}", None, (), R.CALF, "gastrocnemius"),
    ("calves-soleus-{side}", None, (), R.CALF, "soleus"),
    # The sole's two detail strokes (subpaths 1 and 2) are drawing lines, not areas.
    ("foot-back-{side}", (0,), (), R.ANKLE_FOOT, ""),
)
# Regions the chart records once, on the midline, whichever half was touched (as before).
UNPAIRED = {R.HEAD, R.NECK_FRONT, R.NECK_BACK, R.ABDOMEN}

# The catalogue's names (sessions migration 0002), here so that they are translated on the chart;
# tests/patients/test_body_chart.py checks that they are the catalogue's own.
MUSCLE_NAMES = {
    "masseter": _("Masseter"),
    "sternocleidomastoid": _("Sternocleidomastoid"),
    "upper-trapezius": _("Upper trapezius"),
    "middle-trapezius": _("Middle trapezius"),
    "lower-trapezius": _("Lower trapezius"),
    "deltoid": _("Deltoid"),
    "biceps-brachii": _("Biceps brachii"),
    "triceps-brachii": _("Triceps brachii"),
    "wrist-flexors": _("Wrist flexors"),
    "wrist-extensors": _("Wrist extensors"),
    "brachioradialis": _("Brachioradialis"),
    "pectoralis-major": _("Pectoralis major"),
    "serratus-anterior": _("Serratus anterior"),
    "rectus-abdominis": _("Rectus abdominis"),
    "iliopsoas": _("Iliopsoas"),
    "tensor-fasciae-latae": _("Tensor fasciae latae"),
    "vastus-lateralis": _("Vastus lateralis"),
    "rectus-femoris": _("Rectus femoris"),
    "adductors": _("Adductors"),
    "vastus-medialis": _("Vastus medialis"),
    "tibialis-anterior": _("Tibialis anterior"),
    "peroneus-longus": _("Peroneus longus"),
    "suboccipitals": _("Suboccipitals"),
    "splenius-capitis": _("Splenius capitis"),
    "supraspinatus": _("Supraspinatus"),
    "infraspinatus": _("Infraspinatus"),
    "teres-major": _("Teres major"),
    "latissimus-dorsi": _("Latissimus dorsi"),
    "thoracic-erector-spinae": _("Thoracic erector spinae"),
    "lumbar-erector-spinae": _("Lumbar erector spinae"),
    "multifidus": _("Multifidus"),
    "quadratus-lumborum": _("Quadratus lumborum"),
    "gluteus-medius": _("Gluteus medius"),
    "gluteus-maximus": _("Gluteus maximus"),
    "hamstrings": _("Hamstrings"),
    "gastrocnemius": _("Gastrocnemius"),
    "soleus": _("Soleus"),
}


@dataclass(frozen=True)
class Shape:
    view: str
    region: str
    side: str  # the side the pain map records: the patient's left/right, or midline
    body_side: str  # the half of the body the piece lies on (left/right), named in its label
    muscle: str  # catalogue slug, or "" where the piece is no one muscle
    points: tuple[Point, ...]  # in viewBox units

    @property
    def path(self) -> str:
        return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in self.points) + " Z"

    @property
    def centre(self) -> Point:
        """The area centroid, in viewBox units."""
        area = cx = cy = 0.0
        pts = self.points
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        return cx / (3 * area), cy / (3 * area)

    @property
    def anchor(self) -> Point:
        """A point inside the shape where a keyboard pick lands: the centroid, or for a
        crescent whose centroid falls outside, the middle of its widest span at that height."""
        cx, cy = self.centre
        if self.contains(cx, cy):
            return cx, cy
        pts = self.points
        xs = sorted(
            x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
            for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True)
            if (y0 > cy) != (y1 > cy)
        )
        spans = list(zip(xs[::2], xs[1::2], strict=True))
        left, right = max(spans, key=lambda span: span[1] - span[0])
        return (left + right) / 2, cy

    def contains(self, x: float, y: float) -> bool:
        """Whether the viewBox point lies inside (even-odd rule)."""
        inside = False
        pts = self.points
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
        return inside


_TOKEN = re.compile(r"[MmLlHhVvCcZz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARITY = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "Z": 0}
_CURVE_STEPS = 6  # a cubic is drawn as six straight segments: finer than a pixel at this size


def _commands(path: str) -> Iterator[tuple[str, list[float]]]:
    """Each command with its numbers, repeats spelt out (numbers after a move are lines)."""
    tokens = _TOKEN.findall(path)
    i, cmd = 0, ""
    while i < len(tokens):
        if tokens[i].isalpha():
            cmd, i = tokens[i], i + 1
        n = _ARITY[cmd.upper()]
        yield cmd, [float(t) for t in tokens[i : i + n]]
        i += n
        if cmd in "Mm":
            cmd = "l" if cmd == "m" else "L"


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point) -> list[Point]:
    points = []
    for step in range(1, _CURVE_STEPS + 1):
        t = step / _CURVE_STEPS
        w = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
        points.append(
            (
                sum(wk * p[0] for wk, p in zip(w, (p0, p1, p2, p3), strict=True)),
                sum(wk * p[1] for wk, p in zip(w, (p0, p1, p2, p3), strict=True)),
            )
        )
    return points


def _reached(cmd: str, v: list[float], at: Point) -> list[Point]:
    """The points a drawing command passes through, in absolute units."""
    x, y = at
    dx, dy = (x, y) if cmd.islower() else (0.0, 0.0)
    kind = cmd.upper()
    if kind == "H":
        return [(v[0] + dx, y)]
    if kind == "V":
        return [(x, v[0] + dy)]
    if kind == "C":
        return _bezier(at, (v[0] + dx, v[1] + dy), (v[2] + dx, v[3] + dy), (v[4] + dx, v[5] + dy))
    return [(v[0] + dx, v[1] + dy)]  # M and L


def _subpaths(path: str) -> list[Polygon]:
    """An SVG path (the M/L/H/V/C/Z commands the package uses) as closed polygons, in order."""
    out: list[Polygon] = []
    at = start = (0.0, 0.0)
    for cmd, values in _commands(path):
        if cmd in "Zz":
            at = start
            continue
        points = _reached(cmd, values, at)
        if cmd in "Mm":
            start = points[0]
            out.append([])
        out[-1] += points
        at = points[-1]
    return [p for p in out if len(p) >= 3]


def _clip(polygon: Polygon, inside, cross) -> Polygon:
    """Sutherland-Hodgman against one half-plane: `inside(p)`, and `cross(p, q)` where the
    edge p-q meets its border."""
    result: Polygon = []
    for p, q in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if inside(q):
            if not inside(p):
                result.append(cross(p, q))
            result.append(q)
        elif inside(p):
            result.append(cross(p, q))
    return result


def _keep_x(polygon: Polygon, x0: float, keep_left: bool) -> Polygon:
    def cross(p: Point, q: Point) -> Point:
        return (x0, p[1] + (x0 - p[0]) * (q[1] - p[1]) / (q[0] - p[0]))

    return _clip(polygon, lambda p: (p[0] <= x0) == keep_left, cross)


def _keep_y(polygon: Polygon, y0: float, keep_above: bool) -> Polygon:
    def cross(p: Point, q: Point) -> Point:
        return (p[0] + (y0 - p[1]) * (q[0] - p[0]) / (q[1] - p[1]), y0)

    return _clip(polygon, lambda p: (p[1] <= y0) == keep_above, cross)


def _cut(polygon: Polygon, cuts, midline: float) -> Iterator[Polygon]:
    """The pieces of one subpath that the rule's cuts keep."""
    pieces = [polygon]
    for kind, value in cuts:
        if kind in ("above", "below"):
            pieces = [_keep_y(p, value, kind == "above") for p in pieces]
        elif kind == "half":
            pieces = [_keep_x(p, midline, left) for p in pieces for left in (True, False)]
        else:  # lateral / medial: a fraction of the width from the outer / inner edge
            new = []
            for p in pieces:
                xs = [x for x, _y in p]
                outer_is_left = sum(xs) / len(xs) < midline
                width = max(xs) - min(xs)
                outer_share = value if kind == "lateral" else 1 - value
                if outer_is_left:
                    new.append(_keep_x(p, min(xs) + width * outer_share, kind == "lateral"))
                else:
                    new.append(_keep_x(p, max(xs) - width * outer_share, kind != "lateral"))
            pieces = new
    yield from (p for p in pieces if len(p) >= 3)


def _placed(polygon: Polygon, view: str) -> tuple[Point, ...]:
    mid = MIDLINE[view]
    return tuple((WIDTH / 2 + (x - mid) * SCALE, y * SCALE) for x, y in polygon)


def _half(view: str, polygon: Polygon) -> str:
    """The patient's side a piece lies on: the viewer's left is the patient's right on the front."""
    xs = [x for x, _y in polygon]
    viewer_left = sum(xs) / len(xs) < MIDLINE[view]
    return Side.RIGHT if viewer_left == (view == "front") else Side.LEFT


def _pieces(view: str, rules, paths: dict[str, str]) -> Iterable[Shape]:
    for pattern, parts, cuts, region, muscle in rules:
        names = [pattern.format(side=s) for s in ("right", "left")] if "{" in pattern else [pattern]
        for name in names:
            subpaths = _subpaths(paths[name])
            chosen = subpaths if parts is None else [subpaths[k] for k in parts]
            for polygon in chosen:
                for piece in _cut(polygon, cuts, MIDLINE[view]):
                    body_side = _half(view, piece)
                    side = Side.MIDLINE if region in UNPAIRED else body_side
                    yield Shape(view, region, side, body_side, muscle, _placed(piece, view))


@cache
def shapes() -> dict[str, tuple[Shape, ...]]:
    """Every piece of both views, computed once per process."""
    return {
        "front": tuple(_pieces("front", FRONT_RULES, source.FRONT)),
        "back": tuple(_pieces("back", BACK_RULES, source.BACK)),
    }


def shape_at(view: str, x: float, y: float) -> Shape | None:
    """The piece under a stored point (x/y normalised 0-1 on `view`), if any."""
    return next((s for s in shapes()[view] if s.contains(x * WIDTH, y * HEIGHT)), None)


def _side_words(side: str, *, for_patient: bool) -> str:
    return Side.to_patient(side) if for_patient else str(Side(side).label)


def _drawn(shape: Shape, *, for_patient: bool) -> dict:
    region_label = str(BodyRegion(shape.region).label)
    if shape.muscle and not for_patient:
        # Staff read the muscle and the half it lies on, even on a midline region (a right
        # sternocleidomastoid), and the region the pain map files it under.
        words = _side_words(shape.body_side, for_patient=False)
        label = f"{MUSCLE_NAMES[shape.muscle]}, {words} ({region_label})"
    elif shape.side == Side.MIDLINE:
        label = region_label
    else:
        label = f"{region_label}, {_side_words(shape.side, for_patient=for_patient)}"
    return {
        "region": shape.region,
        "side": shape.side,
        "muscle": "" if for_patient else shape.muscle,
        "label": label,
        "d": shape.path,
        "x": round(shape.anchor[0] / WIDTH, 3),
        "y": round(shape.anchor[1] / HEIGHT, 3),
    }


def chart_views(*, for_patient: bool = False) -> list[dict]:
    """Both views, each with its shapes and the patient's side named in words on each half
    (to a patient simply "Right" and "Left"; a patient is shown regions, not muscles)."""
    views = []
    for view, viewer_left in (("front", Side.RIGHT), ("back", Side.LEFT)):
        viewer_right = Side.LEFT if viewer_left == Side.RIGHT else Side.RIGHT
        views.append(
            {
                "view": view,
                "shapes": [_drawn(s, for_patient=for_patient) for s in shapes()[view]],
                "left_label": _side_words(viewer_left, for_patient=for_patient),
                "right_label": _side_words(viewer_right, for_patient=for_patient),
            }
        )
    return views
