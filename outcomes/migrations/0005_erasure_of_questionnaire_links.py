"""Patient erasure (clinic_erase_patient, PostgreSQL) as migration 0003 left it, with the
questionnaire links erased before the follow-ups their reminders belong to (0004 gave each link
its follow-up). Built from 0003's text, so the two cannot drift apart."""

import importlib

from django.db import migrations

LAST = importlib.import_module("outcomes.migrations.0003_erasure_of_outcomes")
FOLLOW_UPS = """        ['treatments_followup', 'patient_id = $1'],
"""
REQUESTS = """        ['outcomes_questionnairerequest', 'patient_id = $1'],
"""
assert FOLLOW_UPS + REQUESTS in LAST.ERASE, "clinic_erase_patient changed: place the links again"
ERASE = LAST.ERASE.replace(FOLLOW_UPS + REQUESTS, REQUESTS + FOLLOW_UPS)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LAST.ERASE, params=None)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0004_questionnaire_follow_up")]

    operations = [migrations.RunPython(forwards, backwards)]
