"""Issue 15: drafts may be discarded (kept, hidden), a trigger point may wait for its tenderness
until signing, each movement gets its plausible maximum, a clinic's minimum content for
signing and its SOAP templates, and the structured corrections an addendum makes to a point.

The maxima are about 1.5x the normal active range (AAOS/AMA), capped near the largest ranges
reported in hypermobile adults: a reading above them is a typing or reading error. Written out
here, not read from a file, so this migration never changes under a database that ran it."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MAX_DEGREES = {
    # code: (normal, plausible maximum)
    "cervical-flexion": (50, 80),
    "cervical-extension": (60, 90),
    "cervical-lateral-flexion": (45, 65),
    "cervical-rotation": (80, 100),
    "lumbar-flexion": (60, 90),
    "lumbar-extension": (25, 40),
    "lumbar-lateral-flexion": (25, 40),
    "shoulder-flexion": (180, 200),
    "shoulder-extension": (60, 90),
    "shoulder-abduction": (180, 200),
    "shoulder-internal-rotation": (70, 100),
    "shoulder-external-rotation": (90, 130),
    "hip-flexion": (120, 150),
    "hip-extension": (30, 45),
    "hip-abduction": (45, 70),
    "hip-internal-rotation": (45, 70),
    "hip-external-rotation": (45, 70),
    "knee-flexion": (135, 160),
    "ankle-dorsiflexion": (20, 35),
    "ankle-plantar-flexion": (50, 75),
}


def set_maxima(apps, schema_editor):
    Movement = apps.get_model("treatments", "Movement")
    for movement in Movement.objects.all():
        # A movement added in the admin since: 1.5x its normal, within a circle.
        fallback = min(360, round(movement.normal_degrees * 1.5))
        movement.max_degrees = MAX_DEGREES.get(movement.code, (None, fallback))[1]
        movement.save(update_fields=["max_degrees"])


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0011_sign_in_guards_and_api_tokens'),
        ('patients', '0008_intakesubmission_intake_needs_attention'),
        ('treatments', '0012_patient_merge'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='NoteRequirements',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('soap_required', models.BooleanField(default=True, verbose_name='At least one part of the SOAP note')),
                ('pain_before_required', models.BooleanField(default=True, verbose_name='Pain before the session')),
                ('pain_after_required', models.BooleanField(default=False, verbose_name='Pain after the session')),
            ],
            options={
                'verbose_name_plural': 'note requirements',
            },
        ),
        migrations.CreateModel(
            name='PointCorrection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('side', models.CharField(blank=True, choices=[('left', "Patient's left"), ('right', "Patient's right"), ('both', 'Both sides'), ('midline', 'Midline')], max_length=8)),
                ('tenderness', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)])),
                ('pressure', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)])),
            ],
            options={
                'ordering': ['addendum', 'id'],
            },
        ),
        migrations.CreateModel(
            name='SoapTemplate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, verbose_name='name')),
                ('subjective', models.TextField(blank=True, verbose_name='subjective')),
                ('objective', models.TextField(blank=True, verbose_name='objective')),
                ('assessment', models.TextField(blank=True, verbose_name='assessment')),
                ('plan', models.TextField(blank=True, verbose_name='plan')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='triggerpoint',
            name='tp_tenderness_0_10',
        ),
        migrations.AddField(
            model_name='movement',
            name='max_degrees',
            field=models.PositiveSmallIntegerField(default=360),
        ),
        migrations.RunPython(set_maxima, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='movement',
            name='max_degrees',
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AddField(
            model_name='treatmentsession',
            name='discarded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='treatmentsession',
            name='discarded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='triggerpoint',
            name='tenderness',
            field=models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(10)]),
        ),
        migrations.AddConstraint(
            model_name='movement',
            constraint=models.CheckConstraint(condition=models.Q(('max_degrees__gte', models.F('normal_degrees')), ('max_degrees__lte', 360)), name='movement_max_at_least_normal'),
        ),
        migrations.AddConstraint(
            model_name='treatmentsession',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('discarded_at__isnull', True), ('discarded_by__isnull', True)), models.Q(('discarded_at__isnull', False), ('discarded_by__isnull', False), ('status', 'draft')), _connector='OR'), name='session_only_drafts_discarded'),
        ),
        migrations.AddConstraint(
            model_name='triggerpoint',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('tenderness__gte', 0), ('tenderness__lte', 10)), ('tenderness__isnull', True), _connector='OR'), name='tp_tenderness_0_10'),
        ),
        migrations.AddField(
            model_name='noterequirements',
            name='clinic',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='note_requirements', to='clinic.clinic'),
        ),
        migrations.AddField(
            model_name='pointcorrection',
            name='addendum',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='treatments.addendum'),
        ),
        migrations.AddField(
            model_name='pointcorrection',
            name='muscle',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='treatments.muscle'),
        ),
        migrations.AddField(
            model_name='pointcorrection',
            name='trigger_point',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='treatments.triggerpoint'),
        ),
        migrations.AddField(
            model_name='soaptemplate',
            name='clinic',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.clinic'),
        ),
        migrations.AddConstraint(
            model_name='pointcorrection',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('tenderness__gte', 0), ('tenderness__lte', 10)), ('tenderness__isnull', True), _connector='OR'), name='correction_tenderness_0_10'),
        ),
        migrations.AddConstraint(
            model_name='pointcorrection',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('pressure__gte', 0), ('pressure__lte', 10)), ('pressure__isnull', True), _connector='OR'), name='correction_pressure_0_10'),
        ),
        migrations.AddConstraint(
            model_name='pointcorrection',
            constraint=models.CheckConstraint(condition=models.Q(('muscle__isnull', False), models.Q(('side', ''), _negated=True), ('tenderness__isnull', False), ('pressure__isnull', False), _connector='OR'), name='correction_changes_something'),
        ),
        migrations.AddConstraint(
            model_name='soaptemplate',
            constraint=models.UniqueConstraint(fields=('clinic', 'name'), name='soap_template_name_once'),
        ),
    ]
