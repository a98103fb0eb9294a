"""Helpers for tests that start real processes: Celery workers, `make run`."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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


def stop_server(process: subprocess.Popen, *, timeout: float = 60) -> None:
    """Stop a server's process group: SIGTERM (a graceful stop), SIGKILL after `timeout`. Never
    raises: tests that use it are about what the servers did, not how fast a loaded machine
    shuts them down, and every process must be gone whatever happened before."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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


def start_gunicorn(env: dict, *, log: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """gunicorn (gunicorn.conf.py: gthread) on a free loopback port with `env`, its access and
    error log in `log`; returns the process and its base URL once /healthz answers."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-c", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "-",
    ]  # fmt: skip
    output = open(log, "a")  # noqa: SIM115 (closed with the process)
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return True
        except OSError:
            return False

    wait_for(answers, timeout=60, what="gunicorn to answer /healthz", interval=0.3)
    return server, base
