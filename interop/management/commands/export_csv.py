"""CSV export of a clinic's patients or sessions."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from clinic.replica import ReadScope, replica_reads
from interop.exports import patients_csv, sessions_csv

WRITERS = {"patients": patients_csv, "sessions": sessions_csv}


class Command(BaseCommand):
    help = (
        "Write a clinic's patients (the columns import_patients reads) or sessions as CSV, "
        "to a file or standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("table", choices=sorted(WRITERS))
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--output", type=Path, help="A file; standard output by default.")

    def handle(self, *args, table, clinic, output, **options):
        try:
            clinic_row = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist as exc:
            raise CommandError(f"No clinic with slug {clinic!r}.") from exc
        # From the replica when there is one, as the export endpoints (clinic/replica.py).
        with replica_reads(ReadScope()):
            blocks = WRITERS[table](clinic=clinic_row)
            if output is None:
                for block in blocks:
                    self.stdout.write(block, ending="")
                return
            with output.open("w", encoding="utf-8", newline="") as out:
                out.writelines(blocks)
