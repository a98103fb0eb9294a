import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from clinic.models import Role
from patients.models import (
    FunctionalScore,
    IntakeInvitation,
    IntakeSubmission,
    PainCourse,
    PainScore,
    Patient,
)
from patients.selectors import active_red_flags, red_flag_intakes
from patients.services import intake_red_flags_clear
from tests.factories import MembershipFactory, PatientFactory

from .intake_helpers import fill, invite, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(client, front_desk, clinic_a):
    """A new patient's intake, filled and sent: red flags osteoporosis and anticoagulants."""
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    submit(client, token)
    return IntakeSubmission.objects.get()


def test_front_desk_sees_the_queue_and_who_filled_it_but_no_health_answers(
    client, front_desk, submitted
):
    client.force_login(front_desk)
    queue = client.get("/intakes/").content.decode()
    assert "Pat Example" in queue and "To review" in queue
    assert "Red flags" not in queue

    page = client.get(f"/intakes/{submitted.pk}/").content.decode()
    assert "Pat Example" in page and "1980-05-17" in page
    for clinical in ("Neck and shoulder pain", "Apixaban", "Diagnosed 2023", "Typing"):
        assert clinical not in page
    assert "visible to clinical staff only" in page


def test_a_therapist_reads_the_answers_and_the_red_flags(client, therapist, submitted):
    client.force_login(therapist)
    assert "Red flags" in client.get("/intakes/").content.decode()
    page = client.get(f"/intakes/{submitted.pk}/").content.decode()
    assert "Neck and shoulder pain after desk work" in page
    assert "Osteoporosis" in page and "Diagnosed 2023" in page
    assert "Apixaban since 2024" in page
    assert "Typing for an hour" in page and "4/10" in page


def test_linking_creates_the_patient_and_records_intake_pain_and_psfs_scores(
    client, therapist, submitted
):
    client.force_login(therapist)
    response = client.post(f"/intakes/{submitted.pk}/", {"patient": "new"})
    assert response.status_code == 302

    patient = Patient.objects.get(last_name="Example")
    submitted.refresh_from_db()
    assert submitted.patient == patient and submitted.status == "reviewed"
    assert submitted.reviewed_by == therapist
    pain = PainScore.objects.filter(patient=patient).values_list(
        "source", "region", "side", "score", "recorded_at"
    )
    assert sorted(pain) == [
        ("intake", "neck_back", "midline", 6, submitted.submitted_at),
        ("intake", "shoulder", "right", 7, submitted.submitted_at),
    ]
    # Each rating is the baseline of a course the outcome report counts from now on.
    courses = PainCourse.objects.filter(patient=patient).values_list("region", "baseline", "latest")
    assert sorted(courses) == [("neck_back", 6, None), ("shoulder", 7, None)]
    psfs = FunctionalScore.objects.filter(patient=patient).values_list("item", "activity", "score")
    assert list(psfs) == [(1, "Typing for an hour", 4), (2, "Swimming 1 km", 3)]
    assert patient.consents_to_email and patient.preferred_channel == "email"
    assert patient.activity_profile == "sedentary" and patient.phone == "+1 416 555 0100"


def test_front_desk_links_an_intake_to_the_matching_existing_patient(
    client, front_desk, clinic_a, submitted
):
    existing = PatientFactory(clinic=clinic_a, first_name="Pat", last_name="Example")
    PatientFactory(clinic=clinic_a, first_name="Pat", last_name="Unrelated")
    client.force_login(front_desk)
    page = client.get(f"/intakes/{submitted.pk}/").content.decode()
    assert f'value="{existing.pk}"' in page and "Unrelated" not in page

    client.post(f"/intakes/{submitted.pk}/", {"patient": str(existing.pk)})

    assert Patient.objects.filter(last_name="Example").count() == 1
    assert PainScore.objects.filter(patient=existing, source="intake").count() == 2


def test_an_intake_is_linked_once(client, therapist, submitted):
    client.force_login(therapist)
    client.post(f"/intakes/{submitted.pk}/", {"patient": "new"})
    again = client.post(f"/intakes/{submitted.pk}/", {"patient": "new"})
    assert again.status_code == 200
    assert Patient.objects.count() == 1 and PainScore.objects.count() == 2


def test_staff_of_another_clinic_cannot_see_or_link_an_intake(client, stranger, submitted):
    client.force_login(stranger)
    assert submitted.pk and "Pat Example" not in client.get("/intakes/").content.decode()
    assert client.get(f"/intakes/{submitted.pk}/").status_code == 404
    assert client.post(f"/intakes/{submitted.pk}/", {"patient": "new"}).status_code == 404
    assert not Patient.objects.exists()


def test_red_flags_stay_on_the_chart_until_a_therapist_clears_them_with_a_note(
    client, therapist, submitted
):
    client.force_login(therapist)
    client.post(f"/intakes/{submitted.pk}/", {"patient": "new"})
    patient = Patient.objects.get()
    assert {f["code"] for f in active_red_flags(patient=patient)} == {
        "osteoporosis",
        "anticoagulants",
    }

    no_note = client.post(f"/intakes/{submitted.pk}/clear-red-flags/", {"note": ""})
    assert no_note.status_code == 400 and "This field is required." in no_note.content.decode()
    assert active_red_flags(patient=patient)

    client.post(
        f"/intakes/{submitted.pk}/clear-red-flags/",
        {"note": "Light pressure only; GP confirms apixaban dose is stable."},
    )
    assert active_red_flags(patient=patient) == []
    submitted.refresh_from_db()
    assert submitted.red_flags_cleared_by == therapist
    assert submitted.red_flags_clearance_note.startswith("Light pressure only")
    assert "Cleared by" in client.get(f"/intakes/{submitted.pk}/").content.decode()


def test_only_a_therapist_clears_red_flags(client, front_desk, manager, submitted):
    client.force_login(front_desk)
    response = client.post(f"/intakes/{submitted.pk}/clear-red-flags/", {"note": "fine"})
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        intake_red_flags_clear(intake_id=submitted.pk, user=manager, note="fine")
    submitted.refresh_from_db()
    assert submitted.red_flags_cleared_at is None


def test_the_queue_runs_a_fixed_number_of_queries(
    client, front_desk, therapist, clinic_a, django_assert_max_num_queries
):
    for n in range(5):
        token = invite(clinic=clinic_a, by=front_desk, email=f"p{n}@example.com")
        fill(client, token)
        submit(client, token)
    client.force_login(therapist)
    # session, user, memberships, count, one page; and 5 for the audit row (its savepoint too)
    with django_assert_max_num_queries(10):
        page = client.get("/intakes/").content.decode()
    assert page.count("/intakes/") >= 5


def test_the_review_page_runs_a_fixed_number_of_queries(
    client, therapist, submitted, django_assert_max_num_queries
):
    client.force_login(therapist)
    with django_assert_max_num_queries(12):  # 5 of them write the audit row
        assert client.get(f"/intakes/{submitted.pk}/").status_code == 200


def test_staff_cannot_send_a_link_for_another_clinics_patient(client, front_desk, patient_b):
    client.force_login(front_desk)
    assert client.get(f"/intakes/invite/?patient={patient_b.pk}").status_code == 404
    response = client.post(f"/intakes/invite/?patient={patient_b.pk}", {"email": "x@example.com"})
    assert response.status_code == 404


def test_a_mistyped_email_on_the_invite_form_is_marked_and_kept(client, front_desk):
    client.force_login(front_desk)
    response = client.post("/intakes/invite/", {"email": "pat@example", "language": "es"})
    page = response.content.decode()
    assert response.status_code == 200 and 'value="pat@example"' in page
    assert "Enter a valid email address." in page
    assert not mail.outbox


def test_the_queue_is_paged(client, front_desk, clinic_a, monkeypatch):
    monkeypatch.setattr("patients.views.review.QUEUE_PAGE_SIZE", 2)
    for n in range(3):
        token = invite(clinic=clinic_a, by=front_desk, email=f"p{n}@example.com")
        fill(client, token)
        submit(client, token)
    client.force_login(front_desk)
    first = client.get("/intakes/").content.decode()
    second = client.get("/intakes/?page=2").content.decode()
    assert "Page 1 of 2" in first and first.count("/intakes/") - second.count("/intakes/") == 1


def test_the_chart_can_list_the_intakes_whose_red_flags_are_active(
    client, therapist, front_desk, submitted
):
    client.force_login(therapist)
    client.post(f"/intakes/{submitted.pk}/", {"patient": "new"})
    patient = Patient.objects.get()

    (listed,) = red_flag_intakes(user=therapist, patient=patient)
    assert listed["intake_id"] == submitted.pk and len(listed["flags"]) == 2
    assert red_flag_intakes(user=front_desk, patient=patient) == []
    client.post(f"/intakes/{submitted.pk}/clear-red-flags/", {"note": "Checked with the GP."})
    assert red_flag_intakes(user=therapist, patient=patient) == []


def test_staff_of_several_clinics_choose_the_clinic_of_a_new_patients_link(
    client, front_desk, clinic_b
):
    MembershipFactory(clinic=clinic_b, role=Role.FRONT_DESK, user=front_desk)
    client.force_login(front_desk)
    client.post(
        "/intakes/invite/", {"email": "new@example.com", "language": "en", "clinic": clinic_b.pk}
    )
    assert IntakeInvitation.objects.get().clinic == clinic_b
