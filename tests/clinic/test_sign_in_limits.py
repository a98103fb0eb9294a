"""Limits on guessing, per account and per client address, on every path that signs someone in:
the staff form, the code step (authenticator and recovery codes), the API token endpoint and
the admin's sign-in page."""

import time

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from clinic.addresses import client_ip
from clinic.models import AuditEvent, SignInGuard, TOTPDevice
from clinic.second_factor import recovery_codes_issue
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _enrolled(user) -> None:
    TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now())


def _code(user) -> str:
    return pyotp.TOTP(TOTPDevice.objects.get(user=user).secret).now()


def _wrong_code(user) -> str:
    right = {
        pyotp.TOTP(TOTPDevice.objects.get(user=user).secret).at(time.time() + 30 * s)
        for s in (-1, 0, 1)
    }
    return next(c for c in ("123456", "654321", "111111", "222222") if c not in right)


def _password(browser: Client, username="alice", password=PASSWORD, **extra):
    return browser.post(reverse("login"), {"username": username, "password": password}, **extra)


# 1. Second-factor codes are counted on their own, per account, across sign-ins.


def test_alternating_password_and_four_wrong_codes_locks_the_code_step(therapist):
    _enrolled(therapist)
    browser = Client()
    for _ in range(2):  # password, 4 wrong codes, password again, 4 more...
        assert _password(browser).status_code == 302
        for _ in range(4):
            browser.post(reverse("second_factor"), {"code": _wrong_code(therapist)})
    assert _password(browser).status_code == 302
    refused = browser.post(reverse("second_factor"), {"code": _code(therapist)})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "manager" in refused.content.decode()
    assert browser.get("/patients/").status_code == 302
    locks = AuditEvent.objects.filter(action="lockout", actor_label="alice")
    assert locks.count() == 1 and locks.get().clinic_id == therapist.memberships.get().clinic_id


def test_recovery_codes_count_towards_the_same_code_lock(therapist):
    _enrolled(therapist)
    good = recovery_codes_issue(user=therapist)[0]
    browser = Client()
    for attempt in range(5):
        if attempt % 2 == 0:
            _password(browser)
        browser.post(reverse("second_factor"), {"recovery_code": "nope-nope"})
    _password(browser)
    assert browser.post(reverse("second_factor"), {"recovery_code": good}).status_code == 429
    assert browser.get("/patients/").status_code == 302


def test_the_token_endpoints_code_counts_towards_the_same_lock(therapist):
    _enrolled(therapist)
    api = Client()
    url = reverse("api-token")
    for _ in range(5):  # the right password each time: only the code is guessed
        api.post(url, {"username": "alice", "password": PASSWORD, "code": _wrong_code(therapist)})
    refused = api.post(url, {"username": "alice", "password": PASSWORD, "code": _code(therapist)})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "token" not in refused.json()
    # ...and the sign-in page's code step is locked as well: one lock per account.
    browser = Client()
    _password(browser)
    assert browser.post(reverse("second_factor"), {"code": _code(therapist)}).status_code == 429


def test_a_right_code_starts_the_code_count_again(therapist):
    _enrolled(therapist)
    browser = Client()
    _password(browser)
    for _ in range(4):
        browser.post(reverse("second_factor"), {"code": _wrong_code(therapist)})
    assert browser.post(reverse("second_factor"), {"code": _code(therapist)}).status_code == 302
    TOTPDevice.objects.filter(user=therapist).update(last_step=0)  # let the next code in
    again = Client()
    _password(again)
    for _ in range(4):
        again.post(reverse("second_factor"), {"code": _wrong_code(therapist)})
    assert again.post(reverse("second_factor"), {"code": _code(therapist)}).status_code == 302


def test_a_manager_sees_a_locked_colleague_and_unlocks_them(client, therapist, manager, stranger):
    _enrolled(therapist)
    browser = Client()
    _password(browser)
    for _ in range(5):
        browser.post(reverse("second_factor"), {"code": _wrong_code(therapist)})
    client.force_login(manager)
    page = client.get(reverse("audit_report")).content.decode()
    assert "alice" in page and reverse("sign_in_unlock", args=[therapist.pk]) in page
    assert client.post(reverse("sign_in_unlock", args=[therapist.pk])).status_code == 302
    assert not SignInGuard.objects.filter(username="alice").exists()
    unlock = AuditEvent.objects.get(action="unlock")
    assert unlock.actor == manager and unlock.object_id == str(therapist.pk)
    _password(browser)
    assert browser.post(reverse("second_factor"), {"code": _code(therapist)}).status_code == 302


def test_a_manager_cannot_unlock_another_clinics_staff(client, manager, stranger, therapist):
    _enrolled(stranger)
    browser = Client()
    _password(browser, "mallory")
    for _ in range(5):
        browser.post(reverse("second_factor"), {"code": _wrong_code(stranger)})
    client.force_login(manager)
    assert "mallory" not in client.get(reverse("audit_report")).content.decode()
    assert client.post(reverse("sign_in_unlock", args=[stranger.pk])).status_code == 404
    client.force_login(therapist)  # not a manager at all
    assert client.post(reverse("sign_in_unlock", args=[therapist.pk])).status_code == 404
    assert SignInGuard.objects.filter(username="mallory", locked_until__gt=timezone.now()).exists()


def test_an_administrator_unlocks_from_the_command_line(therapist):
    _enrolled(therapist)
    browser = Client()
    for _ in range(5):
        _password(browser, password="wrong")
    call_command("sign_in_unlock", "alice")
    assert _password(browser).status_code == 302
    assert AuditEvent.objects.filter(action="unlock", actor_label="system").count() == 1


def test_the_lock_is_checked_without_reading_the_audit_trail(django_assert_max_num_queries):
    from clinic.auth import lock_remaining

    with django_assert_max_num_queries(1):
        assert lock_remaining("alice", SignInGuard.Step.PASSWORD) == 0


# 2. Every sign-in path is throttled per client address as well as per account.


def test_spraying_sixty_usernames_from_one_address_is_throttled(db):
    browser = Client()
    statuses = [_password(browser, f"user{n}", "Winter2026!").status_code for n in range(60)]
    assert 429 in statuses
    first = statuses.index(429)
    assert first <= 20 and set(statuses[first:]) == {429}
    refused = _password(browser, "user99", "Winter2026!")
    assert int(refused["Retry-After"]) > 0
    assert "Too many" in refused.content.decode()
    # Another address is not held back.
    assert _password(browser, "user1", "x", REMOTE_ADDR="192.0.2.50").status_code == 200


def test_every_sign_in_path_answers_429_once_the_address_is_throttled(therapist):
    _enrolled(therapist)
    attacker = Client()
    for n in range(20):
        _password(attacker, f"nobody{n}", "guess")
    signed_in_half = Client()
    _password(signed_in_half, REMOTE_ADDR="192.0.2.9")  # password from elsewhere...
    paths = {
        "form": _password(attacker),
        "admin": attacker.post("/admin/login/", {"username": "alice", "password": PASSWORD}),
        "token": attacker.post(
            reverse("api-token"), {"username": "alice", "password": PASSWORD, "code": "1"}
        ),
        # ...then the code from the throttled address.
        "code": signed_in_half.post(reverse("second_factor"), {"code": _code(therapist)}),
    }
    for name, response in paths.items():
        assert response.status_code == 429, name
        assert int(response["Retry-After"]) > 0, name
    assert paths["token"]["Content-Type"] == "application/json"
    assert "detail" in paths["token"].json()
    assert paths["form"]["Content-Type"].startswith("text/html")
    # Reading the sign-in page is not refused: only attempts are.
    assert attacker.get(reverse("login")).status_code == 200


def test_a_locked_account_answers_429_on_the_form_and_the_admin(therapist):
    browser = Client()
    for _ in range(5):
        _password(browser, password="wrong", REMOTE_ADDR="192.0.2.1")
    for response in (
        _password(browser, REMOTE_ADDR="192.0.2.2"),
        browser.post(
            "/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.3"
        ),
    ):
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 15 * 60
        assert "_auth_user_id" not in browser.session


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(db):
    browser = Client()
    for n in range(25):  # a new forged address on every try
        _password(browser, f"user{n}", "x", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert (
        _password(browser, "user0", "x", HTTP_X_FORWARDED_FOR="198.51.100.200").status_code == 429
    )


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_trusted_proxy_passes_on_the_client_address(db):
    browser = Client()
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for n in range(20):
        _password(browser, f"user{n}", "x", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    held = _password(browser, "user0", "x", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    other = _password(browser, "user0", "x", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy)
    assert (held.status_code, other.status_code) == (429, 200)


class _Request:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # peer not a proxy: header ignored
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.5", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # client-made hops skipped
        ("10.0.0.5", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # a chain of proxies
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("10.0.0.5", None, "10.0.0.5"),
        ("::ffff:10.0.0.5", "2001:db8::1", "2001:db8::1"),
        ("", "198.51.100.1", None),
    ],
)
def test_the_client_address_trusts_forwarded_for_only_from_configured_proxies(
    settings, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "::ffff:10.0.0.0/104"]
    assert client_ip(_Request(remote, forwarded)) == expected


def test_the_audit_trail_and_the_link_limit_use_the_same_client_address(settings, patient):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    browser = Client()
    browser.force_login(
        MembershipFactory(
            clinic=patient.clinic, role="therapist", user=UserFactory(username="dora")
        ).user
    )
    session = browser.session
    session["second_factor_ok"] = True
    session.save()
    browser.get(
        f"/patients/{patient.pk}/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert AuditEvent.objects.filter(action="read").latest("id").ip == "198.51.100.4"
    for _ in range(20):
        browser.get(
            "/intake/forged-token/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.4"
        )
    forged = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert Client().get("/intake/forged-token/", **forged).status_code == 429
    elsewhere = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.5"}
    assert Client().get("/intake/forged-token/", **elsewhere).status_code == 404


def test_every_throttled_sign_in_route_still_exists():
    from django.urls import reverse as url_for

    from clinic.throttle import SIGN_IN_ROUTES

    for name in SIGN_IN_ROUTES:  # a renamed route would otherwise lose its throttle quietly
        assert url_for(name)
