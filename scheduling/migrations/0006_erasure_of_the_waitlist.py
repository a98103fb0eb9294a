"""Patient erasure (clinic_erase_patient, PostgreSQL) as migration 0004 left it, plus the
waitlist: a patient's offers, then their entries, before the appointments both point at. Built
from 0004's text, so the two cannot drift apart."""

import importlib

from django.db import migrations

BOOK = importlib.import_module("scheduling.migrations.0004_erasure_of_appointments")
APPOINTMENTS = """        ['scheduling_appointment', 'patient_id = $1'],
"""
assert APPOINTMENTS in BOOK.ERASE, "clinic_erase_patient changed: place the waitlist's steps again"
ERASE = BOOK.ERASE.replace(
    APPOINTMENTS,
    """        ['scheduling_waitlistoffer',
         'entry_id IN (SELECT id FROM scheduling_waitlistentry WHERE patient_id = $1)'],
        ['scheduling_waitlistentry', 'patient_id = $1'],
""" + APPOINTMENTS,
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BOOK.ERASE, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_waitlist")]

    operations = [migrations.RunPython(forwards, backwards)]
