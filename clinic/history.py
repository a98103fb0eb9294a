"""Record history on SQLite, the embedded default: the same past states PostgreSQL keeps.

On PostgreSQL each app's migration attaches clinic's `clinic_record_version()` trigger function
to its clinical tables (clinic migration 0005). SQLite has no trigger functions, and Django
rebuilds an SQLite table (dropping its triggers) whenever a migration alters it, so after every
`migrate` each history table gets its triggers again here, written out for its columns as they
are now: a row as it was before an UPDATE that changed it, or a DELETE, as one JSON object.
tests/clinic/test_record_history.py checks that this list and PostgreSQL's triggers agree."""

from django.db import connections

HISTORY_TABLES = (
    "patients_patient",
    "patients_intakesubmission",
    "patients_painscore",
    "patients_functionalscore",
    "treatments_treatmentsession",
    "treatments_triggerpoint",
    "treatments_mobilitymeasurement",
    "treatments_addendum",
    "treatments_checkin",
    "plans_planofcare",
    "plans_plangoal",
    "plans_reassessmentreminder",
)
# The format Django stores datetimes in on SQLite (UTC).
NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _triggers(table: str, columns: list[str]) -> list[str]:
    q = _quoted(table)
    old_row = "json_object(" + ", ".join(f"'{c}', OLD.{_quoted(c)}" for c in columns) + ")"
    changed = " OR ".join(f"OLD.{_quoted(c)} IS NOT NEW.{_quoted(c)}" for c in columns)
    # Names from HISTORY_TABLES and the database's own catalogue; no value is interpolated.
    insert = (
        "INSERT INTO clinic_recordversion (table_name, row_id, operation, old_row, changed_at) "  # noqa: S608  # nosec B608
        f"VALUES ('{table}', OLD.id, '{{op}}', {old_row}, {NOW});"
    )
    return [
        f"DROP TRIGGER IF EXISTS {_quoted(table + '_history')}",
        f"DROP TRIGGER IF EXISTS {_quoted(table + '_history_delete')}",
        f"CREATE TRIGGER {_quoted(table + '_history')} AFTER UPDATE ON {q} FOR EACH ROW "
        f"WHEN {changed} BEGIN {insert.format(op='UPDATE')} END",
        f"CREATE TRIGGER {_quoted(table + '_history_delete')} AFTER DELETE ON {q} FOR EACH ROW "
        f"BEGIN {insert.format(op='DELETE')} END",
    ]


def sqlite_history_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: (re)attach the history triggers on SQLite."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in HISTORY_TABLES:
            if table not in existing or "clinic_recordversion" not in existing:
                continue
            description = connection.introspection.get_table_description(cursor, table)
            for statement in _triggers(table, [column.name for column in description]):
                cursor.execute(statement)
