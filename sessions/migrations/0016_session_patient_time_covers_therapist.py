"""Who first treated each patient (the outcome report) read from the index alone."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0010_psfs_course'),
        ('treatments', '0015_mobility_course'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='treatmentsession',
            name='session_patient_time',
        ),
        migrations.AddIndex(
            model_name='treatmentsession',
            index=models.Index(fields=['patient', 'started_at', 'id'], include=('therapist',), name='session_patient_time'),
        ),
    ]
