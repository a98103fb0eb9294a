"""`clinic.permissions.visible` is the one gate every view and report goes through."""

import pytest

from clinic.permissions import visible
from patients.models import PainScore, Patient
from scheduling.models import FollowUp
from sessions.models import TreatmentSession, TriggerPoint
from tests.factories import (
    FollowUpFactory,
    MembershipFactory,
    PainScoreFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)


@pytest.fixture
def records(patient, patient_b, therapist, stranger):
    """One patient with clinical records in each clinic."""
    for p, t in ((patient, therapist), (patient_b, stranger)):
        session = TreatmentSessionFactory(patient=p, therapist=t)
        TriggerPointFactory(session=session)
        PainScoreFactory(patient=p, session=session)
        FollowUpFactory(patient=p, session=session)


@pytest.mark.django_db
def test_a_therapist_never_sees_another_clinics_patients(records, therapist, patient, patient_b):
    assert list(visible(therapist, Patient)) == [patient]
    assert not visible(therapist, Patient).filter(pk=patient_b.pk).exists()
    for model in (TreatmentSession, TriggerPoint, PainScore, FollowUp):
        clinic_ids = visible(therapist, model).values_list(model.clinic_lookup, flat=True)
        assert list(clinic_ids) == [patient.clinic_id], model.__name__


@pytest.mark.django_db
def test_the_stranger_sees_only_their_own_clinic(records, stranger, patient_b):
    assert list(visible(stranger, Patient)) == [patient_b]


@pytest.mark.django_db
def test_front_desk_sees_patients_and_scheduling_but_no_clinical_rows(records, front_desk, patient):
    assert list(visible(front_desk, Patient)) == [patient]
    assert visible(front_desk, FollowUp).count() == 1
    for model in (TreatmentSession, TriggerPoint, PainScore):
        assert not visible(front_desk, model).exists(), model.__name__


@pytest.mark.django_db
def test_manager_reads_clinical_rows_of_their_clinic(records, manager):
    assert visible(manager, TreatmentSession).count() == 1
    assert visible(manager, PainScore).count() == 1


@pytest.mark.django_db
def test_a_role_in_one_clinic_does_not_leak_into_another(records, front_desk, clinic_b):
    # Front desk here, therapist there: clinical rows of clinic B only.
    MembershipFactory(user=front_desk, clinic=clinic_b, role="therapist")
    front_desk.__dict__.pop("_clinic_access", None)
    sessions = visible(front_desk, TreatmentSession)
    assert {s.patient.clinic_id for s in sessions} == {clinic_b.pk}
    assert visible(front_desk, Patient).count() == 2


@pytest.mark.django_db
def test_inactive_memberships_and_anonymous_users_see_nothing(records, therapist):
    from django.contrib.auth.models import AnonymousUser

    assert not visible(AnonymousUser(), Patient).exists()
    therapist.memberships.update(is_active=False)
    therapist.__dict__.pop("_clinic_access", None)
    assert not visible(therapist, Patient).exists()


@pytest.mark.django_db
def test_visible_costs_one_query_per_user_however_many_models(
    records, therapist, django_assert_num_queries
):
    with django_assert_num_queries(1):
        for model in (Patient, TreatmentSession, PainScore):
            visible(therapist, model)  # querysets are lazy: only the membership lookup runs
