"""The trigger function that keeps clinical rows' past states in clinic_recordversion
(PostgreSQL). Each app attaches it to its clinical tables in its own migration; the version
table itself is append-only, like the audit trail."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_record_version() RETURNS trigger AS $$
BEGIN
    INSERT INTO clinic_recordversion (table_name, row_id, operation, old_row, changed_at)
    VALUES (TG_TABLE_NAME, OLD.id, TG_OP, to_jsonb(OLD), now());
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER clinic_recordversion_append_only
    BEFORE UPDATE OR DELETE ON clinic_recordversion
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
CREATE TRIGGER clinic_recordversion_no_truncate
    BEFORE TRUNCATE ON clinic_recordversion
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS clinic_recordversion_append_only ON clinic_recordversion;
DROP TRIGGER IF EXISTS clinic_recordversion_no_truncate ON clinic_recordversion;
DROP FUNCTION IF EXISTS clinic_record_version() CASCADE;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0004_record_version")]

    operations = [migrations.RunPython(forwards, backwards)]
