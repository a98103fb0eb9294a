"""The production web server's access log keeps paths, never query strings (patient searches)."""

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from .conftest import ROOT, database_url, free_port, stop, wait_for


@pytest.mark.integration
def test_gunicorns_access_log_leaves_out_the_search_terms(process_env, tmp_path):
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip

    def answers(path):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status  # noqa: S310
        except OSError:
            return 0

    try:
        wait_for(lambda: answers("/healthz") == 200, timeout=60, what="gunicorn")
        answers("/patients/?q=Zebediah+Quartermaine")
    finally:
        stop(server)
    log.seek(0)
    written = log.read()
    assert "GET /patients/" in written, written
    assert "Zebediah" not in written and "Quartermaine" not in written


@pytest.mark.integration
@pytest.mark.django_db
def test_gunicorn_logs_no_patient_link_token_on_404_or_429_paths(process_env, tmp_path):
    """Unknown tokens answer 404 and, past the guess limit, 429: gunicorn's access log and
    Django's warnings (same output) name the route, never the token."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    env = {**process_env, "DATABASE_URL": database_url(), "LINK_GUESS_LIMIT": "3"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-c", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    tokens = [f"Tok{n}secretSECRET{n}" for n in range(6)]
    statuses = []
    try:
        wait_for(lambda: _status(port, "/healthz") == 200, timeout=60, what="gunicorn")
        routes = ("intake", "check-in", "follow-ups/reply") * 2
        for route, token in zip(routes, tokens, strict=True):
            statuses.append(_status(port, f"/{route}/{token}/"))
            statuses.append(_status(port, f"/{route}/{token}"))  # the slash-adding redirect
    finally:
        stop(server)
    log.seek(0)
    written = log.read()
    assert 404 in statuses and 429 in statuses, statuses
    assert "Not Found: /intake/[redacted]/" in written, written
    assert "Too Many Requests: /check-in/[redacted]/" in written, written
    assert '"GET /follow-ups/reply/[redacted]/" 429' in written, written
    for token in tokens:
        assert token not in written, written


def _status(port: int, path: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        return opener.open(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
