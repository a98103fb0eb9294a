"""The scripts in scripts/ run in CI, so none rots: every bench at a tiny size (`make
bench-smoke`) and the load test as a 30-second smoke with 20 users that fails on any 5xx.

They share one throwaway PostgreSQL database next to DATABASE_URL's, migrated and seeded with a
small demo clinic once, and dropped at the end."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"

# Each bench at a tiny size: a new script must be added here (the first test says so).
TINY = {
    "bench_chart.py": ["--sessions", "5", "--requests", "3"],
    "bench_export.py": ["--type", "Patient", "--type", "Observation"],
    "bench_home.py": ["--requests", "3"],
    "bench_import.py": ["--rows", "50"],
    "bench_intake_queue.py": ["--intakes", "20", "--repeat", "1"],
    "bench_reminders.py": ["--reminders", "20", "--workers", "1", "--concurrency", "1"],
    "bench_reports.py": [],  # BENCH_REQUESTS below
}
SMOKE_PATIENTS = "30"

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _admin(url: str):
    admin = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    admin.autocommit = True
    return admin


@pytest.fixture(scope="module")
def scripts_env():
    """A migrated database with a small demo clinic, and the environment scripts run in."""
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith("postgres"), "the scripts measure PostgreSQL: CI sets DATABASE_URL"
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_scripts_{os.getpid()}"
    admin = _admin(url)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env |= {
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}")),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "BENCH_PATIENTS": SMOKE_PATIENTS,
        "BENCH_REQUESTS": "3",
    }
    try:
        for command in (
            ["migrate", "--no-input", "-v", "0"],
            ["seed_demo", "--patients", SMOKE_PATIENTS, "--quiet"],
        ):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=300
            )
        yield env
    finally:
        admin = _admin(url)
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _run(env: dict, script: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_every_script_runs_here_at_a_tiny_size():
    """Each bench at its size in TINY, load.py in the smoke below; serving.py is their module."""
    assert sorted(p.name for p in SCRIPTS.glob("*.py")) == sorted([*TINY, "load.py", "serving.py"])


@pytest.mark.parametrize("script", sorted(TINY))
def test_the_bench_script_runs_at_a_tiny_size(script, scripts_env):
    env = dict(scripts_env)
    if script in ("bench_reports.py", "bench_reminders.py"):
        env.pop("DJANGO_SETTINGS_MODULE")  # they run the production settings themselves
    done = _run(env, script, *TINY[script], timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def test_the_load_test_smoke_of_twenty_users_answers_no_5xx(scripts_env):
    env = {k: v for k, v in scripts_env.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = _run(env, "load.py", "--users", "20", "--duration", "30", timeout=300)
    report = done.stdout[-4000:]
    assert done.returncode == 0, report + done.stderr[-3000:]
    assert "5xx and failed connections: 0" in report
    for group in ("sign-in code", "draft autosave", "booking", "report outcomes", "intake step"):
        assert f"\n{group} " in report, f"no {group!r} request was made:\n{report}"
