"""A signed plan of care is held by PostgreSQL like a signed note (treatments 0008, 0012):

- a plan that is no longer a draft refuses DELETE, and any UPDATE except its own transitions
  (active -> superseded or discharged, with the discharge's columns); its goals refuse INSERT,
  UPDATE and DELETE once the plan is signed; a re-assessment reminder is a row the sweep
  updates, never a locked one;
- the past state of every plan, goal and reminder row stays in clinic_recordversion;
- the tables refuse TRUNCATE; a patient merge moves plans through `clinic_merge_patient_rows`
  (its UPDATE changes only the patient column, let through as for sessions);
- patient erasure (clinic_erase_patient, as outcomes 0005 left it) deletes a patient's
  reminders, goals and plans (every version) before the patient. Built from outcomes 0005's text,
  so the two cannot drift apart."""

import importlib

from django.db import migrations

LAST = importlib.import_module("outcomes.migrations.0005_erasure_of_questionnaire_links")
ANCHOR = """        ['treatments_checkin', of_sessions],
"""
assert ANCHOR in LAST.ERASE, "clinic_erase_patient changed: place the plans' steps again"
ERASE = LAST.ERASE.replace(
    ANCHOR,
    """        ['plans_reassessmentreminder',
         'plan_id IN (SELECT id FROM plans_planofcare WHERE patient_id = $1)'],
        ['plans_plangoal', 'plan_id IN (SELECT id FROM plans_planofcare WHERE patient_id = $1)'],
        -- Every version at once: the link to the version replaced is checked at the end.
        ['plans_planofcare', 'patient_id = $1'],
"""
    + ANCHOR,
)

HISTORY = ["plans_planofcare", "plans_plangoal", "plans_reassessmentreminder"]

LOCK = """
CREATE OR REPLACE FUNCTION plans_plan_is_signed(plan bigint) RETURNS boolean AS $$
    SELECT EXISTS (SELECT 1 FROM plans_planofcare WHERE id = plan AND status <> 'draft')
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION plans_signed_locked() RETURNS trigger AS $$
DECLARE
    locked boolean;
    merging text;
    transition CONSTANT text[] := ARRAY[
        'status', 'discharged_at', 'discharged_by_id', 'discharge_reason', 'discharge_note',
        'outcome_summary', 'updated_at'
    ];
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
    IF TG_TABLE_NAME = 'plans_planofcare' THEN
        IF TG_OP = 'INSERT' THEN
            locked := false;
        ELSIF TG_OP = 'DELETE' THEN
            locked := OLD.status <> 'draft';
        ELSE
            locked := OLD.status <> 'draft' AND NOT (
                OLD.status = 'active' AND NEW.status IN ('superseded', 'discharged')
                AND (to_jsonb(NEW) - transition) = (to_jsonb(OLD) - transition)
            );
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        locked := plans_plan_is_signed(NEW.plan_id);
    ELSE
        locked := plans_plan_is_signed(OLD.plan_id)
                  OR (TG_OP = 'UPDATE' AND plans_plan_is_signed(NEW.plan_id));
    END IF;
    IF locked THEN
        RAISE EXCEPTION 'a signed plan of care is locked: make a new version (% on % refused)',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN coalesce(NEW, OLD);
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER plans_planofcare_signed_locked BEFORE INSERT OR UPDATE OR DELETE
    ON plans_planofcare FOR EACH ROW EXECUTE FUNCTION plans_signed_locked();
CREATE TRIGGER plans_plangoal_signed_locked BEFORE INSERT OR UPDATE OR DELETE
    ON plans_plangoal FOR EACH ROW EXECUTE FUNCTION plans_signed_locked();
"""
UNLOCK = """
DROP TRIGGER IF EXISTS plans_planofcare_signed_locked ON plans_planofcare;
DROP TRIGGER IF EXISTS plans_plangoal_signed_locked ON plans_plangoal;
DROP FUNCTION IF EXISTS plans_signed_locked();
DROP FUNCTION IF EXISTS plans_plan_is_signed(bigint);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(LOCK, params=None)
    for table in HISTORY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_history AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION clinic_record_version(); "
            f"CREATE TRIGGER {table}_history_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION clinic_record_version(); "
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION treatments_no_truncate();",
            params=None,
        )
    schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(LAST.ERASE, params=None)
    for table in HISTORY:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_history ON {table}; "
            f"DROP TRIGGER IF EXISTS {table}_history_delete ON {table}; "
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            params=None,
        )
    schema_editor.execute(UNLOCK, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("outcomes", "0005_erasure_of_questionnaire_links"),
        ("treatments", "0016_session_patient_time_covers_therapist"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
