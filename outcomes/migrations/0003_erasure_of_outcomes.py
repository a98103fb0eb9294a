"""Patient erasure (clinic_erase_patient, PostgreSQL) as scheduling migration 0006 left it, plus
the outcome measures: a patient's questionnaire links, then the answers and the responses they
belong to, before the sessions a response may point at. Built from 0006's text, so the two
cannot drift apart."""

import importlib

from django.db import migrations

LAST = importlib.import_module("scheduling.migrations.0006_erasure_of_the_waitlist")
FOLLOW_UPS = """        ['treatments_followup', 'patient_id = $1'],
"""
assert FOLLOW_UPS in LAST.ERASE, "clinic_erase_patient changed: place the outcomes' steps again"
ERASE = LAST.ERASE.replace(
    FOLLOW_UPS,
    FOLLOW_UPS
    + """        ['outcomes_questionnairerequest', 'patient_id = $1'],
        ['outcomes_itemanswer',
         'response_id IN (SELECT id FROM outcomes_instrumentresponse WHERE patient_id = $1)'],
        ['outcomes_instrumentresponse', 'patient_id = $1'],
""",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ERASE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LAST.ERASE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_shipped_instruments"),
        ("scheduling", "0006_erasure_of_the_waitlist"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
