"""Perpetuating factors and the muscles each keeps loaded: a point in one of these muscles,
with the factor recorded, is kept active by it until the factor changes.

Written for this product from the published descriptions of mechanical perpetuating factors
(Travell & Simons, Myofascial Pain and Dysfunction, 2nd ed., vol. 1 ch. 4 and the "perpetuating
factors" section of each muscle's chapter; vol. 2 ch. 4 for the leg-length difference and the
pelvis), not copied from their tables."""

from .models import PerpetuatingFactor as F

LOADED_MUSCLES: dict[str, tuple[str, ...]] = {
    # The head held forward loads the posterior neck and the muscles that steady it in front.
    F.FORWARD_HEAD: (
        "upper-trapezius",
        "levator-scapulae",
        "splenius-capitis",
        "suboccipitals",
        "sternocleidomastoid",
        "scalenes",
    ),
    # Protracted shoulders shorten the chest and overstretch the interscapular muscles.
    F.ROUNDED_SHOULDERS: (
        "pectoralis-major",
        "pectoralis-minor",
        "rhomboids",
        "middle-trapezius",
        "serratus-anterior",
    ),
    F.ANTERIOR_PELVIC_TILT: (
        "iliopsoas",
        "lumbar-erector-spinae",
        "rectus-femoris",
        "quadratus-lumborum",
    ),
    F.LEG_LENGTH_DIFFERENCE: (
        "quadratus-lumborum",
        "gluteus-medius",
        "gluteus-minimus",
        "piriformis",
        "lumbar-erector-spinae",
    ),
    F.PROLONGED_SITTING: (
        "iliopsoas",
        "hamstrings",
        "gluteus-maximus",
        "quadratus-lumborum",
        "piriformis",
    ),
    F.REPETITIVE_OVERHEAD_WORK: (
        "supraspinatus",
        "infraspinatus",
        "deltoid",
        "upper-trapezius",
        "levator-scapulae",
    ),
    F.POOR_SLEEP_POSTURE: (
        "levator-scapulae",
        "sternocleidomastoid",
        "scalenes",
        "subscapularis",
        "pectoralis-minor",
    ),
    F.PHONE_CRADLING: ("upper-trapezius", "levator-scapulae", "sternocleidomastoid"),
    F.KEYBOARD_MOUSE: ("wrist-extensors", "wrist-flexors", "brachioradialis", "upper-trapezius"),
    F.JAW_CLENCHING: ("masseter", "temporalis"),
}
