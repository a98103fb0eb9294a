import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from clinic.tokens import token_hash
from patients.forms import pain_regions
from patients.models import IntakeInvitation, IntakeSubmission, PainScore
from tests.factories import PatientFactory

from .intake_helpers import fill, invite, submit, valid_steps

pytestmark = pytest.mark.django_db


def test_front_desk_emails_an_intake_link_whose_token_is_stored_only_as_a_hash(
    client, front_desk, patient, django_capture_on_commit_callbacks
):
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/intakes/invite/?patient={patient.pk}", {"email": "pat@example.com", "language": ""}
        )

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"]
    raw = re.search(r"http://testserver/intake/([\w-]+)/", message.body).group(1)
    invitation = IntakeInvitation.objects.get()
    assert invitation.token_hash == token_hash(raw) != raw
    assert not IntakeInvitation.objects.filter(token_hash=raw).exists()
    assert invitation.patient == patient and invitation.created_by == front_desk
    valid_for = invitation.expires_at - invitation.created_at
    assert dt.timedelta(days=14) - dt.timedelta(minutes=1) < valid_for <= dt.timedelta(days=14)


def test_an_invitation_email_is_written_in_the_patients_language(
    front_desk, clinic_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(clinic=clinic_a, by=front_desk, language="es")
    assert "antes de su" in mail.outbox[0].subject
    assert "El enlace es personal" in mail.outbox[0].body


def test_the_intake_link_opens_with_the_first_name_only_never_the_details_on_file(
    client, front_desk, clinic_a, patient
):
    patient.phone, patient.occupation = "+34 600 111 222", "Harbour pilot"
    patient.save()
    token = invite(clinic=clinic_a, by=front_desk, patient=patient)
    page = client.get(f"/intake/{token}/").content.decode()
    assert "Step 1 of 10" in page
    assert 'value="Pat"' in page
    for on_file in ("Example", "1980-05-17", patient.email, "600 111 222", "Harbour pilot"):
        assert on_file not in page, on_file
    assert not IntakeSubmission.objects.exists(), "opening the link writes nothing"


def test_a_patient_fills_every_step_and_resumes_where_they_stopped(client, front_desk, clinic_a):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token, steps=range(1, 4))

    client.cookies.clear()  # the tab is closed; only the link is left
    page = client.get(f"/intake/{token}/").content.decode()
    assert "Step 4 of 10" in page
    back = client.get(f"/intake/{token}/?step=1").content.decode()
    assert 'value="Example"' in back, "an earlier step shows what was saved"
    ahead = client.get(f"/intake/{token}/?step=9").content.decode()
    assert "Step 4 of 10" in ahead, "steps not reached yet cannot be skipped to"

    fill(client, token, steps=range(4, 10))
    review = client.get(f"/intake/{token}/").content.decode()
    assert "Step 10 of 10" in review and "Typing for an hour" in review
    assert "Diagnosed 2023" in review


def test_submitting_writes_the_clinical_columns_and_uses_up_the_link(client, front_desk, clinic_a):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    submission = IntakeSubmission.objects.get()
    assert submission.status == "in_progress" and submission.chief_complaint == ""
    assert submission.red_flags == [] and submission.signed_at is None

    response = submit(client, token)

    assert response.status_code == 302 and "/intake/thanks/" in response["Location"]
    submission.refresh_from_db()
    assert submission.status == "submitted" and submission.submitted_at
    assert submission.chief_complaint == "Neck and shoulder pain after desk work"
    assert submission.duration_category == "chronic"
    assert submission.onset_date == dt.date(2026, 6, 1)
    assert submission.takes_anticoagulants
    assert {f["code"] for f in submission.red_flags} == {"osteoporosis", "anticoagulants"}
    assert submission.signature_name == "Pat Example"
    assert submission.signed_at <= submission.submitted_at
    assert submission.consent_to_treatment and submission.consent_to_reminders
    assert IntakeInvitation.objects.get().used_at == submission.submitted_at
    assert not PainScore.objects.exists(), "ratings become pain scores when staff link it"


def test_an_anticoagulant_named_in_the_medicines_is_flagged_even_if_the_box_says_no(
    client, front_desk, clinic_a
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token, steps=range(1, 4))
    client.post(
        f"/intake/{token}/",
        {"step": 4, "medications": "Warfarin 3 mg", "takes_anticoagulants": "no"},
    )
    fill(client, token, steps=range(5, 10))
    submit(client, token)
    submission = IntakeSubmission.objects.get()
    assert submission.takes_anticoagulants
    assert {"code": "anticoagulants", "details": "Warfarin"} in submission.red_flags


@pytest.mark.parametrize(
    ("step", "changes", "field", "kept"),
    [
        (1, {"date_of_birth": "2999-01-01"}, "date_of_birth", ['value="2999-01-01"', "Accountant"]),
        (5, {"pain_shoulder_right": "12"}, "pain_shoulder_right", ['value="12"', 'value="6"']),
        (8, {"score_2": "12"}, "score_2", ['value="12"', "Typing for an hour"]),
        (9, {"signature_name": "   "}, "signature_name", ["checked"]),
        (3, {"dvt": "yes", "dvt_details": ""}, "dvt_details", ["Diagnosed 2023"]),
    ],
)
def test_invalid_answers_keep_everything_typed_mark_the_field_and_save_nothing(
    client, front_desk, clinic_a, step, changes, field, kept
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token, steps=range(1, step))
    before = IntakeSubmission.objects.filter().values_list("answers", "current_step").first()

    response = client.post(f"/intake/{token}/", {"step": step, **valid_steps()[step], **changes})

    assert response.status_code == 400
    page = response.content.decode()
    marked = page.split(f'id="field-{field}"', 1)[1].split('id="field-', 1)[0]
    assert "field-error" in marked, "the message sits next to its field"
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    for value in kept:
        assert value in page
    after = IntakeSubmission.objects.filter().values_list("answers", "current_step").first()
    assert after == before


def test_sending_before_every_step_is_valid_writes_nothing(client, front_desk, clinic_a):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    submission = IntakeSubmission.objects.get()
    # A stored step no longer valid (e.g. saved by an older form) sends the patient back to it.
    submission.answers["consent"].pop("signature_name")
    submission.save()

    response = submit(client, token)

    assert response.status_code == 302 and response["Location"].endswith("?step=9")
    submission.refresh_from_db()
    assert submission.status == "in_progress" and submission.red_flags == []
    assert IntakeInvitation.objects.get().used_at is None


def _used_token(client, clinic, by):
    token = invite(clinic=clinic, by=by)
    fill(client, token)
    submit(client, token)
    return token


def _expired_token(client, clinic, by):
    token = invite(clinic=clinic, by=by)
    fill(client, token, steps=[1])
    IntakeInvitation.objects.filter(token_hash=token_hash(token)).update(
        created_at=timezone.now() - dt.timedelta(days=15),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    return token


def _forged_token(client, clinic, by):
    invite(clinic=clinic, by=by)
    return "x" * 43


@pytest.mark.parametrize("make_token", [_used_token, _expired_token, _forged_token])
def test_used_expired_and_forged_links_cannot_read_or_change_anything(
    client, front_desk, clinic_a, make_token
):
    token = make_token(client, clinic_a, front_desk)
    before = list(IntakeSubmission.objects.values())

    pages = [
        client.get(f"/intake/{token}/"),
        client.get(f"/intake/{token}/?step=10"),
        client.post(f"/intake/{token}/", {"step": 1, **valid_steps()[1], "first_name": "Eve"}),
        client.post(f"/intake/{token}/", {"step": 10}),
    ]

    for response in pages:
        assert response.status_code == 404
        assert "This link cannot be opened" in response.content.decode()
        assert "Pat" not in response.content.decode()
    assert list(IntakeSubmission.objects.values()) == before
    # The same words whatever the reason: nothing tells whether the token existed.
    assert len({r.content for r in pages}) == 1


def test_every_unusable_link_shows_the_same_page(client, front_desk, clinic_a):
    used = client.get(f"/intake/{_used_token(client, clinic_a, front_desk)}/").content
    expired = client.get(f"/intake/{_expired_token(client, clinic_a, front_desk)}/").content
    forged = client.get("/intake/not-a-real-token/").content
    assert used == expired == forged


def test_guessing_tokens_is_rate_limited_per_address(client, front_desk, clinic_a, settings):
    settings.LINK_GUESS_LIMIT = 3
    token = invite(clinic=clinic_a, by=front_desk)
    for guess in range(3):
        assert client.get(f"/intake/guess-{guess}/").status_code == 404

    refused = client.get(f"/intake/{token}/")

    assert refused.status_code == 429
    assert "too many attempts" in refused.content.decode()
    other_address = client.get(f"/intake/{token}/", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200


def test_a_link_for_one_patient_never_shows_another_patients_data(
    client, front_desk, clinic_a, patient
):
    other = PatientFactory(clinic=clinic_a, first_name="Quentin", last_name="Other")
    other_token = invite(clinic=clinic_a, by=front_desk, patient=other, email="q@example.com")
    fill(client, other_token, steps=range(1, 3))
    token = invite(clinic=clinic_a, by=front_desk, patient=patient)

    pages = [client.get(f"/intake/{token}/?step={n}").content.decode() for n in (1, 2, 10)]

    for page in pages:
        assert "Quentin" not in page and "q@example.com" not in page
        assert "Neck and shoulder pain" not in page
    assert 'value="Pat"' in pages[0]


def test_the_form_follows_the_patients_language_or_else_the_browsers(client, front_desk, clinic_a):
    spanish = invite(clinic=clinic_a, by=front_desk, language="es")
    page = client.get(f"/intake/{spanish}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Paso 1 de 10" in page and "Fecha de nacimiento" in page

    browser = invite(clinic=clinic_a, by=front_desk, language="")
    assert (
        "Paso 1 de 10"
        in client.get(f"/intake/{browser}/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode()
    )
    assert (
        "Step 1 of 10"
        in client.get(f"/intake/{browser}/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    )


def test_errors_are_shown_in_spanish_on_a_spanish_form(client, front_desk, clinic_a):
    token = invite(clinic=clinic_a, by=front_desk, language="es")
    response = client.post(
        f"/intake/{token}/", {"step": 1, **valid_steps()[1], "date_of_birth": "2999-01-01"}
    )
    assert "La fecha de nacimiento no puede ser futura." in response.content.decode()


def test_a_change_made_from_the_review_page_returns_to_it(client, front_desk, clinic_a):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    response = client.post(
        f"/intake/{token}/", {"step": 2, "chief_complaint": "Lower back, mostly mornings"}
    )
    assert response["Location"].endswith("?step=10")
    review = client.get(response["Location"]).content.decode()
    assert "Lower back, mostly mornings" in review and "May 17, 1980" in review


def test_without_javascript_the_pain_map_is_a_list_of_every_region_to_rate(
    client, front_desk, clinic_a
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token, steps=range(1, 5))
    page = client.get(f"/intake/{token}/").content.decode()
    assert "Step 5 of 10" in page
    assert page.count('type="number" name="pain_') == len(pain_regions()) > 30
    assert 'name="pain_shoulder_left"' in page and 'name="pain_shoulder_right"' in page
