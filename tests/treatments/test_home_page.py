"""The home page is the busiest page: its query count is fixed, whatever the clinic's size, and
it shows each list bounded."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import Role
from patients.models import IntakeSubmission
from sessions.models import TreatmentSession
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    FollowUpFactory,
    MembershipFactory,
    PatientFactory,
    TreatmentSessionFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, memberships (access and the list), today on the book (its counts, its rows),
# today, recent, drafts, attention, follow-ups and the audit row (today 3 statements: the
# chain's lock, its tail, the insert; inside the test's transaction its atomic block adds a
# savepoint and its release).
MAX_QUERIES = 14


def _a_day_of_work(clinic, therapist, manager, *, patients: int) -> None:
    now = timezone.now()
    for i in range(patients):
        person = PatientFactory(clinic=clinic, first_name=f"Person{i}")
        TreatmentSessionFactory(patient=person, therapist=therapist, started_at=now)
        TreatmentSessionFactory(
            patient=person,
            therapist=therapist,
            started_at=now - dt.timedelta(days=2),
            status=TreatmentSession.Status.SIGNED,
            signed_at=now,
            signed_by=therapist,
        )
        FollowUpFactory(patient=person, due_at=now + dt.timedelta(minutes=5))
        AppointmentFactory(
            patient=person,
            therapist=therapist,
            # Seconds apart, each call's apart: one therapist's appointments never overlap.
            starts_at=now + dt.timedelta(seconds=patients * 50 + i),
            ends_at=now + dt.timedelta(seconds=patients * 50 + i + 1),
            status="arrived" if i % 2 else "booked",
        )
        IntakeSubmission.objects.create(
            clinic=clinic,
            patient=person,
            status="submitted",
            submitted_at=now,
            consent_to_treatment=True,
            signed_at=now,
            signature_name=person.full_name,
            red_flags=[{"code": "anticoagulants", "details": "warfarin"}],
        )


def _queries_of_home(client, user, django_assert_max_num_queries) -> int:
    client.force_login(user)
    client.get("/")  # the session's first save is not the page's
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["therapist", "front_desk", "manager"])
def test_the_home_page_runs_the_same_few_queries_for_a_small_and_a_busy_clinic(
    client, role, therapist, front_desk, manager, clinic_a, django_assert_max_num_queries, request
):
    user = request.getfixturevalue(role)
    _a_day_of_work(clinic_a, therapist, manager, patients=2)
    small = _queries_of_home(client, user, django_assert_max_num_queries)

    _a_day_of_work(clinic_a, therapist, manager, patients=40)
    MembershipFactory(clinic=ClinicFactory(), user=user, role=Role.FRONT_DESK)  # a 2nd clinic
    busy = _queries_of_home(client, user, django_assert_max_num_queries)

    assert busy == small


def test_the_home_page_lists_are_bounded_and_show_todays_work(client, therapist, clinic_a):
    _a_day_of_work(clinic_a, therapist, None, patients=40)
    client.force_login(therapist)
    page = client.get("/").content.decode()
    assert "Person39 " in page  # today's sessions: 40 fit
    assert "More sessions today" not in page
    assert page.count("Intake to review") == 30  # needs attention: the first 30
    assert "Harbour Street Clinic" in page and "Therapist" in page

    _a_day_of_work(clinic_a, therapist, None, patients=11)
    page = client.get("/").content.decode()
    assert page.count('href="/sessions/') == 50 + 30  # today's first fifty, thirty drafts
    assert "More sessions today: the first fifty are shown." in page
