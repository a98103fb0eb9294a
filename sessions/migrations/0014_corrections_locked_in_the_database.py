"""A point correction is part of the record, held by PostgreSQL like the addendum it belongs to:
inserted once, never updated, deleted or truncated; patient erasure (clinic_erase_patient,
as migration 0012 left it) deletes a patient's corrections before their addenda and points. Then
the reports' derived rows are built with the code of today (see 0007)."""

from django.db import migrations

ERASE = """
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
REVOKE ALL ON FUNCTION clinic_erase_patient(bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION treatments_correction_locked() RETURNS trigger AS $$
BEGIN
    IF clinic_erasing(TG_RELID) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'a correction is part of the record: add another addendum (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER treatments_pointcorrection_locked BEFORE UPDATE OR DELETE
    ON treatments_pointcorrection FOR EACH ROW EXECUTE FUNCTION treatments_correction_locked();
CREATE TRIGGER treatments_pointcorrection_no_truncate BEFORE TRUNCATE
    ON treatments_pointcorrection FOR EACH STATEMENT EXECUTE FUNCTION treatments_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def build(apps, schema_editor):
    """The reports' derived rows of the records already there (formerly migration 0007's job,
    moved here because the code that builds them reads the corrections table)."""
    from sessions.summaries import summaries_refresh

    summaries_refresh(patient_ids=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS treatments_pointcorrection_locked ON treatments_pointcorrection;"
            "DROP TRIGGER IF EXISTS treatments_pointcorrection_no_truncate "
            "ON treatments_pointcorrection;"
            "DROP FUNCTION IF EXISTS treatments_correction_locked();",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0013_recording_as_therapists_expect")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(build, migrations.RunPython.noop),
    ]
