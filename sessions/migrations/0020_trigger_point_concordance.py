"""Each trigger-point visit says whether its muscle refers (an essential zone of the atlas) to
where the patient hurt before the session, so the concordance report counts rows instead of
matching every point against every rating per request; computed here for the visits there are
(as 0014 builds the visits), then kept by `sessions.summaries`."""

from django.db import migrations, models


def concordance(apps, schema_editor):
    from sessions import summaries

    summaries.trigger_point_concordance_refresh(patient_ids=None)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0019_referral_atlas"),
    ]

    operations = [
        migrations.AddField(
            model_name="triggerpointvisit",
            name="concordant",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunPython(concordance, migrations.RunPython.noop),
    ]
