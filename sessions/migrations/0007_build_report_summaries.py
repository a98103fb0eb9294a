from django.db import migrations


def build(apps, schema_editor):
    """The derived rows of the records already there; services keep them in step from now on.
    Only the three tables of 0006: later tables are built by the migrations that add them."""
    from patients.summaries import pain_courses_refresh
    from sessions import summaries

    pain_courses_refresh(patient_ids=None)
    summaries._session_pain_refresh(patient_ids=None)
    summaries._trigger_point_visits_refresh(patient_ids=None)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0006_report_summaries"),
        ("patients", "0007_pain_courses"),
    ]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
