"""How fast real Celery workers deliver due reminders, and how many they deliver twice.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/bench_reminders.py

Creates a throwaway database next to DATABASE_URL's (dropped at the end) and flushes the
broker's Redis database. For 1 and 2 workers (each `--concurrency 2` by default, as `make run`) it
makes N reminders due, runs one sweep (what beat asks for every minute), and times until every
row is `sent`. Messages go through the file SMS backend; a duplicate is a second send of the same
reminder, counted from the backend's call log. Claimed rows travel REMINDER_SEND_CHUNK to a task;
"no-op tasks/s" is that task given one row it no longer holds (one UPDATE, one SELECT): what
Celery and the machine allow per task, for comparison.

With --faults it runs the hostile run instead, on production's reminder settings (a sweep every
REMINDER_SWEEP_SECONDS, a REMINDER_LEASE_SECONDS lease; both may be set in the environment): N
reminders due at once, two beats, the last --workers count of workers against a throwaway
redis-server, a provider that takes --latency seconds per message; when 10% are sent one worker
is killed with SIGKILL (and restarted), at 30% Redis is killed and restarted without its data, at
50% every database connection is terminated three times, a second apart. It prints the time to
full delivery, from the first sweep and after the last fault, the messages delivered twice, and
the messages delivered (one file per message key: never twice), the provider calls that repeated
a message, and the lookups made before sending one again."""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SEND_TASK = "treatments.reminders_send"
sys.path.insert(0, str(ROOT))


def _require_services() -> tuple[str, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not database_url.startswith("postgres") or not broker_url.startswith("redis://"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis): see the docstring.")
    return database_url, broker_url


def _throwaway_database(database_url: str) -> tuple[str, str]:
    import psycopg2

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_bench_{os.getpid()}"
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def _drop_database(database_url: str, name: str) -> None:
    import psycopg2

    admin = psycopg2.connect(urlunsplit(urlsplit(database_url)._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _seed(count: int) -> None:
    import datetime as dt

    from django.utils import timezone

    from clinic.models import Clinic
    from patients.models import Patient
    from scheduling.models import FollowUp, Reminder, ReminderPolicy

    Reminder.objects.all().delete()
    FollowUp.objects.all().delete()
    clinic, _ = Clinic.objects.get_or_create(slug="bench", defaults={"name": "Bench Clinic"})
    ReminderPolicy.objects.update_or_create(
        clinic=clinic, defaults={"quiet_hours_start": dt.time(0), "quiet_hours_end": dt.time(0)}
    )
    if not Patient.objects.filter(clinic=clinic).exists():
        Patient.objects.bulk_create(
            Patient(
                clinic=clinic,
                first_name=f"P{i}",
                last_name="Bench",
                date_of_birth=dt.date(1980, 1, 1),
                phone=f"+1555{i:07d}",
                consents_to_sms=True,
            )
            for i in range(1000)
        )
    patients = list(Patient.objects.filter(clinic=clinic))
    now = timezone.now()
    follow_ups = FollowUp.objects.bulk_create(
        (
            FollowUp(patient=patients[i % len(patients)], due_at=now + dt.timedelta(days=7))
            for i in range(count // 2)
        ),
        batch_size=2000,
    )
    Reminder.objects.bulk_create(
        (
            Reminder(
                follow_up=f,
                patient_id=f.patient_id,
                channel="sms",
                kind=kind,
                send_at=now - dt.timedelta(seconds=1),
            )
            for f in follow_ups
            for kind in (Reminder.Kind.BEFORE_48H, Reminder.Kind.BEFORE_2H)
        ),
        batch_size=2000,
    )


def _start_workers(workers: int, pool: str, env: dict) -> list[subprocess.Popen]:
    """`pool` is the worker's pool options, e.g. "--pool=prefork --concurrency=2"."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", *pool.split(),
               "-l", "ERROR", "--without-gossip", "--without-mingle"]  # fmt: skip
    processes = [
        subprocess.Popen(
            [*command, "-n", f"bench{i}@%h"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    time.sleep(5)  # up and connected before the clock starts
    return processes


def _stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        p.wait(timeout=60)


def _baseline(workers: int, pool: str, count: int, env: dict, broker_url: str) -> float:
    """Tasks per second when each finds nothing to do (a stale lease): what Celery
    and this machine allow at best, for comparison."""
    import redis
    from celery import current_app

    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    processes = _start_workers(workers, pool, env)
    try:
        started = time.monotonic()
        with current_app.producer_or_acquire() as producer:
            for _ in range(count):
                current_app.send_task(SEND_TASK, args=([0], "stale"), producer=producer)
        while broker.llen("celery"):
            time.sleep(0.1)
        return count / (time.monotonic() - started)
    finally:
        _stop(processes)


def _run(workers: int, pool: str, count: int, env: dict, broker_url: str) -> dict:
    import redis

    from scheduling.models import Reminder
    from scheduling.reminders import reminders_sweep

    _seed(count)
    redis.Redis.from_url(broker_url).flushdb()
    sms = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    processes = _start_workers(
        workers, pool, {**env, "SMS_BACKEND": "file", "SMS_FILE_DIR": str(sms)}
    )
    try:
        started = time.monotonic()
        claimed = reminders_sweep()["claimed"]
        swept = time.monotonic() - started
        while Reminder.objects.filter(status="sent").count() < count:
            if time.monotonic() - started > 600:
                raise SystemExit("not all reminders were sent within 600 s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        _stop(processes)
    calls = (sms / "calls.log").read_text().split()[::2]
    delivered = len(list(sms.glob("reminder-*.json")))
    return {
        "workers": workers,
        "claimed": claimed,
        "sweep_s": swept,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "delivered": delivered,
        "duplicates": len(calls) - len(set(calls)),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Hostile:
    """The processes of a fault run, each in its own process group, restarted when they die
    (as docker-compose's `restart: unless-stopped` would)."""

    def __init__(self, env: dict, pool: str, folder: Path):
        self.env, self.pool, self.folder = env, pool, folder
        self.port = _free_port()
        self.redis: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.beats: list[subprocess.Popen] = []

    def _celery(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args, "-l", "ERROR"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def worker(self) -> subprocess.Popen:
        name = f"fault{time.monotonic_ns()}@%h"
        return self._celery(
            "worker", *self.pool.split(), "-n", name, "--without-gossip", "--without-mingle"
        )

    def beat(self) -> subprocess.Popen:
        schedule = self.folder / f"beat{len(self.beats)}-{time.monotonic_ns()}"
        return self._celery("beat", "--schedule", str(schedule))

    def start_redis(self) -> None:
        import redis

        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        for _ in range(100):
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise SystemExit("the throwaway redis-server did not start")

    def restart_the_dead(self) -> None:
        for group, start in ((self.workers, self.worker), (self.beats, self.beat)):
            for index, process in enumerate(group):
                if process.poll() is not None:
                    group[index] = start()

    def kill(self, process: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        everything = [*self.workers, *self.beats]
        for process in everything:
            if process.poll() is None:
                process.terminate()
        for process in everything:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            self.kill(process)
        if self.redis is not None:
            self.kill(self.redis)


def _terminate_connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _faults(workers: int, pool: str, count: int, env: dict, latency: float) -> dict:
    from scheduling.models import Reminder

    if not shutil.which("redis-server"):
        raise SystemExit("--faults needs redis-server (it starts its own, to kill it)")
    _seed(count)
    folder = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    sms = folder / "sms"
    hostile = _Hostile({}, pool, folder)
    hostile.env = {
        **env,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{hostile.port}/0",
        "SMS_BACKEND": "file",
        "SMS_FILE_DIR": str(sms),
        "SMS_FILE_LATENCY_SECONDS": str(latency),
    }
    calls_log = sms / "calls.log"

    def calls() -> list[str]:
        return calls_log.read_text().split()[::2] if calls_log.exists() else []

    def sent() -> int:
        return Reminder.objects.filter(status="sent").count()

    def until(share: float) -> None:
        while len(set(calls())) < count * share:
            hostile.restart_the_dead()
            if time.monotonic() - started > 600:
                raise SystemExit(f"{share:.0%} were not sent within 600 s")
            time.sleep(0.2)

    terminated = 0
    try:
        hostile.start_redis()
        hostile.workers = [hostile.worker() for _ in range(workers)]
        time.sleep(5)  # up and connected before the clock starts
        started = time.monotonic()
        hostile.beats = [hostile.beat(), hostile.beat()]
        until(0.1)
        hostile.kill(hostile.workers[0])  # mid-send; restarted by restart_the_dead
        until(0.3)
        assert hostile.redis is not None  # started above
        hostile.kill(hostile.redis)
        time.sleep(2)
        hostile.start_redis()
        until(0.5)
        for _ in range(3):
            terminated += _terminate_connections()
            time.sleep(1)
        last_fault = time.monotonic()
        while sent() < count:
            hostile.restart_the_dead()
            if time.monotonic() - last_fault > 900:
                raise SystemExit("not all reminders were sent within 900 s of the last fault")
            time.sleep(0.2)
        done = time.monotonic()
    finally:
        hostile.stop()
    every_call = calls()
    lookups = sms / "lookups.log"
    return {
        "seconds": done - started,
        "after_last_fault": done - last_fault,
        "delivered": len(list(sms.glob("reminder-*.json"))),
        "repeats": len(every_call) - len(set(every_call)),
        "terminated": terminated,
        "lookups": len(lookups.read_text().split()[::2]) if lookups.exists() else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--concurrency", type=int, default=2, help="pool processes per worker (as make run)"
    )
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    parser.add_argument(
        "--faults", action="store_true", help="the hostile run (see above) instead of the rate"
    )
    parser.add_argument(
        "--latency", type=float, default=0.02, help="seconds the provider takes per message"
    )
    args = parser.parse_args()
    pool = f"--pool={args.pool} --concurrency={args.concurrency}"
    database_url, broker_url = _require_services()
    name, bench_url = _throwaway_database(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "CONN_MAX_AGE": "600",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        if args.faults:
            from django.conf import settings

            workers = args.workers[-1]
            print(
                f"{args.reminders} due reminders, {workers} workers (--pool={args.pool}"
                f" --concurrency={args.concurrency}), two beats, provider latency"
                f" {args.latency * 1000:.0f} ms, sweep every {settings.REMINDER_SWEEP_SECONDS:g} s,"
                f" lease {settings.REMINDER_LEASE_SECONDS:g} s, sending timeout"
                f" {settings.REMINDER_SENDING_TIMEOUT_SECONDS:g} s, {os.cpu_count()} cores,"
                f" load average {os.getloadavg()[0]:.1f}"
            )
            print(
                "faults: SIGKILL a worker at 10%, Redis restarted empty at 30%, database"
                " connections terminated 3x at 50%"
            )
            r = _faults(workers, pool, args.reminders, env, args.latency)
            print(
                "all sent (s)  after last fault (s)  delivered  repeat calls  lookups"
                "  connections terminated"
            )
            print(
                f"{r['seconds']:>12.1f}  {r['after_last_fault']:>19.1f}  {r['delivered']:>9}"
                f"  {r['repeats']:>12}  {r['lookups']:>7}  {r['terminated']:>22}"
            )
            return
        print(
            f"{args.reminders} due reminders, PostgreSQL + Redis, {os.cpu_count()} cores, "
            f"--pool={args.pool} --concurrency={args.concurrency} per worker, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print("workers  sweep (s)  all sent (s)  reminders/s  delivered  duplicates  no-op tasks/s")
        for workers in args.workers:
            ceiling = _baseline(workers, pool, args.reminders, env, broker_url)
            r = _run(workers, pool, args.reminders, env, broker_url)
            print(
                f"{r['workers']:>7}  {r['sweep_s']:>9.2f}  {r['seconds']:>12.1f}  "
                f"{r['per_second']:>11.0f}  {r['delivered']:>9}  {r['duplicates']:>10}"
                f"  {ceiling:>13.0f}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        _drop_database(database_url, name)


if __name__ == "__main__":
    main()
