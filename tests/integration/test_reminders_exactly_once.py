"""Reminders through real processes: a real `celery beat` asks for sweeps, real `celery worker`
processes send through the file SMS backend, and the messages that arrive are counted.

500 reminders come due over a few seconds; workers are killed with SIGKILL midway and restarted,
two beats run at once, Redis itself is killed and restarted, the workers' database connections are
terminated mid-send, and finally all of it in one run. Every time each reminder must arrive exactly
once, none may be left behind, and recovery must take seconds: the sweep runs every second and a
row whose worker stopped beating is reclaimed after a 5 s lease (production: 15 s and 30 s), while
the last-resort sending timeout stays at production's ten minutes, so no test passes by waiting
for it."""

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from scheduling.models import FollowUp, Reminder, ReminderPolicy
from tests.factories import ClinicFactory, PatientFactory

from .conftest import ROOT, database_url, free_port, send_ping, wait_for

pytestmark = [
    pytest.mark.integration,
    # Worker processes read what this test writes, so it must be committed; the catalogue rows
    # the migrations load are restored afterwards for the tests that follow.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REMINDERS = 500
_env_broker = os.environ.get("CELERY_BROKER_URL", "")
# The broker the suite runs on (CI sets it); else the db test_celery_worker.py already uses.
REDIS_URL = _env_broker if _env_broker.startswith("redis://") else "redis://127.0.0.1:6379/13"


def _seed(count: int, *, spread_seconds: float) -> set[int]:
    """`count` SMS reminders coming due over the next `spread_seconds` (quiet hours off)."""
    clinic = ClinicFactory(name="Harbour Street Clinic")
    ReminderPolicy.objects.create(
        clinic=clinic, quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0)
    )
    patients = [
        PatientFactory(clinic=clinic, phone=f"+1555010{i:04d}", consents_to_sms=True)
        for i in range(20)
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
            send_at=now + dt.timedelta(seconds=1 + spread_seconds * (2 * i + k) / count),
        )
        for i, follow_up in enumerate(follow_ups)
        for k, kind in enumerate(kinds)
    )
    return {row.pk for row in rows}


class Run:
    """The processes of one run and what the capturing backend received."""

    def __init__(self, tmp_path: Path, env: dict):
        self.tmp = tmp_path
        self.sms = tmp_path / "sms"
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str, name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def worker(self, name: str, *options: str) -> subprocess.Popen:
        return self.start(
            "worker", "--pool=prefork", "--concurrency=2", "-l", "WARNING", *options,
            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", name=name,
        )  # fmt: skip

    def beat(self, name: str) -> subprocess.Popen:
        return self.start(
            "beat", "-l", "WARNING", "--schedule", str(self.tmp / f"{name}-schedule"), name=name
        )

    def calls(self, log: str = "calls.log") -> list[str]:
        """The idempotency key of every call the provider received (or `lookups.log`: every
        time a worker asked it whether it already had a message)."""
        path = self.sms / log
        return path.read_text().split()[::2] if path.exists() else []

    def repeated_calls(self) -> int:
        """Calls that sent again a message the provider had already been sent."""
        calls = self.calls()
        return len(calls) - len(set(calls))

    def delivered(self) -> Counter:
        """Reminder id -> how many distinct messages its patient received."""
        return Counter(int(p.name.split("-")[1]) for p in self.sms.glob("reminder-*.json"))

    def stop_all(self) -> None:
        # SIGTERM to the main process only: a warm shutdown that stops its own pool.
        alive = [p for p in self.processes if p.poll() is None]
        for p in alive:
            p.terminate()
        deadline = time.monotonic() + 20
        slow = []
        for p in alive:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                slow.append(p.args)
            with contextlib.suppress(ProcessLookupError):  # whatever it left behind
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        assert not slow, f"did not stop within 20 s of SIGTERM: {slow}"

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text()[-1500:]}" for log in self.tmp.glob("*.log")
        )

    def wait_until_all_sent(self, ids: set[int], *, timeout: float, tick=None) -> None:
        def done() -> bool:
            if tick:
                tick()
            return Reminder.objects.filter(pk__in=ids, status="sent").count() == len(ids)

        try:
            wait_for(done, timeout=timeout, what="every reminder to be sent", interval=0.5)
        except AssertionError:
            left = Counter(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
            raise AssertionError(f"left behind: {dict(left)}\n{self.log_tail()}") from None

    def assert_exactly_once(self, ids: set[int], *, max_repeated_calls: int) -> None:
        delivered = self.delivered()
        assert set(delivered) == ids, "a reminder never arrived, or an unknown one did"
        assert set(delivered.values()) == {1}
        states = Counter(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
        assert states == {"sent": len(ids)}
        # A repeated call can only come from a worker killed in the instant between the
        # provider's acceptance and its file (one per pool process at most): a row sent again
        # asks the provider first. The key made even those harmless.
        repeated = len(self.calls()) - len(ids)
        assert repeated == self.repeated_calls()
        assert 0 <= repeated <= max_repeated_calls, f"{repeated} repeated sends"


@pytest.fixture
def run(tmp_path, process_env):
    env = {
        **process_env,
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "60",
        "SMS_BACKEND": "file",
        "SMS_FILE_DIR": str(tmp_path / "sms"),
        "REMINDER_SWEEP_SECONDS": "1",
        "REMINDER_LEASE_SECONDS": "5",
        "REMINDER_SENDING_TIMEOUT_SECONDS": "600",
        "SMS_HTTP_TIMEOUT": "2",
        "EMAIL_TIMEOUT": "2",
        "REMINDER_CLAIM_BATCH": "100",
    }
    run = Run(tmp_path, env)
    yield run
    run.stop_all()


def _use_redis(run: Run, url: str = REDIS_URL) -> None:
    redis.Redis.from_url(url).flushdb()  # fails (never skips) when Redis is not running
    run.env["CELERY_BROKER_URL"] = url


# All rows come due at once, so the worker is busy with a queue behind it when it is killed.
def _kill_a_worker_midway_and_restart(
    run: Run, ids: set[int], *, timeout: float, options: tuple[str, ...] = ()
) -> str:
    run.beat("beat")
    first = run.worker("w1", *options)
    wait_for(lambda: len(run.calls()) >= len(ids) // 4, timeout=60, what="sending to start")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    at_kill = len(run.calls())
    assert at_kill < len(ids), "the run finished before the worker could be killed"
    time.sleep(1)
    run.worker("w2", *options)
    run.wait_until_all_sent(ids, timeout=timeout)
    return (run.tmp / "w2.log").read_text()


def test_each_reminder_is_delivered_once_when_a_worker_is_killed_midway_on_redis(run):
    _use_redis(run)
    ids = _seed(REMINDERS, spread_seconds=0.5)

    w2_log = _kill_a_worker_midway_and_restart(run, ids, timeout=60)

    run.assert_exactly_once(ids, max_repeated_calls=2)
    # Redis keeps a killed worker's unacknowledged messages for an hour: what it held came
    # back through the sweep, its heartbeat having stopped.
    assert "reclaimed" in w2_log


def test_each_reminder_is_delivered_once_when_a_worker_is_killed_midway_on_the_filesystem_broker(
    run,
):
    run.env["CELERY_BROKER_URL"] = "filesystem://"
    run.env["CELERY_FILESYSTEM_DIR"] = str(run.tmp / "broker")
    ids = _seed(REMINDERS, spread_seconds=0.5)

    # The folder broker is polled: a deeper prefetch keeps the pool busy between polls (the
    # messages a killed worker had prefetched are reclaimed from the database like any other).
    # (The folder broker may hand the killed worker's messages to the next one itself: their
    # rows still carry the lease, and a row sent before asks the provider first.)
    _kill_a_worker_midway_and_restart(run, ids, timeout=60, options=("--prefetch-multiplier", "8"))

    run.assert_exactly_once(ids, max_repeated_calls=2)


def test_two_beats_and_two_workers_at_once_still_deliver_each_reminder_once(run):
    _use_redis(run)
    ids = _seed(REMINDERS, spread_seconds=4)

    run.beat("beat1")
    run.beat("beat2")
    run.worker("w1")
    run.worker("w2")
    run.wait_until_all_sent(ids, timeout=90)

    run.assert_exactly_once(ids, max_repeated_calls=0)


class ThrowawayRedis:
    """Its own redis-server without persistence (like a crash that loses the queue), so the
    shared Redis other work uses is never disturbed."""

    def __init__(self):
        assert shutil.which("redis-server"), "redis-server is missing"
        port = free_port()
        self.command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no"]  # fmt: skip
        self.url = f"redis://127.0.0.1:{port}/0"
        self.server = None

    def start(self) -> None:
        self.server = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, start_new_session=True
        )
        wait_for(lambda: _pings(self.url), timeout=10, what="the throwaway redis-server")

    def kill(self) -> None:
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait()

    def restart(self) -> None:
        self.kill()
        time.sleep(2)
        self.start()

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.kill()


@pytest.fixture
def own_redis(run):
    server = ThrowawayRedis()
    server.start()
    _use_redis(run, server.url)
    yield server
    run.stop_all()
    server.stop()


def _restarting_the_dead(run: Run, workers: list, beats: list):
    """A worker (or beat) may exit when its broker vanishes mid-delivery (kombu fails to restore
    its unacked messages: celery/celery#10205); it is restarted as docker-compose's `restart:
    unless-stopped` does."""

    def tick():
        for group, start, name in ((workers, run.worker, "w"), (beats, run.beat, "beat")):
            for index, process in enumerate(group):
                if process.poll() is not None:
                    group[index] = start(f"{name}{len(run.processes) + 1}")

    return tick


def test_a_redis_restart_during_the_run_loses_nothing_and_recovers_in_seconds(run, own_redis):
    # All due at once, so that most are waiting in Redis when it dies.
    ids = _seed(REMINDERS, spread_seconds=1)
    beats = [run.beat("beat")]
    workers = [run.worker("w1")]
    wait_for(lambda: len(run.calls()) >= len(ids) // 5, timeout=60, what="sending to start")

    own_redis.restart()
    assert len(run.calls()) < len(ids), "the run finished before Redis could be killed"
    restarted = time.monotonic()

    # The sending timeout is ten minutes: what Redis lost comes back through the sweep each
    # worker asks for when it reconnects.
    run.wait_until_all_sent(ids, timeout=60, tick=_restarting_the_dead(run, workers, beats))
    recovered = time.monotonic() - restarted
    run.assert_exactly_once(ids, max_repeated_calls=0)
    logs = "".join(log.read_text() for log in run.tmp.glob("w*.log"))
    assert "reclaimed" in logs, "no message was lost with Redis?"
    print(f"all sent {recovered:.1f} s after Redis came back")


def _terminate_database_connections() -> int:
    """What a failover or an operator's pg_terminate_backend does to every worker at once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_every_fault_in_one_run_still_delivers_each_reminder_once_within_a_minute_of_the_last(
    run, own_redis
):
    # A provider that takes 0.1 s per message keeps sends in flight when each fault strikes.
    run.env["SMS_FILE_LATENCY_SECONDS"] = "0.1"
    ids = _seed(REMINDERS, spread_seconds=1)
    beats = [run.beat("beat1"), run.beat("beat2")]
    workers = [run.worker("w1"), run.worker("w2")]
    restart_the_dead = _restarting_the_dead(run, workers, beats)

    def sent_at_least(share: float) -> None:
        def enough() -> bool:
            restart_the_dead()
            return len(run.calls()) >= len(ids) * share

        wait_for(enough, timeout=90, what=f"{share:.0%} of the reminders to be sent")

    sent_at_least(0.1)
    os.killpg(workers[0].pid, signal.SIGKILL)  # mid-send, with a queue behind it
    workers[0].wait()
    sent_at_least(0.3)
    own_redis.restart()
    sent_at_least(0.5)
    terminated = 0
    for _ in range(3):
        terminated += _terminate_database_connections()
        time.sleep(1)
    last_fault = time.monotonic()
    assert len(set(run.calls())) < len(ids), "the run finished before the last fault"

    run.wait_until_all_sent(ids, timeout=60, tick=restart_the_dead)

    recovered = time.monotonic() - last_fault
    run.assert_exactly_once(ids, max_repeated_calls=2)
    print(
        f"all {len(ids)} sent {recovered:.1f} s after the last fault; {terminated} database"
        f" connections terminated; {run.repeated_calls()} repeated provider calls;"
        f" {len(run.calls('lookups.log'))} provider lookups"
    )


def test_beat_sweeps_as_it_starts_not_one_interval_later(run, own_redis):
    run.env["REMINDER_SWEEP_SECONDS"] = "3600"
    run.worker("w1")
    # The worker's own sweep after connecting finds nothing due yet.
    marker = send_ping(cwd=ROOT, env=run.env)
    wait_for((ROOT / "var" / "ping" / marker).exists, timeout=60, what="the worker to be up")
    ids = _seed(20, spread_seconds=0)
    time.sleep(1.5)  # every row is due

    run.beat("beat")

    run.wait_until_all_sent(ids, timeout=30)
    run.assert_exactly_once(ids, max_repeated_calls=0)


def _pings(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.ConnectionError:
        return False
