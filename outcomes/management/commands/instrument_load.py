"""Load a clinic's own (licensed) instrument definition from a JSON file, validated as the
shipped ones are (outcomes/scoring.py describes the document)."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from outcomes.services import instrument_load


class Command(BaseCommand):
    help = (
        "Load an instrument definition (JSON) for one clinic: items with en/es wording and "
        "answer options, scoring rule, range, direction, MCID, source and licence decision."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")

    def handle(self, *args, path, clinic, **options):
        try:
            clinic_row = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist as exc:
            raise CommandError(f"No clinic with slug {clinic!r}.") from exc
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CommandError(f"{path} is not JSON: {exc}") from exc
        try:
            instrument = instrument_load(
                data=data, clinic=clinic_row, actor_label="manage.py instrument_load"
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"The definition was refused: {problems}") from exc
        self.stdout.write(f"Loaded {instrument} for {clinic_row.name}.")
