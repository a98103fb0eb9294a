"""The escape hatches of the append-only tables answer only to the role that owns them.

Before, any connection could `SET LOCAL clinic.allow_audit_truncate = on` and empty the audit
trail, or `SET LOCAL clinic.erasure = on` and delete history without a trace. Now both settings
count only for a role that owns the table (the owner role that migrates; README: two database
roles), so the application's own role gets nothing from them: erasure reaches it through the
owner's SECURITY DEFINER function (treatments migration 0008). The chain's links are
append-only like the events."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_role_owns(rel oid) RETURNS boolean AS $$
    SELECT pg_has_role(current_user, c.relowner, 'MEMBER') FROM pg_class c WHERE c.oid = rel
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION clinic_erasing(rel oid) RETURNS boolean AS $$
    SELECT coalesce(current_setting('clinic.erasure', true), '') = 'on' AND clinic_role_owns(rel)
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION clinic_truncate_allowed(rel oid) RETURNS boolean AS $$
    SELECT coalesce(current_setting('clinic.allow_audit_truncate', true), '') = 'on'
           AND clinic_role_owns(rel)
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION clinic_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND clinic_truncate_allowed(TG_RELID) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION clinic_history_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND clinic_erasing(TG_RELID) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'TRUNCATE' AND clinic_truncate_allowed(TG_RELID) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the record history is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION clinic_record_version() RETURNS trigger AS $$
BEGIN
    IF clinic_erasing(TG_RELID) THEN
        RETURN NULL;
    END IF;
    INSERT INTO clinic_recordversion (table_name, row_id, operation, old_row, changed_at)
    VALUES (TG_TABLE_NAME, OLD.id, TG_OP, to_jsonb(OLD), now());
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER clinic_auditchainlink_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditchainlink
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
CREATE TRIGGER clinic_auditchainlink_no_truncate
    BEFORE TRUNCATE ON clinic_auditchainlink
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_audit_append_only();
"""


# Going back: the hatches answer to a setting again, as in migrations 0003 and 0007.
DROP = """
DROP TRIGGER IF EXISTS clinic_auditchainlink_append_only ON clinic_auditchainlink;
DROP TRIGGER IF EXISTS clinic_auditchainlink_no_truncate ON clinic_auditchainlink;
CREATE OR REPLACE FUNCTION clinic_erasing(rel oid) RETURNS boolean AS $$
    SELECT coalesce(current_setting('clinic.erasure', true), '') = 'on'
$$ LANGUAGE sql STABLE;
CREATE OR REPLACE FUNCTION clinic_truncate_allowed(rel oid) RETURNS boolean AS $$
    SELECT coalesce(current_setting('clinic.allow_audit_truncate', true), '') = 'on'
$$ LANGUAGE sql STABLE;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0009_audit_keyed_chain")]

    operations = [migrations.RunPython(forwards, backwards)]
