"""An audit row is inserted by every read: the indexes no query uses go (actor and clinic
alone, each covered by its index with the time; the pattern index of the unique MAC)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0014_clinic_address'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='clinic',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='clinic.clinic'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(max_length=64),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(fields=('mac',), name='audit_mac_once'),
        ),
        # Named after the column's first name (hash), so the AlterField above misses it.
        migrations.RunSQL(
            'DROP INDEX IF EXISTS "clinic_auditevent_hash_791e4842_like"', migrations.RunSQL.noop
        ),
    ]
