"""Erasure after the retention period (sessions/erasure.py) must remove a patient's past states
too, or the history would keep what the law says to delete. Inside a transaction that sets
`clinic.erasure` (SET LOCAL), deleted rows leave no version and their versions may be deleted;
everywhere else the history stays append-only. The audit trail, which holds no health data,
is never erased."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_record_version() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('clinic.erasure', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO clinic_recordversion (table_name, row_id, operation, old_row, changed_at)
    VALUES (TG_TABLE_NAME, OLD.id, TG_OP, to_jsonb(OLD), now());
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION clinic_history_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('clinic.erasure', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('clinic.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the record history is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
DROP TRIGGER clinic_recordversion_append_only ON clinic_recordversion;
DROP TRIGGER clinic_recordversion_no_truncate ON clinic_recordversion;
CREATE TRIGGER clinic_recordversion_append_only
    BEFORE UPDATE OR DELETE ON clinic_recordversion
    FOR EACH ROW EXECUTE FUNCTION clinic_history_append_only();
CREATE TRIGGER clinic_recordversion_no_truncate
    BEFORE TRUNCATE ON clinic_recordversion
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_history_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0006_second_factor")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
