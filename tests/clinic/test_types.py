"""Type checking (`make lint` runs mypy with the Django and DRF plugins; clinic/types.py)."""

import os
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model

from clinic.types import User

ROOT = Path(__file__).resolve().parents[2]


def test_the_user_type_is_the_configured_user_model():
    # Every `user: User` parameter is checked against this class: another AUTH_USER_MODEL must
    # move clinic.types.User with it.
    assert User is get_user_model()


def test_mypy_passes_with_no_database_to_reach(tmp_path):
    # The Django plugin sets the project up (settings, apps' ready()): nothing on that path may
    # need a live database or broker, so the check runs anywhere.
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/nothing",
        "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
