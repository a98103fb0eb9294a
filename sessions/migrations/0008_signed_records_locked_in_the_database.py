"""What the model layer already promises, held by PostgreSQL itself, whoever writes:

- a signed session, its trigger points, range-of-motion rows and pain scores refuse UPDATE and
  DELETE, and no trigger point, ROM row or before/after pain score is added to it (a check-in's
  pain scores still arrive after signing); addenda are never changed or deleted;
- clinical tables refuse TRUNCATE (the test runner's flush, by the owner role, excepted);
- erasure after the retention period is `clinic_erase_patient(id)`, a SECURITY DEFINER function
  of the owner role: the one way to delete a patient's record and its history, for a patient
  whose retention has ended, with the escape hatches of clinic migration 0010 switched on only
  inside it. The application's role may call it and nothing more (clinic/db_roles.py)."""

from django.db import migrations

CLINICAL = [
    "treatments_treatmentsession", "treatments_triggerpoint", "treatments_mobilitymeasurement",
    "treatments_addendum", "treatments_checkin", "patients_patient", "patients_intakesubmission",
    "patients_painscore", "patients_functionalscore",
]

CREATE = """
CREATE OR REPLACE FUNCTION treatments_session_is_signed(session bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM treatments_treatmentsession WHERE id = session AND status = 'signed'
    )
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION treatments_signed_locked() RETURNS trigger AS $$
DECLARE
    locked boolean;
BEGIN
    IF clinic_erasing(TG_RELID) THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    IF TG_TABLE_NAME = 'treatments_addendum' THEN
        locked := TG_OP <> 'INSERT';
    ELSIF TG_TABLE_NAME = 'treatments_treatmentsession' THEN
        locked := TG_OP <> 'INSERT' AND OLD.status = 'signed';
    ELSIF TG_TABLE_NAME = 'patients_painscore' AND TG_OP = 'INSERT' THEN
        locked := NEW.source IN ('pre_session', 'post_session')
                  AND treatments_session_is_signed(NEW.session_id);
    ELSIF TG_OP = 'INSERT' THEN
        locked := treatments_session_is_signed(NEW.session_id);
    ELSE
        locked := treatments_session_is_signed(OLD.session_id)
                  OR (TG_OP = 'UPDATE' AND treatments_session_is_signed(NEW.session_id));
    END IF;
    IF locked THEN
        RAISE EXCEPTION 'a signed note is locked: correct it with an addendum (% on % refused)',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION treatments_no_truncate() RETURNS trigger AS $$
BEGIN
    IF clinic_truncate_allowed(TG_RELID) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'clinical records are never truncated (% refused)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

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
        ['treatments_addendum', of_sessions],
        ['treatments_triggerpoint', of_sessions],
        ['treatments_mobilitymeasurement', 'patient_id = $1'],
        ['patients_painscore', 'patient_id = $1'],
        ['patients_functionalscore', 'patient_id = $1'],
        ['treatments_treatmentsession', 'patient_id = $1'],
        ['patients_intakesubmission', 'patient_id = $1'],
        ['patients_intakeinvitation', 'patient_id = $1'],
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in CLINICAL:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION treatments_no_truncate()",
            params=None,
        )
    for table in (
        "treatments_treatmentsession", "treatments_triggerpoint",
        "treatments_mobilitymeasurement", "treatments_addendum", "patients_painscore",
    ):
        schema_editor.execute(
            f"CREATE TRIGGER {table}_signed_locked BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION treatments_signed_locked()",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CLINICAL:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_signed_locked ON {table}")
    schema_editor.execute(
        "DROP FUNCTION IF EXISTS clinic_erase_patient(bigint); "
        "DROP FUNCTION IF EXISTS treatments_no_truncate(); "
        "DROP FUNCTION IF EXISTS treatments_signed_locked(); "
        "DROP FUNCTION IF EXISTS treatments_session_is_signed(bigint);"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0007_build_report_summaries"),
        ("patients", "0007_pain_courses"),
        ("clinic", "0010_owner_only_escape_hatches"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
