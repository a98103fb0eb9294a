"""Helpers for tests that start real processes: Celery workers, `make run`."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop a process group the way a terminal's Ctrl-C would, and make sure it is gone."""
    if process.poll() is None:
        os.killpg(process.pid, 2)  # SIGINT
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
            raise AssertionError("process group did not stop on Ctrl-C") from None


def send_ping(*, cwd: Path, env: dict) -> str:
    """Send clinic.ping from a separate producer process; returns the marker to wait for."""
    marker = uuid.uuid4().hex
    code = f"import django; django.setup(); from config.celery import ping; ping.delay({marker!r})"
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, timeout=60)
    return marker


@pytest.fixture
def process_env():
    """The environment of a child process, without this test run's overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    return env


def database_url() -> str:
    """The test database, for the worker, beat and server processes a test starts."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{db['NAME']}"
