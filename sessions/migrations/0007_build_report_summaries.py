from django.db import migrations


def build(apps, schema_editor):
    """The derived rows of the records already there; services keep them in step from now on."""
    from sessions.summaries import summaries_refresh

    summaries_refresh(patient_ids=None)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0006_report_summaries"),
        ("patients", "0007_pain_courses"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
