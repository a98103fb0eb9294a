from django.db import migrations


def build(apps, schema_editor):
    """The derived rows of the records already there; services keep them in step from now on.
    Built by migration 0014 since (the code that builds them reads tables added later, which do
    not exist yet at this point of a fresh database)."""


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0006_report_summaries"),
        ("patients", "0007_pain_courses"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
