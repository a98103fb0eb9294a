"""The front and back body chart shared by the staff body map and the patient's pain map.

Shapes are drawn in normalised units (0-1 across, 0-1 down), the same units a TriggerPoint's
x/y and the muscle catalogue use, so a stored point lands where it was clicked at any size.
Paired regions are drawn once on the viewer's left half and mirrored. In anatomical position
the viewer's left is the patient's right on the front view and the patient's left on the back.
"""

from dataclasses import dataclass

from .models import BodyRegion, Side

WIDTH, HEIGHT = 200, 400  # the SVG viewBox; 1:2 like a standing figure


@dataclass(frozen=True)
class Shape:
    region: str
    kind: str  # "rect" or "ellipse"
    x: float  # rect: left edge; ellipse: centre
    y: float
    w: float  # rect: width; ellipse: x radius
    h: float  # rect: height; ellipse: y radius
    paired: bool = True


R = BodyRegion
LIMBS = (
    Shape(R.UPPER_ARM, "rect", 0.225, 0.215, 0.085, 0.125),
    Shape(R.ELBOW, "rect", 0.215, 0.34, 0.085, 0.04),
    Shape(R.FOREARM, "rect", 0.19, 0.38, 0.095, 0.10),
    Shape(R.WRIST_HAND, "rect", 0.17, 0.48, 0.09, 0.075),
    Shape(R.KNEE, "rect", 0.345, 0.72, 0.13, 0.04),
    Shape(R.ANKLE_FOOT, "rect", 0.34, 0.90, 0.13, 0.085),
)
FRONT = (
    Shape(R.HEAD, "ellipse", 0.5, 0.055, 0.085, 0.055, paired=False),
    Shape(R.JAW, "ellipse", 0.46, 0.088, 0.03, 0.017),
    Shape(R.NECK_FRONT, "rect", 0.44, 0.105, 0.12, 0.045, paired=False),
    Shape(R.CHEST, "rect", 0.31, 0.15, 0.19, 0.185),
    Shape(R.ABDOMEN, "rect", 0.34, 0.335, 0.32, 0.105, paired=False),
    Shape(R.HIP, "rect", 0.31, 0.44, 0.085, 0.09),
    Shape(R.GROIN, "rect", 0.395, 0.44, 0.105, 0.09),
    Shape(R.THIGH_FRONT, "rect", 0.33, 0.53, 0.16, 0.19),
    Shape(R.SHIN, "rect", 0.35, 0.76, 0.12, 0.14),
    Shape(R.SHOULDER, "ellipse", 0.33, 0.185, 0.055, 0.04),
    *LIMBS,
)
BACK = (
    Shape(R.HEAD, "ellipse", 0.5, 0.055, 0.085, 0.055, paired=False),
    Shape(R.NECK_BACK, "rect", 0.44, 0.105, 0.12, 0.045, paired=False),
    Shape(R.UPPER_BACK, "rect", 0.31, 0.15, 0.19, 0.11),
    Shape(R.MID_BACK, "rect", 0.31, 0.26, 0.19, 0.10),
    Shape(R.LOWER_BACK, "rect", 0.32, 0.36, 0.18, 0.085),
    Shape(R.HIP, "rect", 0.31, 0.445, 0.065, 0.085),
    Shape(R.BUTTOCK, "rect", 0.375, 0.445, 0.125, 0.085),
    Shape(R.THIGH_BACK, "rect", 0.33, 0.53, 0.16, 0.19),
    Shape(R.CALF, "rect", 0.35, 0.76, 0.12, 0.14),
    Shape(R.SHOULDER, "ellipse", 0.33, 0.185, 0.055, 0.04),
    *LIMBS,
)


def _mirrored(shape: Shape) -> Shape:
    x = 1 - shape.x if shape.kind == "ellipse" else 1 - shape.x - shape.w
    return Shape(shape.region, shape.kind, x, shape.y, shape.w, shape.h)


def _side_words(side: str, *, for_patient: bool) -> str:
    return Side.to_patient(side) if for_patient else str(Side(side).label)


def _drawn(shape: Shape, side: str, *, for_patient: bool) -> dict:
    labels = dict(BodyRegion.choices)
    region_label = labels[shape.region]
    words = _side_words(side, for_patient=for_patient)
    label = region_label if side == Side.MIDLINE else f"{region_label}, {words}"
    geometry = (
        {"x": shape.x * WIDTH, "y": shape.y * HEIGHT, "w": shape.w * WIDTH, "h": shape.h * HEIGHT}
        if shape.kind == "rect"
        else {"cx": shape.x * WIDTH, "cy": shape.y * HEIGHT}
        | {"rx": shape.w * WIDTH, "ry": shape.h * HEIGHT}
    )
    return {"kind": shape.kind, "region": shape.region, "side": side, "label": label, **geometry}


def chart_views(*, for_patient: bool = False) -> list[dict]:
    """Both views, each with its shapes and the patient's side named in words on each half
    (to a patient simply "Right" and "Left")."""
    views = []
    for view, shapes, viewer_left in (
        ("front", FRONT, Side.RIGHT),
        ("back", BACK, Side.LEFT),
    ):
        viewer_right = Side.LEFT if viewer_left == Side.RIGHT else Side.RIGHT
        drawn = []
        for shape in shapes:
            if shape.paired:
                drawn += [
                    _drawn(shape, viewer_left, for_patient=for_patient),
                    _drawn(_mirrored(shape), viewer_right, for_patient=for_patient),
                ]
            else:
                drawn.append(_drawn(shape, Side.MIDLINE, for_patient=for_patient))
        views.append(
            {
                "view": view,
                "shapes": drawn,
                "left_label": _side_words(viewer_left, for_patient=for_patient),
                "right_label": _side_words(viewer_right, for_patient=for_patient),
            }
        )
    return views
