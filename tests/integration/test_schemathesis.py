"""Schemathesis against a running server, authenticated as a manager: no 5xx, and every response
matches the OpenAPI schema the API publishes, also for hostile inputs (NUL characters, deeply
nested JSON) that the hooks mix into the generated cases."""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from clinic.api_tokens import api_token_issue
from tests.conftest import load_catalogues
from tests.factories import TreatmentSessionFactory
from tests.reports.test_report_api import _grow

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def catalogues(transactional_db):
    """The muscle and movement catalogues their migration seeds: an earlier transactional test
    flushes every table, catalogues included."""
    load_catalogues()


def test_schemathesis_finds_no_server_error_and_no_response_off_schema(
    live_server, catalogues, clinic_a, manager, therapist, tmp_path
):
    _grow(clinic_a, therapist, 3)  # real rows, so lists and reports answer with data
    TreatmentSessionFactory(patient=clinic_a.patients.first(), therapist=manager)
    _, token = api_token_issue(user=manager)
    command = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "run", f"{live_server.url}/api/schema/",
        "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
        "--phases", "examples,fuzzing", "--max-examples", "65", "--seed", "6",
        "--workers", "2", "--generation-database", "none", "--request-timeout", "20",
        "--no-color", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    # The coverage phase alone takes minutes here; examples + fuzzing give 2,000+ cases (half of
    # them hostile: schemathesis_hooks.py) in about three minutes.
    env = {**os.environ, "CLINIC_API_TOKEN": token, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    run = subprocess.run(  # noqa: S603 -- its cache goes to tmp_path, not the checkout
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert cases and int(cases.group(2)) == int(cases.group(1)) >= 2000, run.stdout[-3000:]
    hostile = Counter(
        tuple(line.split("\t"))
        for line in (tmp_path / "hostile-cases.tsv").read_text().splitlines()
    )
    shapes = Counter(shape for shape, _ in hostile.elements())
    assert min(shapes.values()) >= 25 and len(shapes) == 4, shapes
    # NUL anywhere is refused before a view runs; a body is parsed after the permission check.
    answers = {shape: {status for s, status in hostile if s == shape} for shape in shapes}
    assert answers["nul in query"] == answers["nul in path"] == {"400"}, answers
    print(f"schemathesis: {cases.group(1)} cases; hostile ones {dict(shapes)}: {answers}")
    for shape in ("nul in body", "deep body"):
        assert "400" in answers[shape] and answers[shape] <= {"400", "403", "404"}, answers
