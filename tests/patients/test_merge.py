"""A manager merges a duplicate record into the one that stays: every row pointing at the
duplicate moves (signed notes too, past the database's lock only through its one path), in one
transaction, audited; the duplicate stays as a hidden tombstone."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, RecordVersion
from outcomes.models import Instrument
from outcomes.services import questionnaire_schedule, response_record
from patients.models import FunctionalScore, IntakeInvitation, IntakeSubmission, Patient
from patients.selectors import patient_list
from patients.services import _patient_references, patient_merge
from scheduling.models import WaitlistEntry
from sessions.models import (
    Addendum,
    CheckIn,
    MobilityMeasurement,
    Movement,
    SessionPain,
    TreatmentSession,
    TriggerPointVisit,
)
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    PainScoreFactory,
    PatientFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)
from tests.plans.helpers import signed_plan

pytestmark = pytest.mark.django_db


def _everything_of(patient, therapist, front_desk):
    """A row in every table that points at a patient, under a signed note where one can be."""
    now = timezone.now()
    session = TreatmentSessionFactory(
        patient=patient, therapist=therapist, started_at=now - dt.timedelta(days=3)
    )
    TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient, session=session, recorded_at=session.started_at)
    MobilityMeasurement.objects.create(
        patient=patient, session=session, movement=Movement.objects.first(), side="right",
        degrees=40, measured_at=session.started_at,
    )  # fmt: skip
    FunctionalScore.objects.create(
        patient=patient, recorded_at=now, source="intake", item=1, activity="Typing", score=4
    )
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_at=now, signed_by=therapist
    )
    Addendum.objects.create(
        session=session, author=therapist, reason="typo", text="Left, not right."
    )
    CheckIn.objects.create(
        session=session, token_hash="c" * 64, expires_at=now + dt.timedelta(days=2)
    )
    invitation = IntakeInvitation.objects.create(
        clinic=patient.clinic, patient=patient, email="x@example.com", token_hash="i" * 64,
        created_by=front_desk, expires_at=now + dt.timedelta(days=14),
    )  # fmt: skip
    IntakeSubmission.objects.create(clinic=patient.clinic, invitation=invitation, patient=patient)
    ReminderFactory(follow_up=FollowUpFactory(patient=patient, session=session))
    booked = AppointmentFactory(patient=patient, therapist=therapist)
    WaitlistEntry.objects.create(
        clinic=patient.clinic, patient=patient, until=now.date(), appointment=booked
    )
    PatientFactory(clinic=patient.clinic, merged_into=patient)  # an earlier merge's tombstone
    ndi = Instrument.objects.get(clinic=None, code="ndi")
    response_record(actor=therapist, patient=patient, instrument=ndi, answers={"1": 2})
    questionnaire_schedule(patient=patient, instrument=ndi, occasion="interval", actor=therapist)
    # A signed plan of care (and its goal, under the plan's lock): moved by the owner's function.
    signed_plan(patient=patient, therapist=therapist)
    from sessions.summaries import summaries_refresh

    summaries_refresh(patient_ids=[patient.pk])
    return session


def _counts(patient) -> dict[str, int]:
    return {
        f"{model._meta.label_lower}.{column}": model._base_manager.filter(
            **{column: patient.pk}
        ).count()
        for model, column in _patient_references()
    }


def test_a_merge_moves_a_row_of_every_table_pointing_at_the_patient(
    clinic_a, manager, therapist, front_desk
):
    survivor = PatientFactory(clinic=clinic_a)
    duplicate = PatientFactory(clinic=clinic_a)
    session = _everything_of(duplicate, therapist, front_desk)
    before = _counts(duplicate)
    # A table added later that this test gives no row fails here, until it does.
    assert all(before.values()), [name for name, n in before.items() if not n]

    patient_merge(actor=manager, survivor=survivor, merged=duplicate)

    # The survivor also gains the duplicate itself as a tombstone pointing at it.
    assert _counts(survivor) == {**before, "patients.patient.merged_into_id": 2}
    assert not any(_counts(duplicate).values())
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor and duplicate.merged_at
    session.refresh_from_db()
    assert session.status == "signed" and session.patient == survivor
    # Derived report tables follow the rows: rebuilt for both records.
    assert SessionPain.objects.filter(patient=survivor).exists()
    assert TriggerPointVisit.objects.filter(patient=survivor).exists()
    assert not TriggerPointVisit.objects.filter(patient=duplicate).exists()
    events = AuditEvent.objects.filter(action="merge", object_id=str(duplicate.pk))
    assert {e.patient_id for e in events} == {survivor.pk, duplicate.pk}
    assert "treatments.treatmentsession" in events[0].fields


def test_the_tombstone_is_hidden_kept_and_its_old_link_opens_the_survivor(
    client, clinic_a, manager, front_desk
):
    survivor = PatientFactory(clinic=clinic_a, last_name="Stays")
    duplicate = PatientFactory(clinic=clinic_a, last_name="Goes")
    patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    assert list(patient_list(user=front_desk)) == [survivor]
    assert Patient.objects.filter(pk=duplicate.pk).exists()
    client.force_login(front_desk)
    answer = client.get(reverse("patient_chart", args=[duplicate.pk]))
    assert answer.status_code == 302 and answer.url == reverse("patient_chart", args=[survivor.pk])


@pytest.mark.postgres
def test_a_merge_versions_the_moved_signed_note(clinic_a, manager, therapist, front_desk):
    survivor = PatientFactory(clinic=clinic_a)
    duplicate = PatientFactory(clinic=clinic_a)
    session = _everything_of(duplicate, therapist, front_desk)
    patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    version = RecordVersion.objects.get(
        table_name="treatments_treatmentsession",
        row_id=session.pk,
        old_row__patient_id=duplicate.pk,
        old_row__status="signed",
    )
    assert version.old_row["status"] == "signed"


@pytest.mark.postgres
def test_the_signed_note_stays_locked_outside_the_merge_path(clinic_a, therapist, front_desk):
    other = PatientFactory(clinic=clinic_a)
    session = _everything_of(PatientFactory(clinic=clinic_a), therapist, front_desk)
    with pytest.raises(DatabaseError, match="signed note is locked"), transaction.atomic():
        TreatmentSession.objects.filter(pk=session.pk).update(patient=other)
    # The merge function refuses a patient not recorded as merged into the target.
    with pytest.raises(DatabaseError, match="is not merged into"):
        _in_transaction(
            "SELECT clinic_merge_patient_rows('treatments_treatmentsession', 'patient_id', %s, %s)",
            [session.patient_id, other.pk],
        )
    # Under the merge setting, only the patient column may change; the note's text may not.
    with pytest.raises(DatabaseError, match="signed note is locked"):
        _in_transaction(
            "UPDATE treatments_treatmentsession SET subjective = 'changed' WHERE id = %s",
            [session.pk],
            merging="patient_id",
        )


def _in_transaction(sql: str, params: list, *, merging: str = "") -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if merging:
            cursor.execute("SELECT set_config('clinic.merging', %s, true)", [merging])
        cursor.execute(sql, params)


def test_only_a_manager_of_the_clinic_merges(clinic_a, therapist, front_desk):
    survivor, duplicate = PatientFactory.create_batch(2, clinic=clinic_a)
    for user in (therapist, front_desk):
        with pytest.raises(PermissionDenied):
            patient_merge(actor=user, survivor=survivor, merged=duplicate)
    assert not Patient.objects.filter(merged_into__isnull=False).exists()


def test_records_of_two_clinics_or_the_same_record_are_not_merged(manager, patient, patient_b):
    with pytest.raises(ValidationError):
        patient_merge(actor=manager, survivor=patient, merged=patient_b)
    with pytest.raises(ValidationError):
        patient_merge(actor=manager, survivor=patient, merged=patient)


def test_the_merge_page_compares_then_merges(client, clinic_a, manager):
    survivor = PatientFactory(clinic=clinic_a, email="same@example.com")
    duplicate = PatientFactory(clinic=clinic_a, email="SAME@example.com")
    client.force_login(manager)
    page = client.get(reverse("patient_merge", args=[survivor.pk])).content.decode()
    assert f"?duplicate={duplicate.pk}" in page  # listed as a likely duplicate
    compare = client.get(reverse("patient_merge", args=[survivor.pk]), {"duplicate": duplicate.pk})
    assert compare.context["duplicate"] == duplicate
    done = client.post(reverse("patient_merge", args=[survivor.pk]), {"duplicate": duplicate.pk})
    assert done.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor


def test_the_merge_page_answers_404_for_another_clinics_record(
    client, manager, patient, patient_b, therapist
):
    client.force_login(manager)
    url = reverse("patient_merge", args=[patient.pk])
    assert client.post(url, {"duplicate": patient_b.pk}).status_code == 404
    assert client.get(reverse("patient_merge", args=[patient_b.pk])).status_code == 404
    client.force_login(therapist)
    assert client.get(url).status_code == 403


def test_erasing_the_survivor_erases_its_merged_tombstones(clinic_a, manager):
    from scheduling.erasure import patient_erasure_request, patients_erase_due

    survivor, duplicate = PatientFactory.create_batch(2, clinic=clinic_a)
    patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    patient_erasure_request(patient=survivor, user=manager)
    Patient.objects.filter(pk=survivor.pk).update(erase_after=timezone.now().date())
    assert patients_erase_due() == 1
    assert not Patient.objects.filter(pk__in=[survivor.pk, duplicate.pk]).exists()


def test_a_tombstone_stays_out_of_the_managers_list_and_the_intake_candidates(clinic_a, manager):
    from patients.selectors import intake_patient_candidates

    survivor = PatientFactory(clinic=clinic_a, email="one@example.com")
    duplicate = PatientFactory(clinic=clinic_a, email="one@example.com")
    patient_merge(actor=manager, survivor=survivor, merged=duplicate)
    assert list(patient_list(user=manager, restricted=True)) == [survivor]
    summary = {"invitation__patient_id": None, "last_name": "", "date_of_birth": "",
               "email": "one@example.com", "clinic_id": clinic_a.pk}  # fmt: skip
    assert intake_patient_candidates(summary=summary) == [survivor]
