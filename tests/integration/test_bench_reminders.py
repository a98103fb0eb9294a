"""scripts/bench_reminders.py --faults at a tiny size, so that the hostile run does not rot."""

import os
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.integration
@pytest.mark.postgres
def test_the_reminder_bench_runs_its_faults_and_reports_every_reminder_delivered(process_env):
    env = {
        **process_env,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        # Short intervals so the tiny run recovers quickly; production's are the default.
        "REMINDER_SWEEP_SECONDS": "1",
        "REMINDER_LEASE_SECONDS": "5",
        "SMS_HTTP_TIMEOUT": "2",
        "EMAIL_TIMEOUT": "2",
    }
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    result = subprocess.run(
        [sys.executable, "scripts/bench_reminders.py", "--faults", "--reminders", "200",
         "--workers", "1", "--latency", "0.02"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    header, figures = result.stdout.strip().splitlines()[-2:]
    assert header.split()[:4] == ["all", "sent", "(s)", "after"]
    all_sent, after_last_fault, delivered, repeats, *_ = figures.split()
    assert int(delivered) == 200 and int(repeats) <= 1
    assert float(after_last_fault) < 60
