"""Bulk FHIR export of a whole clinic: one NDJSON file per resource type."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from clinic.replica import ReadScope, replica_reads
from interop.exports import RESOURCE_TYPES, ndjson


class Command(BaseCommand):
    help = (
        "Write every FHIR R4 resource of a clinic as NDJSON, one file per resource type "
        "(<output>/<Type>.ndjson), streamed so memory stays flat however large the clinic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--output", type=Path, required=True, help="A folder.")
        parser.add_argument(
            "--type",
            dest="types",
            action="append",
            choices=RESOURCE_TYPES,
            help="Only this resource type (repeatable); all types by default.",
        )

    def handle(self, *args, clinic, output, types, **options):
        try:
            clinic_row = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist as exc:
            raise CommandError(f"No clinic with slug {clinic!r}.") from exc
        output.mkdir(parents=True, exist_ok=True)
        # From the replica when there is one, as the export endpoints (clinic/replica.py).
        with replica_reads(ReadScope()):
            self._export(clinic_row, output, types or RESOURCE_TYPES)

    def _export(self, clinic_row, output, types):
        for resource_type in types:
            started = time.perf_counter()
            path = output / f"{resource_type}.ndjson"
            lines = 0
            with path.open("w", encoding="utf-8") as out:
                for block in ndjson(clinic=clinic_row, resource_type=resource_type):
                    out.write(block)
                    lines += block.count("\n")
            self.stdout.write(
                f"{path}: {lines:,} resources in {time.perf_counter() - started:.1f} s"
            )
