"""Import patients from another system's CSV (see patients/imports.py for the columns)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.models import Clinic
from patients.imports import PATIENT_COLUMNS, decode_upload, patients_import


class Command(BaseCommand):
    help = (
        "Import patients from a CSV file into a clinic. Every row is checked first; nothing is "
        "written unless every row is valid. Patients already registered (same name and date of "
        f"birth) are skipped. Columns: {', '.join(PATIENT_COLUMNS)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report every row; write nothing."
        )

    def handle(self, *args, path, clinic, dry_run, **options):
        try:
            clinic_row = Clinic.objects.get(slug=clinic)
        except Clinic.DoesNotExist as exc:
            raise CommandError(f"No clinic with slug {clinic!r}.") from exc
        try:
            text = decode_upload(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        report = patients_import(
            clinic=clinic_row, text=text, dry_run=dry_run, actor_label="manage.py import_patients"
        )
        for problem in report.file_errors:
            self.stderr.write(problem)
        for row in report.rows:
            if row.errors:
                self.stderr.write(f"line {row.line}: {'; '.join(row.errors)}")
        if report.ignored_columns:
            self.stdout.write(f"Columns ignored: {', '.join(report.ignored_columns)}")
        summary = (
            f"{len(report.rows)} rows: {report.count('new')} new, "
            f"{report.count('existing')} already registered, "
            f"{report.count('invalid')} with problems."
        )
        if not report.ok:
            raise CommandError(f"{summary} Nothing imported: fix the rows above.")
        if dry_run:
            self.stdout.write(f"{summary} Dry run: nothing imported.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{summary} Imported {report.created}."))
