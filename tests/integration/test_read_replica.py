"""Reports and exports from a real streaming replica (clinic/replica.py), end to end.

A primary and a hot standby are started from the machine's PostgreSQL binaries on ports of their
own; the primary gets the migrated test database (pg_dump: `migrate` from zero takes ~50 s on
this machine) and `migrate` runs on it, which finds nothing left to do; the standby is made with
`pg_basebackup -R` and logs every statement it runs. gunicorn serves the app with
DATABASE_URL on the primary and DATABASE_REPLICA_URL on the standby. Then, over HTTP with API
tokens: a manager registers patients (on the primary), another manager reads the patients CSV
and the outcomes report, and the standby's own log shows those queries; with the standby's
replay paused, a new patient is missing from the second manager's export (it came from the
standby; so does `manage.py export_csv`'s) but present in the export of the manager who
registered it (read-your-own-writes: the standby has not replayed their write, so their read
went to the primary); once replay resumes everyone sees it; once the standby is stopped, reads
go to the primary again. Every answer is 2xx and the audit rows of the reads are on the
primary."""

import csv
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from clinic.api_tokens import api_token_issue
from clinic.models import Role
from tests.factories import ClinicFactory, MembershipFactory, UserFactory

from .conftest import ROOT, database_url, start_gunicorn, stop_server
from .postgres_clusters import PrimaryAndReplica

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    # The primary is a copy of the test database: what this test writes must be committed.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PATIENT = {"date_of_birth": "1979-03-14", "preferred_channel": "email", "consents_to_email": True}


class Api:
    def __init__(self, base: str, key: str):
        self.base, self.key = base, key
        self.statuses: list[int] = []

    def call(self, method: str, path: str, body: dict | None = None) -> bytes:
        request = urllib.request.Request(  # noqa: S310 (the test's own server)
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                self.statuses.append(answer.status)
                return answer.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:2000]!r}") from None

    def register(self, first_name: str, last_name: str) -> None:
        email = f"{last_name.lower()}@example.com"
        body = {**PATIENT, "first_name": first_name, "last_name": last_name, "email": email}
        self.call("POST", "/api/v1/patients/", body)

    def exported_surnames(self) -> set[str]:
        rows = csv.DictReader(io.StringIO(self.call("GET", "/api/v1/export/patients.csv").decode()))
        return {row["last_name"] for row in rows}


@pytest.fixture
def clusters():
    pair = PrimaryAndReplica()
    try:
        pair.start_primary()
        yield pair
    finally:
        pair.stop()


def _manager(clinic, username: str) -> str:
    user = MembershipFactory(clinic=clinic, role=Role.MANAGER, user=UserFactory(username=username))
    return api_token_issue(user=user.user)[1]


def test_reports_and_exports_read_from_a_streaming_replica(clusters, process_env, tmp_path):
    clinic = ClinicFactory(name="Harbour Street Clinic", slug="harbour")
    writer_key, reader_key = _manager(clinic, "carol"), _manager(clinic, "dave")

    clusters.copy_database(database_url(), name="clinic")
    env = {
        **process_env,
        "DATABASE_URL": clusters.primary.url("clinic"),
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }
    # migrate finds nothing to do, so the standby is cloned meanwhile.
    migrate = subprocess.Popen(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    # The web nodes read the standby as the application's role, not a superuser: only what it
    # was granted on the primary (replication copies roles and grants).
    clusters.primary.query(
        "CREATE ROLE reporter LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO reporter",
        database="clinic",
    )
    clusters.start_replica()
    migrated, _ = migrate.communicate(timeout=120)
    assert migrate.returncode == 0 and "No migrations to apply" in migrated, migrated
    (in_recovery,) = clusters.replica.query("SELECT pg_is_in_recovery()")
    (primary_in_recovery,) = clusters.primary.query("SELECT pg_is_in_recovery()")
    assert in_recovery and not primary_in_recovery

    served = {
        **env,
        "DATABASE_REPLICA_URL": clusters.replica.url("clinic", user="reporter"),
        # The pause below must not count as lag: this test is about where reads go.
        "DATABASE_REPLICA_MAX_LAG_SECONDS": "600",
    }
    server, base = start_gunicorn(served, log=tmp_path / "gunicorn.log")
    writer, reader = Api(base, writer_key), Api(base, reader_key)
    try:
        writer.register("Ana", "Lindqvist")
        clusters.wait_for_replay()

        # The reader never wrote: the export and the report come from the standby.
        seen = len(clusters.replica.log_text())
        assert reader.exported_surnames() == {"Lindqvist"}
        outcomes = json.loads(reader.call("GET", "/api/v1/reports/outcomes/"))
        on_standby = clusters.replica.log_text()[seen:]
        assert "pg_is_in_recovery()" in on_standby
        assert '"patients_patient"' in on_standby, "the export did not read the standby"
        assert '"patients_paincourse"' in on_standby, "the report did not read the standby"
        assert outcomes["total"]["patients"] == 0

        # Replay paused: a patient registered now exists on the primary only.
        clusters.replica.query("SELECT pg_wal_replay_pause()")
        writer.register("Bo", "Marsh")
        assert reader.exported_surnames() == {"Lindqvist"}, "the reader's export was not stale"
        seen = len(clusters.replica.log_text())
        assert writer.exported_surnames() == {"Lindqvist", "Marsh"}, "own write not read back"
        assert '"patients_patient"' not in clusters.replica.log_text()[seen:]
        # The export command reads the standby too.
        exported = subprocess.run(
            [sys.executable, "manage.py", "export_csv", "patients", "--clinic", "harbour"],
            cwd=ROOT, env=served, check=True, timeout=120, capture_output=True, text=True,
        )  # fmt: skip
        assert "Lindqvist" in exported.stdout and "Marsh" not in exported.stdout

        clusters.replica.query("SELECT pg_wal_replay_resume()")
        clusters.wait_for_replay()
        assert reader.exported_surnames() == {"Lindqvist", "Marsh"}

        # The standby stops: reports and exports go on from the primary, no error.
        clusters.replica.stop()
        writer.register("Cy", "Okafor")
        assert reader.exported_surnames() == {"Lindqvist", "Marsh", "Okafor"}
        assert reader.call("GET", "/api/v1/reports/outcomes/")
    finally:
        stop_server(server)
    log = (tmp_path / "gunicorn.log").read_text()
    assert set(writer.statuses + reader.statuses) <= {200, 201}, log[-3000:]
    assert '" 5' not in log, log[-3000:]
    # Each export's audit row was written on the primary (the standby refuses writes).
    (exports,) = clusters.primary.query(
        "SELECT count(*) FROM clinic_auditevent WHERE action = 'export'", database="clinic"
    )
    assert exports == 5
    assert "replica unreachable" in log
