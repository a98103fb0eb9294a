"""Every staff sign-in needs a TOTP code after the password; nothing clinical is reachable
before it."""

import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, TOTPDevice
from clinic.second_factor import recovery_codes_issue

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _password_only(username) -> Client:
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def _code(user, steps_ahead=0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time() + 30 * steps_ahead)


def test_a_password_alone_reaches_no_patient_data(therapist, patient):
    browser = _password_only("alice")
    for url in ("/", f"/patients/{patient.pk}/", "/patients/", "/intakes/", "/admin/"):
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/second-factor/")
    assert browser.get("/api/v1/patients/").status_code == 403
    assert (
        patient.last_name
        not in browser.get(f"/patients/{patient.pk}/", follow=True).content.decode()
    )


def test_first_sign_in_enrols_the_app_with_a_qr_code_then_shows_recovery_codes(therapist):
    browser = _password_only("alice")
    page = browser.get(reverse("second_factor")).content.decode()
    assert "data:image/svg+xml" in page
    response = browser.post(
        reverse("second_factor"), {"code": _code(therapist), "next": "/patients/"}
    )
    assert response.status_code == 200
    assert response.content.decode().count("<code>") == 10
    assert TOTPDevice.objects.get(user=therapist).confirmed_at is not None
    assert browser.get("/patients/").status_code == 200


def test_a_wrong_or_replayed_code_is_refused_and_audited(therapist):
    browser = _password_only("alice")
    browser.get(reverse("second_factor"))
    good = _code(therapist)
    assert browser.post(reverse("second_factor"), {"code": "000000"}).status_code == 400
    assert AuditEvent.objects.filter(action="login_failed", actor_label="alice").count() == 1
    browser.post(reverse("second_factor"), {"code": good})
    again = _password_only("alice")
    assert again.post(reverse("second_factor"), {"code": good}).status_code == 400
    assert again.get("/patients/").status_code == 302


def test_guessing_codes_locks_the_accounts_code_step(therapist):
    browser = _password_only("alice")
    browser.get(reverse("second_factor"))
    for _ in range(5):
        browser.post(reverse("second_factor"), {"code": "123456"})
    response = browser.post(reverse("second_factor"), {"code": _code(therapist)})
    assert response.status_code == 429
    assert "code step is locked" in response.content.decode()
    assert browser.get("/patients/").status_code == 302


def test_a_recovery_code_works_once(therapist):
    browser = _password_only("alice")
    browser.get(reverse("second_factor"))
    browser.post(reverse("second_factor"), {"code": _code(therapist)})
    code = recovery_codes_issue(user=therapist)[0]
    first = _password_only("alice")
    assert first.post(reverse("second_factor"), {"recovery_code": code}).status_code == 302
    assert first.get("/patients/").status_code == 200
    second = _password_only("alice")
    assert second.post(reverse("second_factor"), {"recovery_code": code}).status_code == 400


def _enrolled(user) -> None:
    TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now())


def test_an_api_token_needs_the_password_and_the_authenticator_code(therapist, patient):
    _enrolled(therapist)
    api = Client()
    url = reverse("api-token")
    no_code = api.post(url, {"username": "alice", "password": PASSWORD, "code": "000000"})
    assert no_code.status_code == 400 and "code" in no_code.json()
    token = api.post(url, {"username": "alice", "password": PASSWORD, "code": _code(therapist)})
    assert token.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Token {token.json()['token']}"}
    assert Client().get("/api/v1/patients/", **auth).json()["count"] == 1


def test_the_api_token_path_is_locked_like_the_sign_in_page(therapist):
    _enrolled(therapist)
    api = Client()
    url = reverse("api-token")
    for _ in range(5):
        api.post(url, {"username": "alice", "password": "wrong", "code": "000000"})
    refused = api.post(url, {"username": "alice", "password": PASSWORD, "code": _code(therapist)})
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.json()["detail"]


def test_the_demo_can_be_tried_without_a_phone(therapist):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="sign in with the password first"):
        call_command("authenticator_code", "alice")
    browser = _password_only("alice")
    browser.get(reverse("second_factor"))  # the first sign-in starts the enrolment
    out = StringIO()
    call_command("authenticator_code", "alice", stdout=out)
    assert (
        browser.post(reverse("second_factor"), {"code": out.getvalue().strip()}).status_code == 200
    )
