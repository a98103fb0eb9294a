"""The PSFS report's derived rows (`PsfsCourse`), built for the scores already there; the
services and `FunctionalScore.save` keep them in step from now on."""

import django.db.models.deletion
from django.db import migrations, models


def build(apps, schema_editor):
    from patients.summaries import psfs_courses_refresh

    psfs_courses_refresh(patient_ids=None)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0011_sign_in_guards_and_api_tokens'),
        ('patients', '0009_patient_registration'),
    ]

    operations = [
        migrations.CreateModel(
            name='PsfsCourse',
            fields=[
                ('patient', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='patients.patient')),
                ('baseline', models.DecimalField(decimal_places=4, max_digits=6)),
                ('baseline_at', models.DateTimeField()),
                ('latest', models.DecimalField(decimal_places=4, max_digits=6, null=True)),
                ('latest_at', models.DateTimeField(null=True)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinic.clinic')),
            ],
            options={
                'indexes': [models.Index(fields=['clinic', 'baseline_at'], name='psfs_course_period')],
            },
        ),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
