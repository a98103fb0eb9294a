"""The audit trail partitioned by month on PostgreSQL (issue 19, goal 6): one row per read makes
it the fastest-growing table, and a month past retention should go as one DROP, not as a DELETE
of millions of rows that the append-only trigger refuses anyway.

- `clinic_auditevent` becomes RANGE-partitioned on `at`; its key becomes (id, at) and its unique
  MAC (mac, at), as PostgreSQL requires the partition key in both. The identity sequence
  carries on from the highest id.
- `clinic_auditchainlink` is partitioned the same way on its event's time (`event_at`, new), and
  points at its event by (event_id, event_at): a foreign key to a partitioned table must name
  its whole key. The chain itself (seq, previous, MAC over the event's MAC) is unchanged, so the
  links written before keep verifying.
- Partitions are made by the owner's `clinic_audit_partition_month(month)` (SECURITY DEFINER, so
  the application's role running beat can call it and still owns nothing); a DEFAULT partition
  takes any row outside the months made, and the month's function moves such rows into the new
  month when it is made. `clinic_audit_partition_drop(month, floor_months)` drops a month only
  past the longest retention and when no row in it names a patient whose record is still kept,
  and only once its `AuditRetentionCut` is recorded.
- Every partition keeps the append-only triggers: the row trigger is cloned by PostgreSQL, the
  TRUNCATE one is added to each partition by the month function.

SQLite keeps plain tables: the new column and constraint only."""

import django.db.models.deletion
from django.db import migrations, models

AHEAD = 3  # months made ahead by the migration; the beat job keeps AUDIT_PARTITION_MONTHS_AHEAD

FUNCTIONS = """
CREATE OR REPLACE FUNCTION clinic_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND clinic_truncate_allowed(TG_RELID) THEN
        RETURN NULL;
    END IF;
    -- Rows that fell into a DEFAULT partition move into their month when it is made, by the
    -- owner's month function only (the setting is set on that function alone).
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME LIKE '%\\_default' ESCAPE '\\'
       AND coalesce(current_setting('clinic.audit_repartition', true), '') = 'on'
       AND clinic_role_owns(TG_RELID) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION clinic_audit_partition_month(month date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
SET clinic.audit_repartition = 'on' AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    lo timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    events text := 'clinic_auditevent_p' || to_char(first_day, 'YYYY_MM');
    links text := 'clinic_auditchainlink_p' || to_char(first_day, 'YYYY_MM');
BEGIN
    IF to_regclass(events) IS NOT NULL THEN
        RETURN false;
    END IF;
    -- A month cannot be attached while the DEFAULT partition holds rows of it: they move.
    -- The links' key checks run as each statement ends: deferred to commit, PostgreSQL would
    -- look for a moved event in the partition it left and refuse the move.
    SET CONSTRAINTS ALL IMMEDIATE;
    CREATE TEMP TABLE clinic_moving_events ON COMMIT DROP AS
        SELECT * FROM clinic_auditevent_default WHERE at >= lo AND at < hi;
    CREATE TEMP TABLE clinic_moving_links ON COMMIT DROP AS
        SELECT * FROM clinic_auditchainlink_default WHERE event_at >= lo AND event_at < hi;
    DELETE FROM clinic_auditchainlink_default WHERE event_at >= lo AND event_at < hi;
    DELETE FROM clinic_auditevent_default WHERE at >= lo AND at < hi;
    EXECUTE format('CREATE TABLE %I PARTITION OF clinic_auditevent FOR VALUES FROM (%L) TO (%L)',
                   events, lo, hi);
    EXECUTE format('CREATE TABLE %I PARTITION OF clinic_auditchainlink '
                   'FOR VALUES FROM (%L) TO (%L)', links, lo, hi);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                   'EXECUTE FUNCTION clinic_audit_append_only()', events || '_no_truncate', events);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                   'EXECUTE FUNCTION clinic_audit_append_only()', links || '_no_truncate', links);
    INSERT INTO clinic_auditevent SELECT * FROM clinic_moving_events;
    INSERT INTO clinic_auditchainlink SELECT * FROM clinic_moving_links;
    DROP TABLE clinic_moving_events, clinic_moving_links;
    SET CONSTRAINTS ALL DEFERRED;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION clinic_audit_partition_drop(month date, floor_months integer)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    first_day date := date_trunc('month', month)::date;
    hi timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    events text := 'clinic_auditevent_p' || to_char(first_day, 'YYYY_MM');
    links text := 'clinic_auditchainlink_p' || to_char(first_day, 'YYYY_MM');
    kept integer := greatest(
        floor_months, (SELECT coalesce(max(retention_years), 0) * 12 FROM clinic_clinic));
    named_kept boolean;
BEGIN
    IF to_regclass(events) IS NULL THEN
        RETURN false;
    END IF;
    IF hi > now() - make_interval(months => kept) THEN
        RAISE EXCEPTION 'audit month % is inside the retention of % months', first_day, kept
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM clinic_auditretentioncut WHERE clinic_auditretentioncut.month
                   = first_day) THEN
        RAISE EXCEPTION 'audit month % has no retention cut recorded', first_day
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The trail of a record is kept as long as the record: records are kept years after the
    -- last visit, so a patient seen this year keeps every month that names them.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I e JOIN patients_patient p ON p.id = '
                   'e.patient_id)', events) INTO named_kept;
    IF named_kept THEN
        RAISE EXCEPTION 'audit month % names patients whose records are kept', first_day
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ALTER TABLE clinic_auditchainlink DETACH PARTITION %I', links);
    EXECUTE format('DROP TABLE %I', links);
    EXECUTE format('ALTER TABLE clinic_auditevent DETACH PARTITION %I', events);
    EXECUTE format('DROP TABLE %I', events);
    RETURN true;
END
$$;
"""

PRIVILEGED = ("clinic_audit_partition_month(date)", "clinic_audit_partition_drop(date, integer)")

CONVERT = """
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE clinic_auditchainlink RENAME TO clinic_auditchainlink_plain;
ALTER TABLE clinic_auditevent RENAME TO clinic_auditevent_plain;

CREATE TABLE clinic_auditevent (LIKE clinic_auditevent_plain INCLUDING DEFAULTS INCLUDING IDENTITY)
    PARTITION BY RANGE (at);
ALTER TABLE clinic_auditevent ADD PRIMARY KEY (id, at);
CREATE TABLE clinic_auditchainlink (
    seq bigint NOT NULL,
    previous varchar(64) NOT NULL,
    mac varchar(64) NOT NULL,
    event_id bigint NOT NULL,
    event_at timestamptz NOT NULL,
    PRIMARY KEY (seq, event_at),
    CONSTRAINT clinic_auditchainlink_event_once UNIQUE (event_id, event_at),
    CONSTRAINT clinic_auditchainlink_event_fk FOREIGN KEY (event_id, event_at)
        REFERENCES clinic_auditevent (id, at) DEFERRABLE INITIALLY DEFERRED
) PARTITION BY RANGE (event_at);
CREATE TABLE clinic_auditevent_default PARTITION OF clinic_auditevent DEFAULT;
CREATE TABLE clinic_auditchainlink_default PARTITION OF clinic_auditchainlink DEFAULT;

CREATE TRIGGER clinic_auditevent_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
CREATE TRIGGER clinic_auditchainlink_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditchainlink
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
"""

TRUNCATE_TRIGGERS = """
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_audit_append_only();
"""

FILL = """
SELECT clinic_audit_partition_month(month::date) FROM generate_series(
    date_trunc('month', least(
        (SELECT min(at) FROM clinic_auditevent_plain), now()) AT TIME ZONE 'UTC'),
    date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => %s),
    interval '1 month') AS month;
INSERT INTO clinic_auditevent SELECT * FROM clinic_auditevent_plain;
INSERT INTO clinic_auditchainlink (seq, previous, mac, event_id, event_at)
    SELECT l.seq, l.previous, l.mac, l.event_id, e.at
    FROM clinic_auditchainlink_plain l JOIN clinic_auditevent_plain e ON e.id = l.event_id;
SELECT setval(pg_get_serial_sequence('clinic_auditevent', 'id'),
              coalesce((SELECT max(id) FROM clinic_auditevent), 0) + 1, false);
DROP TABLE clinic_auditchainlink_plain;
DROP TABLE clinic_auditevent_plain;
SET CONSTRAINTS ALL IMMEDIATE;

ALTER TABLE clinic_auditevent ADD CONSTRAINT audit_mac_once UNIQUE (mac, at);
CREATE INDEX audit_clinic_time ON clinic_auditevent (clinic_id, at);
CREATE INDEX audit_patient_time ON clinic_auditevent (patient_id, at);
CREATE INDEX audit_actor_time ON clinic_auditevent (actor_id, at);
ALTER TABLE clinic_auditevent ADD CONSTRAINT clinic_auditevent_actor_id_5c6b5919_fk_auth_user_id
    FOREIGN KEY (actor_id) REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE clinic_auditevent ADD CONSTRAINT clinic_auditevent_clinic_id_1f8a790d_fk_clinic_clinic_id
    FOREIGN KEY (clinic_id) REFERENCES clinic_clinic (id) DEFERRABLE INITIALLY DEFERRED;
"""

CUT_APPEND_ONLY = """
CREATE TRIGGER clinic_auditretentioncut_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditretentioncut
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
CREATE TRIGGER clinic_auditretentioncut_no_truncate
    BEFORE TRUNCATE ON clinic_auditretentioncut
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_audit_append_only();
"""

# Back to the plain tables of migration 0015, rows kept, names as Django made them there.
BACK = """
SET CONSTRAINTS ALL IMMEDIATE;
CREATE TABLE clinic_auditevent_plain (LIKE clinic_auditevent INCLUDING DEFAULTS INCLUDING IDENTITY);
INSERT INTO clinic_auditevent_plain SELECT * FROM clinic_auditevent;
CREATE TABLE clinic_auditchainlink_plain (
    seq bigint NOT NULL, previous varchar(64) NOT NULL, mac varchar(64) NOT NULL,
    event_id bigint NOT NULL);
INSERT INTO clinic_auditchainlink_plain SELECT seq, previous, mac, event_id
    FROM clinic_auditchainlink;
DROP TABLE clinic_auditchainlink;
DROP TABLE clinic_auditevent;
DROP FUNCTION clinic_audit_partition_month(date);
DROP FUNCTION clinic_audit_partition_drop(date, integer);
ALTER TABLE clinic_auditevent_plain RENAME TO clinic_auditevent;
ALTER TABLE clinic_auditchainlink_plain RENAME TO clinic_auditchainlink;
SELECT setval(pg_get_serial_sequence('clinic_auditevent', 'id'),
              coalesce((SELECT max(id) FROM clinic_auditevent), 0) + 1, false);
ALTER TABLE clinic_auditevent ADD CONSTRAINT clinic_auditevent_pkey PRIMARY KEY (id);
ALTER TABLE clinic_auditevent ADD CONSTRAINT audit_mac_once UNIQUE (mac);
CREATE INDEX audit_clinic_time ON clinic_auditevent (clinic_id, at);
CREATE INDEX audit_patient_time ON clinic_auditevent (patient_id, at);
CREATE INDEX audit_actor_time ON clinic_auditevent (actor_id, at);
ALTER TABLE clinic_auditevent ADD CONSTRAINT clinic_auditevent_actor_id_5c6b5919_fk_auth_user_id
    FOREIGN KEY (actor_id) REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE clinic_auditevent ADD CONSTRAINT clinic_auditevent_clinic_id_1f8a790d_fk_clinic_clinic_id
    FOREIGN KEY (clinic_id) REFERENCES clinic_clinic (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE clinic_auditchainlink ADD CONSTRAINT clinic_auditchainlink_pkey PRIMARY KEY (seq);
ALTER TABLE clinic_auditchainlink ADD CONSTRAINT clinic_auditchainlink_event_id_key
    UNIQUE (event_id);
ALTER TABLE clinic_auditchainlink
    ADD CONSTRAINT clinic_auditchainlink_event_id_3091a2c9_fk_clinic_auditevent_id
    FOREIGN KEY (event_id) REFERENCES clinic_auditevent (id) DEFERRABLE INITIALLY DEFERRED;
CREATE TRIGGER clinic_auditevent_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
CREATE TRIGGER clinic_auditchainlink_append_only
    BEFORE UPDATE OR DELETE ON clinic_auditchainlink
    FOR EACH ROW EXECUTE FUNCTION clinic_audit_append_only();
"""


def _field(name, field):
    field.set_attributes_from_name(name)
    return field


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)
        # The owner's functions look names up in this schema first and in the caller's
        # temporary tables last: a caller's temporary `patients_patient` or cut table must
        # not stand in for the real ones in the checks.
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
        for function in PRIVILEGED:
            schema_editor.execute(
                f"ALTER FUNCTION {function} SET search_path = "
                f"{connection.ops.quote_name(schema)}, pg_temp",
                params=None,
            )
        schema_editor.execute(CONVERT, params=None)
        for table in (
            "clinic_auditevent", "clinic_auditchainlink",
            "clinic_auditevent_default", "clinic_auditchainlink_default",
        ):  # fmt: skip
            schema_editor.execute(TRUNCATE_TRIGGERS.format(table=table), params=None)
        schema_editor.execute(FILL, params=[AHEAD])
        schema_editor.execute(CUT_APPEND_ONLY, params=None)
        return
    # SQLite (and any other engine): plain tables, the column filled from the events.
    event, link = apps.get_model("clinic", "AuditEvent"), apps.get_model("clinic", "AuditChainLink")
    nullable = _field("event_at", models.DateTimeField(null=True))
    schema_editor.add_field(link, nullable)
    schema_editor.execute(
        "UPDATE clinic_auditchainlink SET event_at = (SELECT at FROM clinic_auditevent "
        "WHERE clinic_auditevent.id = clinic_auditchainlink.event_id)",
        params=None,
    )
    schema_editor.alter_field(link, nullable, _field("event_at", models.DateTimeField()))
    schema_editor.remove_constraint(
        event, models.UniqueConstraint(fields=["mac"], name="audit_mac_once")
    )
    schema_editor.add_constraint(
        event, models.UniqueConstraint(fields=["mac", "at"], name="audit_mac_once")
    )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(BACK, params=None)
        for table in ("clinic_auditevent", "clinic_auditchainlink"):
            schema_editor.execute(TRUNCATE_TRIGGERS.format(table=table), params=None)
        return
    event, link = apps.get_model("clinic", "AuditEvent"), apps.get_model("clinic", "AuditChainLink")
    schema_editor.remove_constraint(
        event, models.UniqueConstraint(fields=["mac", "at"], name="audit_mac_once")
    )
    schema_editor.add_constraint(
        event, models.UniqueConstraint(fields=["mac"], name="audit_mac_once")
    )
    # `apps` is the state before 0016 here, without the column: drop it by name.
    schema_editor.execute(f"ALTER TABLE {link._meta.db_table} DROP COLUMN event_at", params=None)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0015_audit_event_indexes_it_uses")]

    operations = [
        migrations.CreateModel(
            name="AuditRetentionCut",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(unique=True)),
                ("at", models.DateTimeField()),
                ("events", models.BigIntegerField()),
                ("runs", models.JSONField()),
                ("mac", models.CharField(max_length=64)),
            ],
            options={"ordering": ["month"]},
        ),  # fmt: skip
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="auditchainlink",
                    name="event_at",
                    field=models.DateTimeField(),
                    preserve_default=False,
                ),
                migrations.AlterField(
                    model_name="auditchainlink",
                    name="event",
                    field=models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="chain_link",
                        to="clinic.auditevent",
                    ),
                ),
                migrations.RemoveConstraint(model_name="auditevent", name="audit_mac_once"),
                migrations.AddConstraint(
                    model_name="auditevent",
                    constraint=models.UniqueConstraint(fields=("mac", "at"), name="audit_mac_once"),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
