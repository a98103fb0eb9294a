"""Registration fields (other phone, emergency contact, staff note), the merge tombstone and the
duplicate check's normalised keys, filled for the patients already there."""

import django.db.models.deletion
from django.db import migrations, models

from patients.models import email_key, name_key, phone_key

HISTORY_TRIGGER = "patients_patient_history"


def match_keys_fill(apps, schema_editor):
    """Filling derived columns is not a change of the record: the history trigger is paused for
    it (migrate runs as the table's owner), so every patient does not get a version row."""
    Patient = apps.get_model("patients", "Patient")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE patients_patient DISABLE TRIGGER {HISTORY_TRIGGER}")
    batch = []
    fields = ["match_name", "match_phone", "match_phone_other", "match_email"]
    for patient in Patient.objects.only("first_name", "last_name", "phone", "email").iterator(
        chunk_size=2000
    ):
        patient.match_name = name_key(patient.first_name, patient.last_name)
        patient.match_phone = phone_key(patient.phone)
        patient.match_phone_other = ""
        patient.match_email = email_key(patient.email)
        batch.append(patient)
        if len(batch) == 2000:
            Patient.objects.bulk_update(batch, fields)
            batch = []
    Patient.objects.bulk_update(batch, fields)
    if postgresql:
        schema_editor.execute(f"ALTER TABLE patients_patient ENABLE TRIGGER {HISTORY_TRIGGER}")


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0011_sign_in_guards_and_api_tokens'),
        ('patients', '0008_intakesubmission_intake_needs_attention'),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='emergency_contact_name',
            field=models.CharField(blank=True, max_length=200, verbose_name="emergency contact's name"),
        ),
        migrations.AddField(
            model_name='patient',
            name='emergency_contact_phone',
            field=models.CharField(blank=True, max_length=32, verbose_name="emergency contact's phone"),
        ),
        migrations.AddField(
            model_name='patient',
            name='emergency_contact_relation',
            field=models.CharField(blank=True, max_length=60, verbose_name='relation to the patient'),
        ),
        migrations.AddField(
            model_name='patient',
            name='match_email',
            field=models.CharField(blank=True, editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name='patient',
            name='match_name',
            field=models.CharField(blank=True, editable=False, max_length=201),
        ),
        migrations.AddField(
            model_name='patient',
            name='match_phone',
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='patient',
            name='match_phone_other',
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='patient',
            name='merged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='patient',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_records', to='patients.patient'),
        ),
        migrations.AddField(
            model_name='patient',
            name='phone_other',
            field=models.CharField(blank=True, max_length=32, verbose_name='other phone'),
        ),
        migrations.AddField(
            model_name='patient',
            name='staff_note',
            field=models.TextField(blank=True, help_text='For the front desk: practical matters only, never health information.', verbose_name='staff note'),
        ),
        migrations.AlterField(
            model_name='intakeinvitation',
            name='email',
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name='patient',
            name='consents_to_email',
            field=models.BooleanField(default=False, verbose_name='agrees to email reminders'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='consents_to_sms',
            field=models.BooleanField(default=False, verbose_name='agrees to text-message reminders'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='date_of_birth',
            field=models.DateField(verbose_name='date of birth'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='email',
            field=models.EmailField(blank=True, max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='first_name',
            field=models.CharField(max_length=100, verbose_name='first name'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='last_name',
            field=models.CharField(max_length=100, verbose_name='last name'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='phone',
            field=models.CharField(blank=True, max_length=32, verbose_name='mobile phone'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='preferred_channel',
            field=models.CharField(blank=True, choices=[('email', 'Email'), ('sms', 'Text message')], max_length=8, verbose_name='preferred reminder channel'),
        ),
        migrations.AlterField(
            model_name='patient',
            name='preferred_language',
            field=models.CharField(choices=[('en', 'English'), ('es', 'Español')], default='en', max_length=8, verbose_name='preferred language'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['clinic', 'match_name', 'date_of_birth'], name='patient_match_name'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(condition=models.Q(('match_phone', ''), _negated=True), fields=['clinic', 'match_phone'], name='patient_match_phone'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(condition=models.Q(('match_phone_other', ''), _negated=True), fields=['clinic', 'match_phone_other'], name='patient_match_phone_other'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(condition=models.Q(('match_email', ''), _negated=True), fields=['clinic', 'match_email'], name='patient_match_email'),
        ),
        migrations.AddConstraint(
            model_name='patient',
            constraint=models.CheckConstraint(condition=models.Q(('merged_into', models.F('pk')), _negated=True), name='patient_not_merged_into_itself'),
        ),
        migrations.RunPython(match_keys_fill, migrations.RunPython.noop),
    ]
