"""The attacks of issue 12 (item 4), made with the application's own database role: a role that
can read and write records but owns nothing. Each was possible before; none may be now.

The role is created for the test (its name unique per process: roles are cluster-wide), given
its rights by `app_role_grant` as `migrate` does with DATABASE_APP_ROLE, and used through a
second, real connection."""

import os

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone
from psycopg2 import errors

from clinic.audit import audit_chain, audit_record, audit_verify
from clinic.db_roles import app_role_grant
from clinic.models import AuditEvent, RecordVersion
from patients.models import PainScore, Patient
from scheduling.erasure import patient_erasure_request
from sessions.models import (
    Addendum,
    MobilityMeasurement,
    Movement,
    TreatmentSession,
    TriggerPoint,
)
from tests.factories import (
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFUSED = (errors.InsufficientPrivilege, errors.RaiseException)


@pytest.fixture
def app_db():
    """A connection as the application's role: autocommit off, so SET LOCAL holds."""
    assert connection.vendor == "postgresql", "CI runs this on PostgreSQL"
    role = f"clinic_app_test_{os.getpid()}"
    _drop_role(role)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN")
    app_role_grant(connection, role)
    params = connection.get_connection_params()
    app = psycopg2.connect(
        dbname=params["dbname"], host=params.get("host"), port=params.get("port"), user=role
    )
    yield app
    app.close()
    _drop_role(role)


def _drop_role(role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            cursor.execute(f"DROP OWNED BY {role}")  # its grants in this database
            cursor.execute(f"DROP ROLE {role}")


def _refused(app, *statements):
    """Each statement, in its own transaction as the application's role, must be refused."""
    for sql, params in statements:
        with pytest.raises(REFUSED):
            _execute_with_the_switches_on(app, sql, params)


def _execute_with_the_switches_on(app, sql, params):
    with app.cursor() as cursor:
        try:
            cursor.execute("SET LOCAL clinic.allow_audit_truncate = 'on'")
            cursor.execute("SET LOCAL clinic.erasure = 'on'")
            cursor.execute(sql, params)
        finally:
            app.rollback()


@pytest.fixture
def signed_note(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="as signed")
    TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient, session=session, source="pre_session", score=8)
    MobilityMeasurement.objects.create(
        patient=patient,
        session=session,
        movement=Movement.objects.first(),
        side="right",
        degrees=40,
        measured_at=timezone.now(),
    )
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=therapist
    )
    Addendum.objects.create(
        session=session, author=therapist, reason="Late entry", text="Seen again."
    )
    return session


def test_the_application_role_cannot_empty_the_audit_trail_or_the_history(app_db, therapist):
    audit_record(action="read", actor=therapist)
    audit_chain()
    _refused(
        app_db,
        ("TRUNCATE clinic_auditevent, clinic_auditchainlink CASCADE", None),
        ("TRUNCATE clinic_recordversion", None),
        ("DELETE FROM clinic_auditevent", None),
        ("DELETE FROM clinic_auditchainlink", None),
        ("UPDATE clinic_auditevent SET action = 'list'", None),
        ("DELETE FROM clinic_recordversion", None),
        ("ALTER TABLE clinic_auditevent DISABLE TRIGGER USER", None),
    )
    assert AuditEvent.objects.count() >= 2 and audit_verify() == []


def test_the_application_role_cannot_change_a_signed_note_or_its_parts(app_db, signed_note):
    point = signed_note.trigger_points.get()
    score = signed_note.pain_scores.get()
    rom = signed_note.mobility.get()
    addendum = signed_note.addenda.get()
    _refused(
        app_db,
        (
            "UPDATE treatments_treatmentsession SET subjective = 'rewritten' WHERE id = %s",
            [signed_note.pk],
        ),
        ("DELETE FROM treatments_treatmentsession WHERE id = %s", [signed_note.pk]),
        ("UPDATE treatments_triggerpoint SET side = 'left' WHERE id = %s", [point.pk]),
        ("DELETE FROM treatments_triggerpoint WHERE id = %s", [point.pk]),
        ("UPDATE patients_painscore SET score = 0 WHERE id = %s", [score.pk]),
        ("DELETE FROM patients_painscore WHERE id = %s", [score.pk]),
        ("UPDATE treatments_mobilitymeasurement SET degrees = 90 WHERE id = %s", [rom.pk]),
        ("DELETE FROM treatments_mobilitymeasurement WHERE id = %s", [rom.pk]),
        ("UPDATE treatments_addendum SET text = 'never written' WHERE id = %s", [addendum.pk]),
        ("DELETE FROM treatments_addendum WHERE id = %s", [addendum.pk]),
        ("TRUNCATE treatments_addendum", None),
        ("TRUNCATE patients_painscore CASCADE", None),
        (
            "INSERT INTO patients_painscore (patient_id, session_id, recorded_at, source, region, "
            "side, score, unable_to_rate) VALUES (%s, %s, now(), 'post_session', 'head', 'both', "
            "0, false)",
            [signed_note.patient_id, signed_note.pk],
        ),
    )
    assert TreatmentSession.objects.get(pk=signed_note.pk).subjective == "as signed"
    assert PainScore.objects.get(pk=score.pk).score == 8
    assert TriggerPoint.objects.get(pk=point.pk).side == point.side
    assert Addendum.objects.get(pk=addendum.pk).text == "Seen again."


def test_a_draft_changed_by_the_application_role_still_leaves_its_history(
    app_db, patient, therapist
):
    draft = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="first")
    with app_db.cursor() as cursor:
        cursor.execute("SET LOCAL clinic.erasure = 'on'")  # no longer silences the history
        cursor.execute(
            "UPDATE treatments_treatmentsession SET subjective = 'second' WHERE id = %s",
            [draft.pk],
        )
    app_db.commit()
    (version,) = RecordVersion.objects.filter(
        table_name="treatments_treatmentsession", row_id=draft.pk
    )
    assert version.old_row["subjective"] == "first"


def test_erasure_is_the_owners_function_and_only_for_a_patient_whose_retention_ended(
    app_db, manager, patient, signed_note
):
    _refused(app_db, ("SELECT clinic_erase_patient(%s)", [patient.pk]))  # no erasure request
    patient = patient_erasure_request(patient=patient, user=manager)
    _refused(app_db, ("SELECT clinic_erase_patient(%s)", [patient.pk]))  # retention not over
    Patient.objects.filter(pk=patient.pk).update(erase_after=timezone.now().date())
    with app_db.cursor() as cursor:
        cursor.execute("SELECT clinic_erase_patient(%s)", [patient.pk])
    app_db.commit()
    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not TreatmentSession.objects.filter(pk=signed_note.pk).exists()
    assert not RecordVersion.objects.filter(
        table_name="patients_patient", row_id=patient.pk
    ).exists()


def test_the_application_role_can_do_its_daily_work(app_db, patient, therapist):
    """Reading, recording a draft and appending to the audit trail stay open to it."""
    draft = TreatmentSessionFactory(patient=patient, therapist=therapist)
    with app_db.cursor() as cursor:
        cursor.execute(
            "UPDATE treatments_treatmentsession SET subjective = 'typed' WHERE id = %s", [draft.pk]
        )
        cursor.execute(
            "INSERT INTO patients_painscore (patient_id, session_id, recorded_at, source, region, "
            "side, score, unable_to_rate) VALUES (%s, %s, now(), 'pre_session', 'head', 'both', "
            "6, false)",
            [patient.pk, draft.pk],
        )
        cursor.execute("SELECT count(*) FROM clinic_auditevent")
    app_db.commit()
    assert TreatmentSession.objects.get(pk=draft.pk).subjective == "typed"
    assert draft.pain_scores.get().score == 6


def test_a_signed_note_moves_to_another_patient_only_through_the_merge_function(
    app_db, clinic_a, signed_note
):
    """The application's role cannot switch the merge path on by hand; the owner's function
    moves a note only from a patient recorded as merged into the target."""
    other = PatientFactory(clinic=clinic_a)
    move = ("UPDATE treatments_treatmentsession SET patient_id = %s WHERE id = %s",
            [other.pk, signed_note.pk])  # fmt: skip
    function = (
        "SELECT clinic_merge_patient_rows('treatments_treatmentsession', 'patient_id', %s, %s)",
        [signed_note.patient_id, other.pk],
    )
    for sql, params in (move, function):
        with pytest.raises(REFUSED):
            _as_app_merging(app_db, sql, params)
    Patient.objects.filter(pk=signed_note.patient_id).update(merged_into=other)
    with app_db.cursor() as cursor:
        cursor.execute(*function)
        assert cursor.fetchone() == (1,)
    app_db.commit()
    assert TreatmentSession.objects.get(pk=signed_note.pk).patient_id == other.pk


def _as_app_merging(app, sql, params):
    with app.cursor() as cursor:
        try:
            cursor.execute("SET LOCAL clinic.merging = 'patient_id'")
            cursor.execute(sql, params)
        finally:
            app.rollback()


def test_every_month_of_the_audit_trail_is_append_only_for_the_application_role(app_db, therapist):
    audit_record(action="read", actor=therapist)
    audit_chain()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent IN "
            "('clinic_auditevent'::regclass, 'clinic_auditchainlink'::regclass)"
        )
        partitions = [name for (name,) in cursor.fetchall()]
    assert "clinic_auditevent_default" in partitions and len(partitions) >= 10
    for partition in partitions:
        _refused(
            app_db,
            (f"DELETE FROM {partition}", None),  # noqa: S608 (a partition's name from pg_inherits)
            (f"UPDATE {partition} SET mac = mac", None),  # noqa: S608
            (f"TRUNCATE {partition} CASCADE", None),
            (f"DROP TABLE {partition}", None),
            (f"ALTER TABLE {partition} DISABLE TRIGGER USER", None),
        )
    _refused(
        app_db,
        (f"ALTER TABLE clinic_auditevent DETACH PARTITION {partitions[0]}", None),
        ("DELETE FROM clinic_auditretentioncut", None),
        # This month, a floor of 0 asked for: inside the clinics' retention all the same.
        ("SELECT clinic_audit_partition_drop(date_trunc('month', now())::date, 0)", None),
    )
    # What beat does as this role: make months ahead, through the owner's function.
    with app_db.cursor() as cursor:
        cursor.execute("SELECT clinic_audit_partition_month(date '2040-01-01')")
        cursor.execute("SELECT clinic_audit_partition_month(date '2040-01-01')")
        assert cursor.fetchone() == (False,)
    app_db.commit()
    assert AuditEvent.objects.count() >= 2 and audit_verify() == []


def test_the_application_role_cannot_fake_a_retention_cut_with_a_temporary_table(app_db):
    """The owner's drop function checks the real cut table, not a caller's stand-in."""
    with app_db.cursor() as cursor:
        cursor.execute("SELECT clinic_audit_partition_month(date '2001-01-01')")
        app_db.commit()
        cursor.execute("CREATE TEMP TABLE clinic_auditretentioncut (month date)")
        cursor.execute("INSERT INTO clinic_auditretentioncut VALUES (date '2001-01-01')")
        cursor.execute("CREATE TEMP TABLE patients_patient (id bigint)")
        with pytest.raises(REFUSED, match="no retention cut recorded"):
            cursor.execute("SELECT clinic_audit_partition_drop(date '2001-01-01', 0)")
    app_db.rollback()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('clinic_auditevent_p2001_01') IS NOT NULL")
        assert cursor.fetchone() == (True,)
