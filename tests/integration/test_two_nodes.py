"""Two web nodes and two workers against one database and one broker, as a deployment past one
machine runs them: two gunicorn processes (each a "node" behind an imagined load balancer), two
`celery worker` processes and one `celery beat`, all on the test database and Redis (broker and
shared cache).

A therapist signs in for real (password, then the authenticator's code) on node A and carries
the same cookies to node B, as a load balancer without sticky sessions would send them: the
session lives in the database, so both nodes know it. They start a session on B, autosave the
draft alternately through A and B, and sign it on A; the database holds the last save. Meanwhile
reminders come due and beat's sweeps hand them to both workers: each is sent exactly once (one
message per reminder at the provider, every row `sent`). No request of either node answers 5xx.
"""

import datetime as dt
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

import pyotp
import pytest
import redis
from django.utils import timezone

from clinic.models import Role, TOTPDevice
from scheduling.models import FollowUp, Reminder, ReminderPolicy
from sessions.models import TreatmentSession
from tests.factories import ClinicFactory, MembershipFactory, PatientFactory, UserFactory

from .conftest import ROOT, database_url, start_gunicorn, stop_server, wait_for

pytestmark = [
    pytest.mark.integration,
    # The nodes and workers are other processes: what this test writes must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REDIS_URL = "redis://127.0.0.1:6379/9"
PASSWORD = "two-nodes-Passw0rd!"  # noqa: S105 (a test account's)
REMINDERS = 60
SAVES = 6


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookies, sent to whichever node a request goes to."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def csrf(self) -> str:
        return next(c.value or "" for c in self.jar if c.name == "csrftoken")

    def call(self, node: str, method: str, path: str, *, form=None, body=None):
        headers = {"Referer": node + "/"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **form}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers |= {"Content-Type": "application/json", "X-CSRFToken": self.csrf()}
        request = urllib.request.Request(node + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, answer.headers.get("Location") or ""
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location") or ""


def _seed_reminders(clinic, count: int) -> set[int]:
    """`count` text reminders coming due over the next few seconds (quiet hours off)."""
    ReminderPolicy.objects.create(
        clinic=clinic, quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0)
    )
    patients = [
        PatientFactory(clinic=clinic, phone=f"+1555020{i:04d}", consents_to_sms=True)
        for i in range(10)
    ]
    now = timezone.now()
    follow_ups = FollowUp.objects.bulk_create(
        FollowUp(patient=patients[i % len(patients)], due_at=now + dt.timedelta(days=7))
        for i in range(count // 2)
    )
    kinds = (Reminder.Kind.BEFORE_48H, Reminder.Kind.BEFORE_2H)
    rows = Reminder.objects.bulk_create(
        Reminder(
            follow_up=follow_up,
            patient_id=follow_up.patient_id,
            channel="sms",
            kind=kind,
            send_at=now + dt.timedelta(seconds=2 + 3 * (2 * i + k) / count),
        )
        for i, follow_up in enumerate(follow_ups)
        for k, kind in enumerate(kinds)
    )
    return {row.pk for row in rows}


def _celery(env: dict, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=open(log, "a"),  # noqa: SIM115 (closed with the process)
        stderr=subprocess.STDOUT,
    )


def _statuses(log: Path) -> Counter:
    """Status per access-log line of a node (gunicorn.conf.py's format: `"GET /path" 200`)."""
    return Counter(re.findall(r'"[A-Z]+ [^"]*" (\d{3}) ', log.read_text()))


def test_two_web_nodes_and_two_workers_share_one_database_and_broker(process_env, tmp_path):
    redis.Redis.from_url(REDIS_URL).flushdb()  # fails (never skips) when Redis is not running
    clinic = ClinicFactory(name="Harbour Street Clinic", slug="harbour")
    therapist = UserFactory(username="alice")
    therapist.set_password(PASSWORD)
    therapist.save()
    MembershipFactory(clinic=clinic, role=Role.THERAPIST, user=therapist)
    secret = pyotp.random_base32()
    TOTPDevice.objects.create(user=therapist, secret=secret, confirmed_at=timezone.now())
    patient = PatientFactory(clinic=clinic, first_name="Pat", last_name="Example")
    due = _seed_reminders(clinic, REMINDERS)

    env = {
        **process_env,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        # Shared by both nodes: sign-in throttles, link limits (README, deploying).
        "CACHE_URL": REDIS_URL,
        "CONN_MAX_AGE": "60",
        "SMS_BACKEND": "file",
        "SMS_FILE_DIR": str(tmp_path / "sms"),
        # One anchor file for both workers, as on one shared volume (README: Deploying).
        "AUDIT_ANCHOR_FILE": str(tmp_path / "audit-anchor.log"),
        "REMINDER_SWEEP_SECONDS": "1",
        "REMINDER_SEND_CHUNK": "2",
        "REMINDER_LEASE_SECONDS": "5",
        "SMS_HTTP_TIMEOUT": "2",
        "EMAIL_TIMEOUT": "2",
    }
    worker_args = ("worker", "--pool=prefork", "--concurrency=1", "-l", "INFO",
                   "--without-gossip", "--without-mingle")  # fmt: skip
    celery = [
        _celery(env, tmp_path / "worker-1.log", *worker_args, "-n", "one@%h"),
        _celery(env, tmp_path / "worker-2.log", *worker_args, "-n", "two@%h"),
        _celery(
            env,
            tmp_path / "beat.log",
            "beat",
            "-l",
            "INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ),  # fmt: skip
    ]
    nodes = []
    try:
        for name in ("a", "b"):
            nodes.append(start_gunicorn(env, log=tmp_path / f"web-{name}.log"))
        (_, a), (_, b) = nodes
        person = Browser()
        assert person.call(a, "GET", "/accounts/login/")[0] == 200
        form = {"username": "alice", "password": PASSWORD}
        assert person.call(a, "POST", "/accounts/login/", form=form)[0] == 302
        code = {"code": pyotp.TOTP(secret).now()}
        assert person.call(a, "POST", "/accounts/second-factor/", form=code)[0] == 302
        assert person.call(b, "GET", "/")[0] == 200, "node B does not know the session"

        status, location = person.call(b, "POST", f"/sessions/new/?patient={patient.pk}", form={})
        assert status == 302
        session_id = int(re.search(r"/sessions/(\d+)/", location).group(1))
        for number in range(SAVES):
            node = (a, b)[number % 2]
            assert person.call(node, "GET", f"/sessions/{session_id}/")[0] == 200
            draft = {
                "subjective": f"Neck tension, save {number} on node {'ab'[number % 2]}.",
                "pain": [{"source": "pre_session", "region": "neck_back", "side": "right",
                          "score": str(3 + number), "unable_to_rate": False}],
            }  # fmt: skip
            assert person.call(node, "POST", f"/sessions/{session_id}/draft", body=draft)[0] == 200
        form = {"acknowledge_red_flags": "on"}
        assert person.call(a, "POST", f"/sessions/{session_id}/sign", form=form)[0] == 302
        session = TreatmentSession.objects.get(pk=session_id)
        assert session.status == TreatmentSession.Status.SIGNED
        assert session.subjective == f"Neck tension, save {SAVES - 1} on node b."
        assert list(session.pain_scores.values_list("score", flat=True)) == [3 + SAVES - 1]

        def all_sent() -> bool:
            return Reminder.objects.filter(pk__in=due, status="sent").count() == len(due)

        wait_for(all_sent, timeout=90, what="every due reminder to be sent", interval=0.5)
    finally:
        # A worker's warm shutdown takes 5-10 s: all of them at once.
        for process in [server for server, _ in nodes] + celery:
            if process.poll() is None:
                process.terminate()
        for process in [server for server, _ in nodes] + celery:
            stop_server(process)

    sent = Counter(int(p.name.split("-")[1]) for p in (tmp_path / "sms").glob("reminder-*.json"))
    mine = {pk: n for pk, n in sent.items() if pk in due}
    assert set(mine) == due, "a reminder never arrived"
    assert set(mine.values()) == {1}, "a reminder arrived twice"
    logs = {name: (tmp_path / f"worker-{name}.log").read_text() for name in ("1", "2")}
    for name, log in logs.items():
        assert "treatments.reminders_send" in log and "succeeded" in log, f"worker {name} idle"
    for name in ("a", "b"):
        statuses = _statuses(tmp_path / f"web-{name}.log")
        assert statuses, f"node {name} served nothing"
        assert not [s for s in statuses if s.startswith("5")], statuses
