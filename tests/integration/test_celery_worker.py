"""A real `celery worker` process consumes what the app sends, on both supported brokers."""

import subprocess
import sys

import pytest
import redis

from .conftest import ROOT, send_ping, stop, wait_for

REDIS_URL = "redis://127.0.0.1:6379/13"


def _consumes(env: dict, folder) -> None:
    # A database of its own, migrated: a worker asks for a reminder sweep as it connects, and a
    # sweep that found no tables would be retried and leave messages behind.
    env = {**env, "DATABASE_URL": f"sqlite:///{folder / 'worker.sqlite3'}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "INFO"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        marker = send_ping(cwd=ROOT, env=env)
        done = ROOT / "var" / "ping" / marker
        wait_for(done.exists, timeout=60, what="the worker to run clinic.ping")
        assert done.read_text() == "pong"
    finally:
        stop(worker)
        output = worker.stdout.read()
    assert "clinic.ping" in output and "succeeded" in output, output[-2000:]


@pytest.mark.integration
@pytest.mark.smoke
def test_a_real_worker_consumes_from_the_filesystem_broker(process_env, tmp_path):
    env = {**process_env, "CELERY_BROKER_URL": "filesystem://"}
    env["CELERY_FILESYSTEM_DIR"] = str(tmp_path / "broker")
    _consumes(env, tmp_path)
    assert not list((tmp_path / "broker" / "queue").iterdir()), "message left in the queue"


@pytest.mark.integration
def test_a_real_worker_consumes_from_redis(process_env, tmp_path):
    # Fails (never skips) when Redis is not running: CI must not pass without it.
    redis.Redis.from_url(REDIS_URL).flushdb()
    _consumes({**process_env, "CELERY_BROKER_URL": REDIS_URL}, tmp_path)
    assert redis.Redis.from_url(REDIS_URL).llen("celery") == 0
