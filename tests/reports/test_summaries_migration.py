"""PSFS scores and range-of-motion measurements recorded before their derived tables existed
are in the PSFS and ROM reports once the migrations that add the tables have run."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from patients.models import PsfsCourse
from sessions.models import MobilityCourse, Movement
from tests.factories import TreatmentSessionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BEFORE = [
    ("patients", "0009_patient_registration"),
    ("treatments", "0014_corrections_locked_in_the_database"),
]


def test_scores_and_measurements_recorded_before_the_tables_get_their_rows():
    now = timezone.now()
    first = TreatmentSessionFactory(started_at=now - dt.timedelta(days=20))
    later = TreatmentSessionFactory(
        patient=first.patient, therapist=first.therapist, started_at=now - dt.timedelta(days=5)
    )
    patient, movement_id = first.patient, Movement.objects.get(code="cervical-rotation").pk
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    for session, score, degrees in ((first, 3, 40), (later, 7, 65)):
        old.get_model("patients", "FunctionalScore").objects.create(
            patient_id=patient.pk,
            recorded_at=session.started_at,
            source="intake",
            item=1,
            activity="Lifting a child",
            score=score,
        )
        old.get_model("treatments", "MobilityMeasurement").objects.create(
            patient_id=patient.pk,
            session_id=session.pk,
            movement_id=movement_id,
            side="left",
            degrees=degrees,
            measured_at=session.started_at,
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    psfs = PsfsCourse.objects.get(patient=patient)
    assert (psfs.clinic_id, psfs.baseline, psfs.latest) == (patient.clinic_id, 3, 7)
    assert sorted(
        MobilityCourse.objects.filter(patient=patient).values_list(
            "therapist_id", "first", "latest"
        ),
        key=repr,
    ) == [(first.therapist_id, 40, 65), (None, 40, 65)]
