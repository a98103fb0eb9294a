"""The ROM report's derived rows (`MobilityCourse`), built for the measurements already there
(services keep them in step from now on), and the erasure function deletes them with the
patient, as it does the other derived rows (and `PsfsCourse`, patients migration 0010)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

NEW_DELETES = """    DELETE FROM patients_psfscourse WHERE patient_id = patient;
    DELETE FROM treatments_mobilitycourse WHERE patient_id = patient;
"""

ERASE_PATIENT = """
CREATE OR REPLACE FUNCTION clinic_erase_patient(patient bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT SET clinic.erasure = 'on' AS $$
DECLARE
    step text[];
    gone bigint[];
    of_sessions CONSTANT text :=
        'session_id IN (SELECT id FROM treatments_treatmentsession WHERE patient_id = $1)';
BEGIN
    PERFORM 1 FROM patients_patient
     WHERE id = patient AND erasure_requested_at IS NOT NULL AND erase_after <= current_date
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'patient % is not due for erasure', patient
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The report tables derived from the record (no history of their own) go first.
    DELETE FROM treatments_triggerpointvisit WHERE patient_id = patient;
    DELETE FROM treatments_sessionpain WHERE patient_id = patient;
    DELETE FROM patients_paincourse WHERE patient_id = patient;
    DELETE FROM patients_psfscourse WHERE patient_id = patient;
    DELETE FROM treatments_mobilitycourse WHERE patient_id = patient;
    -- Then children before parents: every clinical foreign key refuses to lose its parent.
    FOREACH step SLICE 1 IN ARRAY ARRAY[
        ['treatments_reminder',
         'follow_up_id IN (SELECT id FROM treatments_followup WHERE patient_id = $1)'],
        ['treatments_followup', 'patient_id = $1'],
        ['treatments_checkin', of_sessions],
        ['treatments_pointcorrection',
         'addendum_id IN (SELECT id FROM treatments_addendum WHERE ' || of_sessions || ')'],
        ['treatments_addendum', of_sessions],
        ['treatments_triggerpoint', of_sessions],
        ['treatments_mobilitymeasurement', 'patient_id = $1'],
        ['patients_painscore', 'patient_id = $1'],
        ['patients_functionalscore', 'patient_id = $1'],
        ['treatments_treatmentsession', 'patient_id = $1'],
        ['patients_intakesubmission', 'patient_id = $1'],
        ['patients_intakeinvitation', 'patient_id = $1'],
        -- Duplicates merged into the patient: tombstones whose rows it already holds.
        ['patients_patient', 'merged_into_id = $1'],
        ['patients_patient', 'id = $1']
    ] LOOP
        EXECUTE format(
            'WITH gone AS (DELETE FROM %I WHERE %s RETURNING id) SELECT array_agg(id) FROM gone',
            step[1], step[2]
        ) INTO gone USING patient;
        DELETE FROM clinic_recordversion WHERE table_name = step[1] AND row_id = ANY(gone);
    END LOOP;
END
$$;
"""


def build(apps, schema_editor):
    from sessions.summaries import mobility_courses_refresh

    mobility_courses_refresh(patient_ids=None)


def erase_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE_PATIENT, params=None)


def erase_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The function as 0014 left it: without the two tables added here.
        before = ERASE_PATIENT.replace(NEW_DELETES, "")
        schema_editor.execute(before, params=None)


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
