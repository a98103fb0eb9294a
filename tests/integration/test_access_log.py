"""The production web server's access log keeps paths, never query strings (patient searches)."""

import subprocess
import sys
import urllib.request

import pytest

from .conftest import ROOT, free_port, stop, wait_for


@pytest.mark.integration
def test_gunicorns_access_log_leaves_out_the_search_terms(process_env, tmp_path):
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic.wsgi:application",
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
