"""Clinical records never disappear through a cascade, and signed notes never change."""

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from patients.models import Patient
from sessions.models import Addendum, SignedRecordLocked, TreatmentSession, TriggerPoint
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory


@pytest.mark.django_db
def test_deleting_a_patient_with_sessions_is_refused(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session)
    with pytest.raises(ProtectedError):
        patient.delete()
    with pytest.raises(ProtectedError):
        Patient.objects.filter(pk=patient.pk).delete()
    assert TreatmentSession.objects.filter(pk=session.pk).exists()
    assert patient.pain_scores.count() == 1


@pytest.mark.django_db
def test_deleting_a_therapist_with_sessions_is_refused(patient, therapist):
    TreatmentSessionFactory(patient=patient, therapist=therapist)
    with pytest.raises(ProtectedError):
        therapist.delete()


def _sign(session, user):
    TreatmentSession.objects.filter(pk=session.pk).update(
        status="signed", signed_at=timezone.now(), signed_by=user
    )
    session.refresh_from_db()


@pytest.mark.django_db
def test_a_signed_session_cannot_be_saved_again_even_from_a_stale_copy(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    stale_copy = TreatmentSession.objects.get(pk=session.pk)
    _sign(session, therapist)
    stale_copy.subjective = "rewritten"
    with pytest.raises(SignedRecordLocked):
        stale_copy.save()
    session.refresh_from_db()
    assert session.subjective != "rewritten"


@pytest.mark.django_db
def test_trigger_points_of_a_signed_session_are_locked(patient, therapist):
    point = TriggerPointFactory(session__patient=patient, session__therapist=therapist)
    _sign(point.session, therapist)
    point.tenderness = 1
    with pytest.raises(SignedRecordLocked):
        point.save()
    with pytest.raises(SignedRecordLocked):
        TriggerPoint(
            session=point.session,
            muscle=point.muscle,
            side="left",
            chart_view="back",
            x=0.6,
            y=0.16,
            tenderness=3,
        ).save()


@pytest.mark.django_db
def test_a_signed_session_is_corrected_by_addenda_and_is_never_deleted(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    _sign(session, therapist)
    addendum = Addendum.objects.create(
        session=session, author=therapist, reason="Wrong side", text="Left, not right."
    )
    addendum.text = "changed"
    with pytest.raises(SignedRecordLocked):
        addendum.save()
    with pytest.raises(SignedRecordLocked):
        session.delete()
    assert list(session.addenda.values_list("text", flat=True)) == ["Left, not right."]
