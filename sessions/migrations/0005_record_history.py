"""Keep the past state of every treatments clinical row on UPDATE and DELETE (PostgreSQL; the trigger
function is clinic's, see clinic migration 0005). Unchanged updates leave nothing."""

from django.db import migrations

TABLES = ['treatments_treatmentsession', 'treatments_triggerpoint', 'treatments_mobilitymeasurement', 'treatments_addendum', 'treatments_checkin']


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_history AFTER UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION clinic_record_version(); "
            f"CREATE TRIGGER {table}_history_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION clinic_record_version();",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_history ON {table}; "
            f"DROP TRIGGER IF EXISTS {table}_history_delete ON {table};",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("treatments", "0004_reminder_policy_leases_and_answers"), ("clinic", "0005_record_history_trigger")]

    operations = [migrations.RunPython(forwards, backwards)]
