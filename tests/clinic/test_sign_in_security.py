"""Lockout after repeated failures on every password path, idle sessions, production headers."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth import authenticate
from django.test import override_settings
from django.urls import reverse

from clinic.models import AuditEvent

from .test_settings import ROOT

pytestmark = pytest.mark.django_db


def _fail(client, username="alice", times=5):
    for _ in range(times):
        client.post(reverse("login"), {"username": username, "password": "wrong"})


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, therapist):
    _fail(client)
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Every path that checks a password goes through authenticate(): admin, API token, basic.
    assert authenticate(username="alice", password="correct-horse-battery") is None
    admin = client.post("/admin/login/", {"username": "alice", "password": "correct-horse-battery"})
    assert admin.status_code == 429 and "_auth_user_id" not in client.session


def test_failures_are_audited_and_a_success_starts_the_count_again(client, therapist):
    _fail(client, times=4)
    assert (
        client.post(
            reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
        ).status_code
        == 302
    )
    client.logout()
    _fail(client, times=4)
    assert authenticate(username="alice", password="correct-horse-battery") == therapist
    assert AuditEvent.objects.filter(action="login_failed", actor_label="alice").count() == 8
    assert AuditEvent.objects.filter(action="login", actor=therapist).count() == 1


@override_settings(LOGIN_LOCKOUT_MINUTES=0)
def test_the_lock_lifts_when_its_window_has_passed(client, therapist):
    _fail(client)
    assert authenticate(username="alice", password="correct-horse-battery") == therapist


def test_staff_sessions_expire_after_fifteen_idle_minutes_and_can_be_renewed(client, therapist):
    client.force_login(therapist)
    page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="900"' in page
    assert client.post(reverse("keepalive")).status_code == 204
    assert client.session.get_expiry_age() == 900


def _deploy_check(**extra):
    # A deployment's environment, not this test run's (the browser tests set an async switch).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY="k3y-" + "x7Qz" * 16,
        ALLOWED_HOSTS="clinic.example.com",
        CACHE_URL="redis://127.0.0.1:6379/1",
        AUDIT_HMAC_KEY="a-key-of-its-own-" + "9f" * 16,
    )
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_check():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_check_warns_when_each_process_has_its_own_cache():
    result = _deploy_check(CACHE_URL="locmemcache://")
    assert result.returncode != 0 and "clinic.W001" in result.stdout + result.stderr


def test_the_deployment_check_warns_when_the_audit_key_is_derived_from_the_secret_key():
    result = _deploy_check(AUDIT_HMAC_KEY="")
    assert result.returncode != 0 and "clinic.W002" in result.stdout + result.stderr


def test_every_page_forbids_inline_scripts_and_framing(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
