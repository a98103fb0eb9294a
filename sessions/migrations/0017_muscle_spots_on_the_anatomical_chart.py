"""Moves the catalogue muscles' default chart spots onto the anatomical body chart
(patients/body_chart.py), which replaced the blocky mannequin.

Both figures fill the same 200x400 view (head at the top, hands at x 0.16-0.84), so a stored
trigger point keeps its x/y and lands on the same part of the body; no stored point is changed.
Only the catalogue's default spots move, where the old spot is not on the muscle's own outline:
to the outline's inner anchor (its centroid, viewer's left half, as before), or, for a muscle the
chart does not draw (deep, or under another), to a spot over the muscle that covers it.
The 27 muscles not listed keep their spot: it already lies on their outline, or on the muscle
that covers them (temporalis on the head; levator scapulae, rhomboids, pectoralis minor,
gluteus minimus and piriformis under trapezius, pectoralis major and the glutei).
"""

from django.db import migrations

SPOTS = {
    # name: (old x, old y, new x, new y)
    "Masseter": (0.46, 0.08, 0.472, 0.113),
    "Sternocleidomastoid": (0.46, 0.13, 0.467, 0.156),
    "Scalenes": (0.44, 0.145, 0.458, 0.152),  # under the sternocleidomastoid
    "Suboccipitals": (0.47, 0.09, 0.417, 0.086),
    "Splenius capitis": (0.46, 0.11, 0.468, 0.135),
    "Lower trapezius": (0.44, 0.29, 0.459, 0.259),
    "Supraspinatus": (0.38, 0.19, 0.315, 0.181),
    "Teres minor": (0.35, 0.25, 0.32, 0.22),  # at the outer edge of infraspinatus
    "Teres major": (0.36, 0.28, 0.265, 0.215),
    "Subscapularis": (0.35, 0.24, 0.35, 0.235),  # in the armpit, at pectoralis major's edge
    "Latissimus dorsi": (0.38, 0.34, 0.413, 0.292),
    "Serratus anterior": (0.36, 0.30, 0.396, 0.317),
    "Triceps brachii": (0.30, 0.30, 0.284, 0.273),
    "Wrist extensors": (0.25, 0.42, 0.214, 0.383),
    "Brachioradialis": (0.26, 0.40, 0.222, 0.396),
    "Thoracic erector spinae": (0.46, 0.30, 0.493, 0.225),
    "Multifidus": (0.48, 0.43, 0.496, 0.366),
    "Tensor fasciae latae": (0.37, 0.50, 0.333, 0.478),
    "Adductors": (0.45, 0.58, 0.414, 0.502),
    "Vastus medialis": (0.44, 0.68, 0.444, 0.632),
    "Tibialis anterior": (0.41, 0.82, 0.397, 0.846),
    "Peroneus longus": (0.38, 0.82, 0.362, 0.796),
}


def move(apps, schema_editor):
    Muscle = apps.get_model("treatments", "Muscle")
    for name, (_x, _y, x, y) in SPOTS.items():
        Muscle.objects.filter(name=name).update(chart_x=x, chart_y=y)


def move_back(apps, schema_editor):
    Muscle = apps.get_model("treatments", "Muscle")
    for name, (x, y, _x, _y) in SPOTS.items():
        Muscle.objects.filter(name=name).update(chart_x=x, chart_y=y)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0016_session_patient_time_covers_therapist")]

    operations = [migrations.RunPython(move, move_back)]
