"""The erasure function once more, now that three migrations wrote it: treatments 0012 (merged
tombstones) after scheduling 0002 (appointments, reminders by patient) and 0004 (the waitlist).
This one holds all of them: derived tables, then every reminder by its patient, waitlist offers
and entries, appointments, follow-ups and the rest, tombstones, the patient."""

import importlib

from django.db import migrations

MERGE = importlib.import_module("sessions.migrations.0012_patient_merge")
START = "CREATE OR REPLACE FUNCTION clinic_erase_patient"
ERASE = MERGE.CREATE[MERGE.CREATE.index(START) :]
FOLLOW_UP_REMINDERS = (
    "['treatments_reminder',\n"
    "         'follow_up_id IN (SELECT id FROM treatments_followup WHERE patient_id = $1)'],"
)
assert FOLLOW_UP_REMINDERS in ERASE
ERASE = ERASE.replace(
    FOLLOW_UP_REMINDERS,
    "['treatments_reminder', 'patient_id = $1'],\n"
    "        ['scheduling_waitlistoffer',\n"
    "         'entry_id IN (SELECT id FROM scheduling_waitlistentry WHERE patient_id = $1)'],\n"
    "        ['scheduling_waitlistentry', 'patient_id = $1'],\n"
    "        ['scheduling_appointment', 'patient_id = $1'],",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(MERGE.CREATE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_waitlist"),
        ("treatments", "0012_patient_merge"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
