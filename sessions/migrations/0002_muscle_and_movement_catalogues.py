"""Loads the muscle and movement catalogues.

Muscles: those most often treated in trigger-point work (domain.md), each with its body region
and a default spot on the body chart. x/y are normalised 0-1 on the named view and place the
muscle on the viewer's left half (patient's right on the front view, patient's left on the back
view); the body map mirrors x for the other side. SNOMED CT codes only where domain.md gives a
verified code.

Movements: typical normal active ranges (AAOS/AMA guides), editable in the admin.
The data is written out here, not read from a file, so this migration never changes under a
database that already ran it.
"""

from django.db import migrations

MUSCLES = [
    # name, region, view, x, y, snomed
    ("Temporalis", "head", "front", 0.43, 0.05, ""),
    ("Masseter", "jaw", "front", 0.46, 0.08, ""),
    ("Sternocleidomastoid", "neck_front", "front", 0.46, 0.13, "22823000"),
    ("Scalenes", "neck_front", "front", 0.44, 0.145, ""),
    ("Suboccipitals", "neck_back", "back", 0.47, 0.09, ""),
    ("Splenius capitis", "neck_back", "back", 0.46, 0.11, ""),
    ("Upper trapezius", "neck_back", "back", 0.40, 0.16, "31764008"),
    ("Levator scapulae", "neck_back", "back", 0.43, 0.15, ""),
    ("Middle trapezius", "upper_back", "back", 0.42, 0.22, "31764008"),
    ("Lower trapezius", "mid_back", "back", 0.44, 0.29, "31764008"),
    ("Rhomboids", "upper_back", "back", 0.44, 0.24, ""),
    ("Supraspinatus", "shoulder", "back", 0.38, 0.19, "6423006"),
    ("Infraspinatus", "shoulder", "back", 0.38, 0.24, "72573008"),
    ("Teres minor", "shoulder", "back", 0.35, 0.25, "51159009"),
    ("Teres major", "shoulder", "back", 0.36, 0.28, "1193009"),
    ("Subscapularis", "shoulder", "front", 0.35, 0.24, "90588001"),
    ("Latissimus dorsi", "mid_back", "back", 0.38, 0.34, "15665001"),
    ("Serratus anterior", "chest", "front", 0.36, 0.30, "18346003"),
    ("Pectoralis major", "chest", "front", 0.40, 0.24, "60005003"),
    ("Pectoralis minor", "chest", "front", 0.41, 0.21, "18686000"),
    ("Deltoid", "shoulder", "front", 0.33, 0.20, "35259002"),
    ("Biceps brachii", "upper_arm", "front", 0.30, 0.30, ""),
    ("Triceps brachii", "upper_arm", "back", 0.30, 0.30, ""),
    ("Wrist extensors", "forearm", "back", 0.25, 0.42, ""),
    ("Wrist flexors", "forearm", "front", 0.24, 0.45, ""),
    ("Brachioradialis", "forearm", "front", 0.26, 0.40, ""),
    ("Thoracic erector spinae", "mid_back", "back", 0.46, 0.30, "44947003"),
    ("Lumbar erector spinae", "lower_back", "back", 0.46, 0.40, "44947003"),
    ("Multifidus", "lower_back", "back", 0.48, 0.43, ""),
    ("Quadratus lumborum", "lower_back", "back", 0.42, 0.41, ""),
    ("Rectus abdominis", "abdomen", "front", 0.47, 0.38, ""),
    ("Iliopsoas", "groin", "front", 0.44, 0.47, ""),
    ("Gluteus maximus", "buttock", "back", 0.42, 0.50, ""),
    ("Gluteus medius", "buttock", "back", 0.38, 0.46, ""),
    ("Gluteus minimus", "hip", "back", 0.37, 0.48, ""),
    ("Piriformis", "buttock", "back", 0.43, 0.48, ""),
    ("Tensor fasciae latae", "hip", "front", 0.37, 0.50, ""),
    ("Adductors", "thigh_front", "front", 0.45, 0.58, ""),
    ("Rectus femoris", "thigh_front", "front", 0.41, 0.60, ""),
    ("Vastus lateralis", "thigh_front", "front", 0.37, 0.64, ""),
    ("Vastus medialis", "thigh_front", "front", 0.44, 0.68, ""),
    ("Hamstrings", "thigh_back", "back", 0.41, 0.63, ""),
    ("Gastrocnemius", "calf", "back", 0.41, 0.78, ""),
    ("Soleus", "calf", "back", 0.41, 0.84, ""),
    ("Tibialis anterior", "shin", "front", 0.41, 0.82, ""),
    ("Peroneus longus", "shin", "front", 0.38, 0.82, ""),
]

MOVEMENTS = [
    # code, joint, name, normal degrees, recorded per side
    ("cervical-flexion", "Cervical spine", "Flexion", 50, False),
    ("cervical-extension", "Cervical spine", "Extension", 60, False),
    ("cervical-lateral-flexion", "Cervical spine", "Lateral flexion", 45, True),
    ("cervical-rotation", "Cervical spine", "Rotation", 80, True),
    ("lumbar-flexion", "Lumbar spine", "Flexion", 60, False),
    ("lumbar-extension", "Lumbar spine", "Extension", 25, False),
    ("lumbar-lateral-flexion", "Lumbar spine", "Lateral flexion", 25, True),
    ("shoulder-flexion", "Shoulder", "Flexion", 180, True),
    ("shoulder-extension", "Shoulder", "Extension", 60, True),
    ("shoulder-abduction", "Shoulder", "Abduction", 180, True),
    ("shoulder-internal-rotation", "Shoulder", "Internal rotation", 70, True),
    ("shoulder-external-rotation", "Shoulder", "External rotation", 90, True),
    ("hip-flexion", "Hip", "Flexion", 120, True),
    ("hip-extension", "Hip", "Extension", 30, True),
    ("hip-abduction", "Hip", "Abduction", 45, True),
    ("hip-internal-rotation", "Hip", "Internal rotation", 45, True),
    ("hip-external-rotation", "Hip", "External rotation", 45, True),
    ("knee-flexion", "Knee", "Flexion", 135, True),
    ("ankle-dorsiflexion", "Ankle", "Dorsiflexion", 20, True),
    ("ankle-plantar-flexion", "Ankle", "Plantar flexion", 50, True),
]


def load(apps, schema_editor):
    from django.utils.text import slugify

    Muscle = apps.get_model("treatments", "Muscle")
    Movement = apps.get_model("treatments", "Movement")
    Muscle.objects.bulk_create(
        Muscle(
            name=name,
            slug=slugify(name),
            region=region,
            chart_view=view,
            chart_x=x,
            chart_y=y,
            snomed_code=snomed,
        )
        for name, region, view, x, y, snomed in MUSCLES
    )
    Movement.objects.bulk_create(
        Movement(code=code, joint=joint, name=name, normal_degrees=normal, bilateral=bilateral)
        for code, joint, name, normal, bilateral in MOVEMENTS
    )


def unload(apps, schema_editor):
    apps.get_model("treatments", "Muscle").objects.filter(name__in=[m[0] for m in MUSCLES]).delete()
    apps.get_model("treatments", "Movement").objects.filter(
        code__in=[m[0] for m in MOVEMENTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
