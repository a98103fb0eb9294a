"""Bulk writers leave fresh planner statistics behind them (issue 19): with autovacuum off or
late, a plan made on the statistics of an empty table read every row of a large one."""

import pytest
from django.db import connection

from demo import writer
from patients.imports import patients_import
from patients.models import PainScore, Patient

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = "first_name,last_name,date_of_birth,email,phone,consents_to_email,activity_profile\n"


def _estimated_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def test_an_import_analyzes_the_patients_once_it_commits(
    clinic_a, django_capture_on_commit_callbacks
):
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    rows = "".join(f"Pat{n},Example,1980-01-{n + 1:02d},,,,\n" for n in range(25))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = patients_import(
            clinic=clinic_a, text=HEADER + rows, dry_run=False, actor_label="t"
        )

    assert report.created == 25 and len(callbacks) == 1
    assert _estimated_rows(Patient) == Patient.objects.count() == 25


def test_a_dry_run_analyzes_nothing(clinic_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        patients_import(
            clinic=clinic_a,
            text=HEADER + "Ana,Silva,1975-03-02,,,,\n",
            dry_run=True,
            actor_label="t",
        )
    assert callbacks == []


def test_the_demo_seed_analyzes_the_database_once_it_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        writer.seed(seed=7, patients=12)

    assert _estimated_rows(PainScore) == PainScore.objects.count() > 0
