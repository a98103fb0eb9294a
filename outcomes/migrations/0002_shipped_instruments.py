"""The instruments shipped with the product (NDI, LEFS, PSFS 1 and 2.0: outcomes/definitions/),
each validated as a clinic's own upload is, with its licence decision in the definition."""

from django.db import migrations

from outcomes.definitions import instrument_fields, shipped_definitions
from outcomes.scoring import definition_validate


def forwards(apps, schema_editor):
    Instrument = apps.get_model("outcomes", "Instrument")
    for data in shipped_definitions():
        fields = instrument_fields(definition_validate(data))
        Instrument.objects.update_or_create(
            clinic=None, code=fields.pop("code"), version=fields.pop("version"), defaults=fields
        )


def backwards(apps, schema_editor):
    Instrument = apps.get_model("outcomes", "Instrument")
    Instrument.objects.filter(clinic=None, responses__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_instruments")]

    operations = [migrations.RunPython(forwards, backwards)]
