"""`make run` from a clean checkout: web, worker and beat come up, serve, and stop on Ctrl-C."""

import shutil
import signal
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest

from .conftest import ROOT, free_port, send_ping, stop, wait_for


def _clean_checkout(target):
    """The project's files as a fresh clone would have them (tracked and new, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # keeps mtimes: make sees the venv as up to date


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local test server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.integration
@pytest.mark.smoke
def test_make_run_starts_web_worker_and_beat_and_ctrl_c_stops_them(process_env, tmp_path):
    checkout = tmp_path / "checkout"
    _clean_checkout(checkout)
    port = free_port()
    # A user's shell: the embedded default, and the development settings with their own DEBUG,
    # key and hosts (the test settings put theirs in this process's environment).
    test_only = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
    }
    env = {k: v for k, v in process_env.items() if k not in test_only}
    log = (tmp_path / "make-run.log").open("w+")
    run = subprocess.Popen(
        ["make", "run", f"VENV={ROOT / '.venv'}", f"PORT={port}", "DEMO_PATIENTS=12"],
        cwd=checkout,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/healthz")[0] == 200, timeout=180, what="/healthz")
        status, page = _get(f"{base}/accounts/login/")
        assert status == 200 and "Staff sign-in" in page
        # The clinic's own error page, not Django's technical one, with its styles and icon.
        status, page = _get(f"{base}/no-such-page/")
        assert status == 404 and "Page not found" in page and "URLconf" not in page
        assert _get(f"{base}/static/css/app.css")[0] == 200
        assert _get(f"{base}/static/img/favicon.svg")[0] == 200

        marker = send_ping(
            cwd=checkout, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        )
        done = checkout / "var" / "ping" / marker
        wait_for(done.exists, timeout=60, what="make run's worker to consume a task")
        assert (checkout / "var" / "clinic.sqlite3").exists()
        with sqlite3.connect(checkout / "var" / "clinic.sqlite3") as database:
            # Every demo appointment (on the book or requested) or check-in of a patient who
            # can be reached has its reminder rows (a phone call has none).
            unreminded = database.execute(
                "SELECT COUNT(*) FROM treatments_followup f"
                " JOIN patients_patient p ON p.id = f.patient_id"
                " WHERE f.kind != 'call' AND (p.consents_to_email OR p.consents_to_sms)"
                " AND NOT EXISTS"
                " (SELECT 1 FROM treatments_reminder r WHERE r.follow_up_id = f.id)"
            ).fetchone()[0]
            unreminded += database.execute(
                "SELECT COUNT(*) FROM scheduling_appointment a"
                " JOIN patients_patient p ON p.id = a.patient_id"
                " WHERE a.status = 'booked' AND (p.consents_to_email OR p.consents_to_sms)"
                " AND NOT EXISTS"
                " (SELECT 1 FROM treatments_reminder r WHERE r.appointment_id = a.id)"
            ).fetchone()[0]
            reminders = database.execute("SELECT COUNT(*) FROM treatments_reminder").fetchone()[0]
        assert reminders > 0 and unreminded == 0
    finally:
        stop(run, timeout=60)
        log.seek(0)
        output = log.read()
    # make exits 2, or dies of the SIGINT itself, when interrupted.
    assert run.returncode in (0, 2, -signal.SIGINT), output[-3000:]
    assert "therapist" in output and "frontdesk" in output, "demo logins were not printed"
    # Links in reminders and check-ins open the port it serves, not SITE_URL's default.
    assert f"Links in reminders and check-ins open {base}/" in output, output[-3000:]
    assert "beat: Starting" in output, output[-3000:]
    assert _get(f"{base}/healthz")[0] == 0, "the web server still answers after Ctrl-C"
