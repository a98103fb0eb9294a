"""How long the patient CSV import takes for a 10,000-row file (issue 8).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<your db> \
        .venv/bin/python scripts/bench_import.py [--rows 10000]

Writes to the database it is given: a clinic `bench-import` and, for the duration of the run,
10,000 patients, which it deletes again. Prints the seconds of the dry run, the import and a
second import of the same file (which must create nobody).
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from clinic.models import Clinic  # noqa: E402
from patients.imports import patients_import  # noqa: E402
from patients.models import Patient  # noqa: E402


def csv_text(rng: random.Random, rows: int) -> str:
    lines = ["first_name,last_name,date_of_birth,email,phone,consents_to_email,activity_profile"]
    for i in range(rows):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 60 * 365))
        lines.append(
            f"Given{i},Family{i},{born},p{i}@example.com,+1 416 555 {i % 10000:04d},"
            f"{rng.choice(('yes', 'no'))},{rng.choice(('athlete', 'active', 'sedentary', ''))}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="The patient CSV import's speed.")
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    clinic, _ = Clinic.objects.get_or_create(slug="bench-import", defaults={"name": "Bench"})
    Patient.objects.filter(clinic=clinic).delete()
    text = csv_text(random.Random(8), rows)
    print(f"Patient CSV import, {rows:,} rows ({len(text.encode()) / 1e6:.2f} MB)")
    try:
        for label, dry_run in (("dry run", True), ("import", False), ("second import", False)):
            started = time.perf_counter()
            report = patients_import(
                clinic=clinic, text=text, dry_run=dry_run, actor_label="bench_import"
            )
            seconds = time.perf_counter() - started
            print(
                f"{label:<14}{seconds:>7.2f} s  {rows / seconds:>8,.0f} rows/s  "
                f"new {report.count('new'):,}, already registered {report.count('existing'):,}, "
                f"created {report.created:,}"
            )
        assert Patient.objects.filter(clinic=clinic).count() == rows
    finally:
        Patient.objects.filter(clinic=clinic).delete()


if __name__ == "__main__":
    main()
