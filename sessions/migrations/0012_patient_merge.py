"""Merging a duplicate patient moves every row that points at it, signed notes included
(patients.services.patient_merge). The signed-note lock of migration 0008 stays whole for
everything else; the one way through it is `clinic_merge_patient_rows`, a SECURITY DEFINER
function of the owner role, like `clinic_erase_patient`:

- it moves one table's patient column from a duplicate to its survivor, and only from a
  patient already recorded as merged into that survivor (the tombstone, same clinic), and only
  along a foreign key to patients_patient;
- while it runs, `clinic.merging` names that column, and the lock lets through an UPDATE that
  changes nothing but it. As with `clinic.erasure`, the setting counts only for the role that
  owns the table (clinic migration 0010), so the application's role gets nothing by setting it.

Erasure deletes the patient's merged tombstones before the patient (they point at it)."""

import importlib

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_merging_column(rel oid) RETURNS text AS $$
    SELECT CASE WHEN clinic_role_owns(rel)
                THEN coalesce(current_setting('clinic.merging', true), '') ELSE '' END
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION treatments_signed_locked() RETURNS trigger AS $$
DECLARE
    locked boolean;
    merging text;
BEGIN
    IF clinic_erasing(TG_RELID) THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        merging := clinic_merging_column(TG_RELID);
        IF merging <> '' AND (to_jsonb(NEW) - merging) = (to_jsonb(OLD) - merging) THEN
            RETURN NEW;
        END IF;
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

CREATE OR REPLACE FUNCTION clinic_merge_patient_rows(
    target regclass, col text, merged bigint, survivor bigint
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    moved bigint;
BEGIN
    PERFORM 1 FROM patients_patient m JOIN patients_patient s ON s.id = survivor
     WHERE m.id = merged AND m.merged_into_id = survivor AND m.clinic_id = s.clinic_id
       AND s.merged_into_id IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'patient % is not merged into patient %', merged, survivor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'f' AND c.conrelid = target AND cardinality(c.conkey) = 1
       AND c.confrelid = 'patients_patient'::regclass AND a.attname = col;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%.% does not point at a patient', target, col
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('clinic.merging', col, true);
    EXECUTE format('UPDATE %s SET %I = $2 WHERE %I = $1', target, col, col)
        USING merged, survivor;
    GET DIAGNOSTICS moved = ROW_COUNT;
    PERFORM set_config('clinic.merging', '', true);
    RETURN moved;
END
$$;
REVOKE ALL ON FUNCTION clinic_merge_patient_rows(regclass, text, bigint, bigint) FROM PUBLIC;

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
"""

DROP = """
DROP FUNCTION IF EXISTS clinic_merge_patient_rows(regclass, text, bigint, bigint);
DROP FUNCTION IF EXISTS clinic_merging_column(oid);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # The lock and the erasure as migration 0008 wrote them, then without the merge.
        before = importlib.import_module(
            "sessions.migrations.0008_signed_records_locked_in_the_database"
        )
        schema_editor.execute(before.CREATE, params=None)
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0011_scheduling_models_leave"),
        ("patients", "0009_patient_registration"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
