"""The ROM report's derived rows (`MobilityCourse`), built for the measurements already there
(services keep them in step from now on), and the erasure function deletes them with the
patient, as it does the other derived rows (and `PsfsCourse`, patients migration 0010)."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

NEW_DELETES = """    DELETE FROM patients_psfscourse WHERE patient_id = patient;
    DELETE FROM treatments_mobilitycourse WHERE patient_id = patient;
"""

# The function as 0014 left it, with the two tables added: built from 0014's text, so the two
# cannot drift apart (scheduling 0004 builds on this one in turn).
LAST = importlib.import_module("sessions.migrations.0014_corrections_locked_in_the_database")
BEFORE = LAST.ERASE.split("CREATE OR REPLACE FUNCTION treatments_correction_locked")[0]
PAIN_COURSES = "    DELETE FROM patients_paincourse WHERE patient_id = patient;\n"
assert PAIN_COURSES in BEFORE, "clinic_erase_patient changed: place the derived rows' step again"
ERASE_PATIENT = BEFORE.replace(PAIN_COURSES, PAIN_COURSES + NEW_DELETES)


def build(apps, schema_editor):
    from sessions.summaries import mobility_courses_refresh

    mobility_courses_refresh(patient_ids=None)


def erase_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE_PATIENT, params=None)


def erase_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0011_sign_in_guards_and_api_tokens'),
        ('patients', '0010_psfs_course'),
        ('treatments', '0014_corrections_locked_in_the_database'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MobilityCourse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('side', models.CharField(choices=[('left', "Patient's left"), ('right', "Patient's right"), ('both', 'Both sides'), ('midline', 'Midline')], max_length=8)),
                ('first', models.PositiveSmallIntegerField()),
                ('first_at', models.DateTimeField()),
                ('latest', models.PositiveSmallIntegerField(null=True)),
                ('latest_at', models.DateTimeField(null=True)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.clinic')),
                ('movement', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='treatments.movement')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='patients.patient')),
                ('therapist', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['clinic', 'therapist', 'first_at'], name='mobility_course_period')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('therapist__isnull', True)), fields=('patient', 'movement', 'side'), name='mobility_course_once'), models.UniqueConstraint(condition=models.Q(('therapist__isnull', False)), fields=('patient', 'movement', 'side', 'therapist'), name='mobility_course_once_per_therapist')],
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
        migrations.RunPython(erase_forwards, erase_backwards),
    ]
