"""Shared by the intake tests: an invitation made through the real service, and a valid answer
for every step as the form posts it."""

from clinic.tokens import token_hash
from patients.forms import SCREENED_FLAGS
from patients.models import IntakeInvitation
from patients.services import intake_invite


def invite(*, clinic, by, patient=None, email="pat@example.com", language="en") -> str:
    """Create an invitation the way front desk does; returns the raw token of its link."""
    links = []
    intake_invite(
        clinic=clinic,
        created_by=by,
        patient=patient,
        email=email,
        language=language,
        build_link=lambda raw: links.append(raw) or f"http://testserver/intake/{raw}/",
    )
    assert IntakeInvitation.objects.filter(token_hash=token_hash(links[0])).exists()
    return links[0]


def valid_steps() -> dict[int, dict]:
    red_flags = {flag.value: "no" for flag in SCREENED_FLAGS}
    red_flags |= {"osteoporosis": "yes", "osteoporosis_details": "Diagnosed 2023, on treatment"}
    return {
        1: {
            "first_name": "Pat",
            "last_name": "Example",
            "date_of_birth": "1980-05-17",
            "email": "pat@example.com",
            "phone": "+1 416 555 0100",
            "occupation": "Accountant",
        },
        2: {"chief_complaint": "Neck and shoulder pain after desk work", "health_history": ""},
        3: red_flags,
        4: {
            "medications": "Apixaban 5 mg twice a day",
            "takes_anticoagulants": "yes",
            "anticoagulant_details": "Apixaban since 2024",
        },
        5: {"pain_neck_back_midline": "6", "pain_shoulder_right": "7"},
        6: {
            "onset_date": "2026-06-01",
            "duration_category": "chronic",
            "eases": "Heat",
            "worsens": "Long meetings",
        },
        7: {"activity_profile": "sedentary", "postures": "Desk 8 h a day", "sport": "Swimming"},
        8: {
            "goals": "Work a full day without pain",
            "activity_1": "Typing for an hour",
            "score_1": "4",
            "activity_2": "Swimming 1 km",
            "score_2": "3",
        },
        9: {
            "consent_to_treatment": "on",
            "consent_to_reminders": "on",
            "reminder_channel": "email",
            "signature_name": "Pat Example",
        },
    }


def fill(client, token: str, steps=range(1, 10)) -> None:
    """Post the given steps' valid answers, each as its own page would."""
    answers = valid_steps()
    for number in steps:
        response = client.post(f"/intake/{token}/", {"step": number, **answers[number]})
        assert response.status_code == 302, (number, response.content[:2000])


def submit(client, token: str):
    return client.post(f"/intake/{token}/", {"step": 10})
