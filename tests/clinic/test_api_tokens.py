"""API tokens: a new key per issue, stored hashed, with an idle and an absolute lifetime, ended
by sign-out, a password change, deactivation and role loss, listed and revoked by their owner."""

import datetime as dt
import hashlib
import re
from io import StringIO

import pyotp
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.api_tokens import api_token_issue
from clinic.models import ApiToken, AuditEvent, Membership, Role, TOTPDevice
from tests.api_client import api_as
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _enrolled(user) -> None:
    TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now())


def _issue(user, **extra) -> str:
    """A token from the endpoint, the way an integrator gets one."""
    device = TOTPDevice.objects.get(user=user)
    device.last_step = 0  # each call may reuse the current code in these tests
    device.save()
    response = Client().post(
        reverse("api-token"),
        {"username": user.username, "password": PASSWORD, "code": pyotp.TOTP(device.secret).now()},
        **extra,
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _api(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def _works(key: str) -> bool:
    status = _api(key).get("/api/v1/patients/").status_code
    assert status in (200, 401), status
    return status == 200


def test_each_issue_gives_a_new_key_stored_only_as_a_hash(therapist, patient):
    _enrolled(therapist)
    first, second = _issue(therapist), _issue(therapist)
    assert first != second and _works(first) and _works(second)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM clinic_apitoken")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert first not in stored and second not in stored
    assert hashlib.sha256(first.encode()).hexdigest() in stored
    issued = AuditEvent.objects.filter(action="login", object_type="clinic.apitoken")
    assert issued.count() == 2


def test_the_old_authtoken_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


def test_the_token_answer_says_when_it_ends(therapist):
    _enrolled(therapist)
    device = TOTPDevice.objects.get(user=therapist)
    body = (
        Client()
        .post(
            reverse("api-token"),
            {
                "username": "alice",
                "password": PASSWORD,
                "code": pyotp.TOTP(device.secret).now(),
            },
        )
        .json()
    )
    assert set(body) == {"token", "expires_at", "idle_minutes"}


@override_settings(API_TOKEN_IDLE_MINUTES=30, API_TOKEN_MAX_HOURS=12)
def test_a_token_ends_after_its_idle_time(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    assert _works(key)
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=31))
    assert not _works(key)


@override_settings(API_TOKEN_IDLE_MINUTES=30, API_TOKEN_MAX_HOURS=12)
def test_a_token_in_use_still_ends_at_its_absolute_lifetime(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    now = timezone.now()
    ApiToken.objects.update(created_at=now - dt.timedelta(hours=12, seconds=1), last_used_at=now)
    assert not _works(key)


def test_a_token_backdated_four_hundred_days_is_refused(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    past = timezone.now() - dt.timedelta(days=400)
    ApiToken.objects.update(created_at=past, last_used_at=past)
    assert not _works(key)


def test_use_is_recorded_with_time_and_address_at_most_once_a_minute(
    therapist, patient, django_assert_max_num_queries
):
    _enrolled(therapist)
    key = _issue(therapist, REMOTE_ADDR="192.0.2.10")
    _api(key).get("/api/v1/patients/", REMOTE_ADDR="192.0.2.11")
    token = ApiToken.objects.get()
    assert token.created_ip == "192.0.2.10" and token.last_used_ip == "192.0.2.11"
    used = token.last_used_at
    _api(key).get("/api/v1/patients/", REMOTE_ADDR="192.0.2.12")
    assert ApiToken.objects.get().last_used_at == used


def test_signing_out_of_the_api_revokes_the_token_used(therapist):
    _enrolled(therapist)
    used, other = _issue(therapist), _issue(therapist)
    assert _api(used).post(reverse("api-logout")).status_code == 204
    assert not _works(used) and _works(other)
    revoked = AuditEvent.objects.get(action="token_revoke")
    assert revoked.actor == therapist


def test_a_password_change_ends_every_token(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    therapist.set_password("a-new-long-passphrase")
    therapist.save()
    assert not _works(key)
    assert ApiToken.objects.get().revoked_reason == ApiToken.Reason.PASSWORD_CHANGED
    assert AuditEvent.objects.filter(action="token_revoke").count() == 1


def test_a_password_changed_behind_the_applications_back_ends_every_token(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    with connection.cursor() as cursor:  # no signal runs: the token's grant no longer matches
        cursor.execute("UPDATE auth_user SET password = 'x' WHERE id = %s", [therapist.pk])
    assert not _works(key)


def test_deactivating_the_user_ends_every_token(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    therapist.is_active = False
    therapist.save()
    assert not _works(key)
    assert ApiToken.objects.get().revoked_reason == ApiToken.Reason.DEACTIVATED


def test_switching_off_every_membership_ends_every_token(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    Membership.objects.filter(user=therapist).update(is_active=False)  # bulk: no signal
    assert not _works(key)


@pytest.mark.parametrize("change", ["role", "removed", "deactivated"])
def test_losing_a_role_ends_every_token(therapist, clinic_b, change):
    _enrolled(therapist)
    MembershipFactory(user=therapist, clinic=clinic_b, role=Role.THERAPIST)
    key = _issue(therapist)
    membership = therapist.memberships.get(clinic__slug="harbour")
    if change == "role":
        membership.role = Role.FRONT_DESK
        membership.save()
    elif change == "removed":
        membership.delete()
    else:
        membership.is_active = False
        membership.save()
    assert not _works(key)
    assert ApiToken.objects.get().revoked_reason == ApiToken.Reason.ROLE_CHANGED


def test_a_role_changed_by_a_bulk_update_ends_every_token(therapist):
    _enrolled(therapist)
    key = _issue(therapist)
    Membership.objects.filter(user=therapist).update(role=Role.FRONT_DESK)
    assert not _works(key)


def test_a_token_of_a_user_without_an_authenticator_is_never_issued(therapist):
    response = Client().post(
        reverse("api-token"), {"username": "alice", "password": PASSWORD, "code": "123456"}
    )
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_staff_see_their_tokens_and_revoke_one(client, therapist, manager):
    _enrolled(therapist)
    _enrolled(manager)
    mine, kept = _issue(therapist, REMOTE_ADDR="192.0.2.20"), _issue(therapist)
    _issue(manager)
    client.force_login(therapist)
    page = client.get(reverse("api_tokens"))
    text = page.content.decode()
    assert page.status_code == 200 and "192.0.2.20" in text
    assert mine not in text and kept not in text  # keys are never shown again
    assert len(re.findall(r'action="/tokens/\d+/revoke"', text)) == 2  # not the manager's
    token = ApiToken.objects.get(created_ip="192.0.2.20")
    response = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert not _works(mine) and _works(kept)
    revoked = AuditEvent.objects.get(action="token_revoke")
    assert (revoked.actor, revoked.object_id) == (therapist, str(token.pk))


def test_nobody_revokes_another_persons_token(client, therapist, manager):
    _enrolled(manager)
    key = _issue(manager)
    client.force_login(therapist)
    token = ApiToken.objects.get()
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert _works(key)


def test_revoke_all_ends_every_token_of_the_caller(client, therapist):
    _enrolled(therapist)
    keys = [_issue(therapist) for _ in range(3)]
    client.force_login(therapist)
    assert client.post(reverse("api_tokens_revoke_all")).status_code == 302
    assert not any(_works(k) for k in keys)
    assert AuditEvent.objects.filter(action="token_revoke").count() == 3


def test_the_command_line_issues_a_token_and_drf_authtoken_is_gone(therapist, patient):
    out = StringIO()
    call_command("api_token_issue", "alice", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert _works(key)
    assert AuditEvent.objects.filter(object_type="clinic.apitoken", actor_label="system").exists()
    with pytest.raises(Exception, match="Unknown command"):
        call_command("drf_create_token", "alice")


def test_a_token_works_only_with_its_exact_key(therapist):
    _, key = api_token_issue(user=therapist)
    for forged in (key[:-1], key + "x", key.upper(), "", "é" * 10):
        response = APIClient().get("/api/v1/patients/", HTTP_AUTHORIZATION=f"Token {forged}")
        assert response.status_code == 401, forged


# 16. The API's description is for signed-in staff.


def test_the_api_schema_and_docs_need_a_signed_in_staff_member(client, therapist):
    assert client.get("/api/schema/").status_code == 401
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs["Location"].startswith("/accounts/login/")
    _, key = api_token_issue(user=therapist)
    assert _api(key).get("/api/schema/").status_code == 200
    client.force_login(therapist)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_a_password_alone_does_not_open_the_api_docs(therapist):
    browser = Client()
    browser.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert browser.get("/api/schema/").status_code == 403
    assert browser.get("/api/docs/").status_code in (302, 403)


@pytest.mark.postgres
def test_a_token_request_looks_up_the_token_its_user_and_their_clinics_in_one_query(
    therapist, patient
):
    """Issue 19: the trends' cost beside the request floor was mostly lookups. On PostgreSQL
    the token, its user and the user's memberships come in one query; no second lookup of the
    memberships follows, and the answer still depends on them (a stranger gets 404)."""
    api = api_as(therapist)
    url = f"/api/v1/reports/patients/{patient.pk}/pain-trend/"
    api.get(url)  # the token's last use is written at most once a minute: not in the count
    with CaptureQueriesContext(connection) as queries:
        assert api.get(url).status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert sum('FROM "clinic_apitoken"' in sql for sql in statements) == 1
    assert not [sql for sql in statements if sql.startswith('SELECT "clinic_membership"')]
    # token (with memberships), the patient in scope, its audit row, the trend
    assert len(statements) == 4, statements
