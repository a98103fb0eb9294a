"""The referral atlas: for each muscle of the catalogue, the body-chart regions its trigger
points refer pain to, essential (the zone nearly every patient with an active point there
reports) or spill-over (felt by some), and where the zone lies relative to the point's side.

Written for this product from the published descriptions of the Travell & Simons patterns
(not copied from their figures), in the chart's coarse regions: "head" holds the temple,
forehead, eye, ear and occiput; "shin" the front and outer lower leg. Sources:
- V1: Simons DG, Travell JG, Simons LS. Myofascial Pain and Dysfunction: The Trigger Point
  Manual. Vol. 1, Upper Half of Body, 2nd ed. Baltimore: Williams & Wilkins, 1999 (the
  muscle's chapter; p. = its pain-pattern figure).
- V2: Travell JG, Simons DG. Myofascial Pain and Dysfunction: The Trigger Point Manual.
  Vol. 2, The Lower Extremities. Baltimore: Williams & Wilkins, 1992 (the muscle's chapter).
The data is written out here, not read from a file, so this migration never changes under a
database that already ran it; clinics amend it in the admin.
"""

import django.db.models.deletion
import sessions.models
from django.db import migrations, models

V1 = "Simons, Travell & Simons 1999, Vol. 1 (2nd ed.), {chapter}, pain pattern p. {page}"
V2 = "Travell & Simons 1992, Vol. 2, {chapter}"
E, S = True, False  # essential, spill-over

ATLAS = {
    # slug: (source, [(region, side relation, essential), ...])
    "temporalis": (V1.format(chapter="Temporalis", page=351),
                   [("head", "same", E), ("jaw", "same", S)]),
    "masseter": (V1.format(chapter="Masseter", page=331),
                 [("jaw", "same", E), ("head", "same", S)]),
    "sternocleidomastoid": (V1.format(chapter="Sternocleidomastoid", page=310),
                            [("head", "same", E), ("jaw", "same", S), ("neck_front", "same", S)]),
    "scalenes": (V1.format(chapter="Scalene muscles", page=506),
                 [("chest", "same", E), ("upper_arm", "same", E), ("upper_back", "same", E),
                  ("shoulder", "same", S), ("forearm", "same", S), ("wrist_hand", "same", S)]),
    "suboccipitals": (V1.format(chapter="Suboccipital muscles", page=473),
                      [("head", "same", E)]),
    "splenius-capitis": (V1.format(chapter="Splenius capitis and splenius cervicis", page=433),
                         [("head", "same", E), ("neck_back", "same", S)]),
    "upper-trapezius": (V1.format(chapter="Trapezius", page="279-281"),
                        [("head", "same", E), ("neck_back", "same", E), ("jaw", "same", S)]),
    "levator-scapulae": (V1.format(chapter="Levator scapulae", page=493),
                         [("neck_back", "same", E), ("upper_back", "same", E),
                          ("shoulder", "same", S)]),
    "middle-trapezius": (V1.format(chapter="Trapezius", page="279-281"),
                         [("upper_back", "same", E), ("shoulder", "same", S)]),
    "lower-trapezius": (V1.format(chapter="Trapezius", page="279-281"),
                        [("neck_back", "same", E), ("upper_back", "same", E),
                         ("shoulder", "same", S)]),
    "rhomboids": (V1.format(chapter="Rhomboid muscles", page=614),
                  [("upper_back", "same", E), ("shoulder", "same", S)]),
    "supraspinatus": (V1.format(chapter="Supraspinatus", page=539),
                      [("shoulder", "same", E), ("elbow", "same", S), ("upper_arm", "same", S),
                       ("forearm", "same", S)]),
    "infraspinatus": (V1.format(chapter="Infraspinatus", page=553),
                      [("shoulder", "same", E), ("upper_arm", "same", E), ("forearm", "same", S),
                       ("wrist_hand", "same", S), ("neck_back", "same", S)]),
    "teres-minor": (V1.format(chapter="Teres minor", page=565),
                    [("shoulder", "same", E), ("upper_arm", "same", S)]),
    "teres-major": (V1.format(chapter="Teres major", page=588),
                    [("shoulder", "same", E), ("upper_arm", "same", E), ("forearm", "same", S)]),
    "subscapularis": (V1.format(chapter="Subscapularis", page=598),
                      [("shoulder", "same", E), ("wrist_hand", "same", E),
                       ("upper_back", "same", S), ("upper_arm", "same", S)]),
    "latissimus-dorsi": (V1.format(chapter="Latissimus dorsi", page=573),
                         [("mid_back", "same", E), ("shoulder", "same", S),
                          ("upper_arm", "same", S), ("forearm", "same", S),
                          ("wrist_hand", "same", S), ("abdomen", "same", S)]),
    "serratus-anterior": (V1.format(chapter="Serratus anterior", page=888),
                          [("chest", "same", E), ("mid_back", "same", E),
                           ("upper_arm", "same", S), ("forearm", "same", S),
                           ("wrist_hand", "same", S)]),
    "pectoralis-major": (V1.format(chapter="Pectoralis major", page="820-822"),
                         [("chest", "same", E), ("shoulder", "same", E),
                          ("upper_arm", "same", S), ("elbow", "same", S),
                          ("forearm", "same", S), ("wrist_hand", "same", S)]),
    "pectoralis-minor": (V1.format(chapter="Pectoralis minor", page=845),
                         [("shoulder", "same", E), ("chest", "same", E),
                          ("upper_arm", "same", S), ("elbow", "same", S),
                          ("forearm", "same", S), ("wrist_hand", "same", S)]),
    "deltoid": (V1.format(chapter="Deltoid", page=624),
                [("shoulder", "same", E), ("upper_arm", "same", S)]),
    "biceps-brachii": (V1.format(chapter="Biceps brachii", page=649),
                       [("shoulder", "same", E), ("elbow", "same", S), ("upper_arm", "same", S),
                        ("upper_back", "same", S)]),
    "triceps-brachii": (V1.format(chapter="Triceps brachii", page="668-669"),
                        [("upper_arm", "same", E), ("elbow", "same", E), ("shoulder", "same", S),
                         ("forearm", "same", S), ("wrist_hand", "same", S)]),
    "wrist-extensors": (V1.format(chapter="Hand extensors and brachioradialis", page=692),
                        [("elbow", "same", E), ("wrist_hand", "same", E),
                         ("forearm", "same", S)]),
    "wrist-flexors": (V1.format(chapter="Hand and finger flexors in the forearm", page=756),
                      [("wrist_hand", "same", E), ("forearm", "same", S)]),
    "brachioradialis": (V1.format(chapter="Hand extensors and brachioradialis", page=693),
                        [("wrist_hand", "same", E), ("elbow", "same", S),
                         ("forearm", "same", S)]),
    "thoracic-erector-spinae": (V1.format(chapter="Thoracolumbar paraspinal muscles",
                                          page=915),
                                [("mid_back", "same", E), ("lower_back", "same", E),
                                 ("abdomen", "same", S), ("buttock", "same", S)]),
    "lumbar-erector-spinae": (V1.format(chapter="Thoracolumbar paraspinal muscles", page=915),
                              [("lower_back", "same", E), ("buttock", "same", E)]),
    "multifidus": (V1.format(chapter="Thoracolumbar paraspinal muscles", page=917),
                   [("lower_back", "same", E), ("buttock", "same", E), ("abdomen", "same", S)]),
    "quadratus-lumborum": (V2.format(chapter="Quadratus lumborum"),
                           [("buttock", "same", E), ("hip", "same", E),
                            ("lower_back", "same", S), ("groin", "same", S),
                            ("abdomen", "same", S)]),
    # The rectus abdominis refers a band across the back, both sides at once.
    "rectus-abdominis": (V1.format(chapter="Abdominal muscles", page=944),
                         [("abdomen", "same", E), ("lower_back", "both", E),
                          ("mid_back", "both", S)]),
    "iliopsoas": (V2.format(chapter="Iliopsoas"),
                  [("lower_back", "same", E), ("thigh_front", "same", E), ("groin", "same", E),
                   ("buttock", "same", S)]),
    "gluteus-maximus": (V2.format(chapter="Gluteus maximus"),
                        [("buttock", "same", E), ("hip", "same", S), ("thigh_back", "same", S)]),
    "gluteus-medius": (V2.format(chapter="Gluteus medius"),
                       [("lower_back", "same", E), ("buttock", "same", E), ("hip", "same", S),
                        ("thigh_back", "same", S)]),
    "gluteus-minimus": (V2.format(chapter="Gluteus minimus"),
                        [("buttock", "same", E), ("hip", "same", E), ("thigh_back", "same", E),
                         ("calf", "same", S), ("shin", "same", S), ("knee", "same", S),
                         ("ankle_foot", "same", S)]),
    "piriformis": (V2.format(chapter="Piriformis and other short lateral rotators"),
                   [("buttock", "same", E), ("hip", "same", E), ("thigh_back", "same", S)]),
    "tensor-fasciae-latae": (V2.format(chapter="Tensor fasciae latae"),
                             [("hip", "same", E), ("thigh_front", "same", E),
                              ("knee", "same", S)]),
    "adductors": (V2.format(chapter="Adductor longus, brevis and magnus"),
                  [("groin", "same", E), ("thigh_front", "same", E), ("knee", "same", S),
                   ("shin", "same", S)]),
    "rectus-femoris": (V2.format(chapter="Quadriceps femoris group"),
                       [("knee", "same", E), ("thigh_front", "same", S)]),
    "vastus-lateralis": (V2.format(chapter="Quadriceps femoris group"),
                         [("thigh_front", "same", E), ("knee", "same", E), ("hip", "same", S)]),
    "vastus-medialis": (V2.format(chapter="Quadriceps femoris group"),
                        [("knee", "same", E), ("thigh_front", "same", S)]),
    "hamstrings": (V2.format(chapter="Hamstring muscles"),
                   [("thigh_back", "same", E), ("buttock", "same", E), ("knee", "same", E),
                    ("calf", "same", S)]),
    "gastrocnemius": (V2.format(chapter="Gastrocnemius"),
                      [("ankle_foot", "same", E), ("calf", "same", E), ("knee", "same", S),
                       ("thigh_back", "same", S)]),
    # The soleus' highest point refers, rarely, to the sacroiliac joint of its side.
    "soleus": (V2.format(chapter="Soleus and plantaris"),
               [("ankle_foot", "same", E), ("calf", "same", S), ("buttock", "same", S)]),
    "tibialis-anterior": (V2.format(chapter="Tibialis anterior"),
                          [("ankle_foot", "same", E), ("shin", "same", S)]),
    "peroneus-longus": (V2.format(chapter="Peroneal muscles"),
                        [("ankle_foot", "same", E), ("shin", "same", S), ("calf", "same", S)]),
}  # fmt: skip


def load_atlas(apps, schema_editor):
    Muscle = apps.get_model("treatments", "Muscle")
    ReferralZone = apps.get_model("treatments", "ReferralZone")
    # A clinic's catalogue may lack or rename a muscle: only the catalogued ones get zones.
    muscles = dict(Muscle.objects.filter(slug__in=ATLAS).values_list("slug", "pk"))
    ReferralZone.objects.bulk_create(
        ReferralZone(
            muscle_id=muscles[slug],
            region=region,
            side_relation=relation,
            essential=essential,
            source=source,
        )
        for slug, (source, zones) in ATLAS.items()
        if slug in muscles
        for region, relation, essential in zones
    )


def unload_atlas(apps, schema_editor):
    apps.get_model("treatments", "ReferralZone").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0018_session_patient_time_covers_discarded"),
    ]

    operations = [
        migrations.AddField(
            model_name="triggerpoint",
            name="referral_regions",
            field=models.JSONField(
                blank=True, default=list, validators=[sessions.models.referral_regions_valid]
            ),
        ),
        migrations.CreateModel(
            name="ReferralZone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "region",
                    models.CharField(
                        choices=[
                            ("head", "Head"),
                            ("jaw", "Jaw"),
                            ("neck_front", "Neck (front)"),
                            ("neck_back", "Neck (back)"),
                            ("shoulder", "Shoulder"),
                            ("upper_arm", "Upper arm"),
                            ("elbow", "Elbow"),
                            ("forearm", "Forearm"),
                            ("wrist_hand", "Wrist / hand"),
                            ("chest", "Chest"),
                            ("upper_back", "Upper back"),
                            ("mid_back", "Mid back"),
                            ("lower_back", "Lower back"),
                            ("abdomen", "Abdomen"),
                            ("buttock", "Sacrum / buttock"),
                            ("hip", "Hip"),
                            ("groin", "Groin"),
                            ("thigh_front", "Thigh (front)"),
                            ("thigh_back", "Thigh (back)"),
                            ("knee", "Knee"),
                            ("shin", "Lower leg (shin)"),
                            ("calf", "Lower leg (calf)"),
                            ("ankle_foot", "Ankle / foot"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "side_relation",
                    models.CharField(
                        choices=[
                            ("same", "Same side"),
                            ("opposite", "Opposite side"),
                            ("both", "Both sides"),
                            ("midline", "Midline"),
                        ],
                        max_length=8,
                    ),
                ),
                ("essential", models.BooleanField()),
                ("source", models.CharField(max_length=200)),
                (
                    "muscle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="referral_zones",
                        to="treatments.muscle",
                    ),
                ),
            ],
            options={
                "ordering": ["muscle", "-essential", "region"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("muscle", "region", "side_relation"), name="referral_zone_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            (
                                "region__in",
                                [
                                    "head",
                                    "jaw",
                                    "neck_front",
                                    "neck_back",
                                    "shoulder",
                                    "upper_arm",
                                    "elbow",
                                    "forearm",
                                    "wrist_hand",
                                    "chest",
                                    "upper_back",
                                    "mid_back",
                                    "lower_back",
                                    "abdomen",
                                    "buttock",
                                    "hip",
                                    "groin",
                                    "thigh_front",
                                    "thigh_back",
                                    "knee",
                                    "shin",
                                    "calf",
                                    "ankle_foot",
                                ],
                            )
                        ),
                        name="referral_zone_region_ok",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("side_relation__in", ["same", "opposite", "both", "midline"])
                        ),
                        name="referral_zone_side_relation_ok",
                    ),
                ],
            },
        ),
        migrations.RunPython(load_atlas, unload_atlas),
    ]
