"""Clinical rows keep their past states, whatever writes them: triggers on PostgreSQL and on
SQLite, the embedded default (clinic/history.py), so these run in CI's SQLite smoke run too."""

import pytest
from django.db import DatabaseError, connection, transaction

from clinic.history import HISTORY_TABLES
from clinic.models import RecordVersion
from patients.models import PainScore
from sessions.models import TreatmentSession
from sessions.services import session_update
from tests.factories import PainScoreFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.smoke
def test_a_bulk_update_of_clinical_records_still_leaves_history(patient):
    scores = PainScoreFactory.create_batch(3, patient=patient, score=7)
    PainScore.objects.filter(patient=patient).update(score=2)
    versions = RecordVersion.objects.filter(table_name="patients_painscore", operation="UPDATE")
    assert sorted(v.row_id for v in versions) == sorted(s.pk for s in scores)
    assert {v.old_row["score"] for v in versions} == {7}


@pytest.mark.smoke
def test_any_past_state_of_a_note_can_be_shown(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="v1")
    for text in ("v2", "v3"):
        session_update(session=session, user=therapist, fields={"subjective": text})
    TreatmentSession.objects.filter(pk=session.pk).update(subjective="behind the app's back")
    past = RecordVersion.objects.filter(
        table_name="treatments_treatmentsession", row_id=session.pk
    ).order_by("id")
    assert [v.old_row["subjective"] for v in past] == ["v1", "v2", "v3"]


@pytest.mark.smoke
def test_an_unchanged_autosave_leaves_no_history(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    pain = [{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}]
    session_update(session=session, user=therapist, pain=pain)
    before = RecordVersion.objects.count()
    session_update(session=session, user=therapist, pain=pain)
    assert RecordVersion.objects.count() == before + 1  # the session row's updated_at only
    assert not RecordVersion.objects.filter(table_name="patients_painscore").exists()


@pytest.mark.postgres
def test_history_rows_cannot_be_changed_or_deleted(patient):
    score = PainScoreFactory(patient=patient, score=7)
    PainScore.objects.filter(pk=score.pk).update(score=3)
    version = RecordVersion.objects.get(table_name="patients_painscore")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM clinic_recordversion WHERE id = %s", [version.pk])


@pytest.mark.smoke
def test_the_history_page_shows_earlier_versions_to_clinicians_only(
    client, patient, therapist, front_desk
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="First")
    session_update(session=session, user=therapist, fields={"subjective": "Second"})
    client.force_login(therapist)
    page = client.get(f"/sessions/{session.pk}/history").content.decode()
    assert "First" in page
    client.force_login(front_desk)
    assert client.get(f"/sessions/{session.pk}/history").status_code == 404


@pytest.mark.postgres
def test_sqlite_keeps_the_history_of_the_same_tables_as_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers"
            " WHERE trigger_name = event_object_table || '_history'"
        )
        postgresql = {table for (table,) in cursor.fetchall()}
    assert postgresql == set(HISTORY_TABLES)


@pytest.mark.smoke
def test_a_deleted_row_keeps_its_last_state(patient):
    score = PainScoreFactory(patient=patient, score=5)
    with connection.cursor() as cursor:  # around the PROTECTing models, as raw SQL would
        cursor.execute("DELETE FROM patients_painscore WHERE id = %s", [score.pk])
    version = RecordVersion.objects.get(table_name="patients_painscore", row_id=score.pk)
    assert version.operation == "DELETE" and version.old_row["score"] == 5
