"""Two PostgreSQL roles (README, Security): an owner that migrates and owns every table, trigger
and the erasure function, and the application's role, which reads and writes records but owns
nothing, cannot TRUNCATE, cannot change or delete the audit trail or the record history, and
gets the triggers' escape hatches from nowhere. `migrate`, run as the owner with
DATABASE_APP_ROLE set, grants exactly this after every migration."""

from django.db.backends.base.base import BaseDatabaseWrapper

from .models import AuditChainLink, AuditEvent, AuditRetentionCut, RecordVersion

APPEND_ONLY = (AuditEvent, AuditChainLink, AuditRetentionCut, RecordVersion)


def app_role_grant(connection: BaseDatabaseWrapper, role: str) -> None:
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    app = quote(role)
    append_only = ", ".join(quote(model._meta.db_table) for model in APPEND_ONLY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        schema = quote(schema)
        for sql in (
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {app}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"REVOKE UPDATE, DELETE ON {append_only} FROM {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            f"GRANT EXECUTE ON FUNCTION clinic_erase_patient(bigint) TO {app}",
            "GRANT EXECUTE ON FUNCTION "
            f"clinic_merge_patient_rows(regclass, text, bigint, bigint) TO {app}",
            # The audit trail's months (clinic/partitions.py), run by beat as this role.
            f"GRANT EXECUTE ON FUNCTION clinic_audit_partition_month(date) TO {app}",
            f"GRANT EXECUTE ON FUNCTION clinic_audit_partition_drop(date, integer) TO {app}",
        ):
            cursor.execute(sql)
        # The role reaches the audit trail through its partitioned tables only; the partitions
        # made since the last migrate have no grant, and those made before lose theirs.
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits "
            "WHERE inhparent IN (%s::regclass, %s::regclass)",
            [AuditEvent._meta.db_table, AuditChainLink._meta.db_table],
        )
        for (partition,) in cursor.fetchall():
            cursor.execute(f"REVOKE ALL ON {quote(partition)} FROM {app}")


def grant_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: keep the application role's rights in step with the tables."""
    from django.conf import settings
    from django.db import connections

    if settings.DATABASE_APP_ROLE:
        app_role_grant(connections[using], settings.DATABASE_APP_ROLE)
