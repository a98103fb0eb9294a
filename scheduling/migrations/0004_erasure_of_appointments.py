"""Patient erasure (clinic_erase_patient, PostgreSQL) as treatments migration 0015 left it, plus
the appointment book: every reminder of the patient (by its patient: appointments' too), then
their appointments, before the follow-ups and sessions they point at. Built from 0015's text,
so the two cannot drift apart."""

import importlib

from django.db import migrations

LAST = importlib.import_module("sessions.migrations.0015_mobility_course")
BEFORE = LAST.ERASE_PATIENT
REMINDERS = """        ['treatments_reminder',
         'follow_up_id IN (SELECT id FROM treatments_followup WHERE patient_id = $1)'],
"""
assert REMINDERS in BEFORE, "clinic_erase_patient changed: place the appointments' step again"
ERASE = BEFORE.replace(
    REMINDERS,
    """        ['treatments_reminder', 'patient_id = $1'],
        ['scheduling_appointment', 'patient_id = $1'],
""",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_appointments_from_follow_ups"),
        ("treatments", "0015_mobility_course"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
