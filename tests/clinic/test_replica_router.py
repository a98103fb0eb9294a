"""The read-replica router (clinic/replica.py): which alias each kind of read and write gets,
which routes read in a replica scope, and the settings that configure it. The real standby is
in tests/integration/test_read_replica.py."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.replica import (
    REPLICA,
    ReadScope,
    ReplicaRouter,
    _stream_in,
    current_scope,
    read_alias,
    replica_reads,
)

ROOT = Path(__file__).resolve().parents[2]
router = ReplicaRouter()

REPORT_DATA = [
    "patients.Patient",
    "patients.PainScore",
    "patients.PainCourse",
    "treatments.TreatmentSession",
    "treatments.TriggerPointVisit",
    "treatments.MobilityCourse",
    "treatments.Muscle",
    "scheduling.Appointment",
    "scheduling.Reminder",
]
# Who may read, and the record that they did: always current, always on the primary.
ACCESS_AND_AUDIT = [
    "auth.User",
    "sessions.Session",
    "clinic.Clinic",
    "clinic.Membership",
    "clinic.ApiToken",
    "clinic.AuditEvent",
    "clinic.SignInGuard",
]


def _model(label: str):
    return apps.get_model(label)


def _decided(alias: str) -> ReadScope:
    """A scope whose replica check already answered `alias`."""
    return ReadScope(alias=alias)


@pytest.mark.parametrize("label", REPORT_DATA + ACCESS_AND_AUDIT)
def test_outside_a_replica_scope_every_read_goes_to_the_primary(label):
    assert router.db_for_read(_model(label)) == DEFAULT_DB_ALIAS
    assert read_alias() == DEFAULT_DB_ALIAS


@pytest.mark.parametrize("label", REPORT_DATA)
def test_a_report_scope_reads_the_clinical_tables_from_the_replica(label):
    with replica_reads(_decided(REPLICA)):
        assert router.db_for_read(_model(label)) == REPLICA
        assert read_alias() == REPLICA


@pytest.mark.parametrize("label", ACCESS_AND_AUDIT)
def test_sign_in_sessions_memberships_and_audit_are_read_on_the_primary_even_in_a_scope(label):
    with replica_reads(_decided(REPLICA)):
        assert router.db_for_read(_model(label)) == DEFAULT_DB_ALIAS


@pytest.mark.parametrize("label", REPORT_DATA + ACCESS_AND_AUDIT)
def test_every_write_goes_to_the_primary(label):
    assert router.db_for_write(_model(label)) == DEFAULT_DB_ALIAS
    with replica_reads(_decided(REPLICA)):
        assert router.db_for_write(_model(label)) == DEFAULT_DB_ALIAS


def test_a_scope_that_wrote_a_clinical_table_reads_its_own_write_on_the_primary():
    scope = _decided(REPLICA)
    with replica_reads(scope):
        router.db_for_write(_model("clinic.AuditEvent"))  # a read's audit row pins nothing
        assert router.db_for_read(_model("patients.Patient")) == REPLICA
        router.db_for_write(_model("patients.PainScore"))
        assert router.db_for_read(_model("patients.Patient")) == DEFAULT_DB_ALIAS
        assert read_alias() == DEFAULT_DB_ALIAS


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_transaction_on_the_primary_stays_there():
    with replica_reads(_decided(REPLICA)):
        with transaction.atomic():
            assert router.db_for_read(_model("patients.Patient")) == DEFAULT_DB_ALIAS
        assert router.db_for_read(_model("patients.Patient")) == REPLICA


def test_without_a_replica_configured_a_scope_reads_from_the_primary(settings):
    assert REPLICA not in settings.DATABASES
    scope = ReadScope()
    with replica_reads(scope):
        assert router.db_for_read(_model("patients.Patient")) == DEFAULT_DB_ALIAS
    assert scope.alias == DEFAULT_DB_ALIAS


@pytest.mark.parametrize(
    ("streaming", "caught_up", "lag", "alias", "reason"),
    [
        (True, True, 0, REPLICA, None),
        (True, True, 9.5, REPLICA, None),
        (True, True, 10.5, DEFAULT_DB_ALIAS, "lagging"),
        (True, True, None, DEFAULT_DB_ALIAS, "lagging"),
        (True, False, 0, DEFAULT_DB_ALIAS, "own write not replayed yet"),
        (False, True, 0, DEFAULT_DB_ALIAS, "not streaming"),
    ],
)
def test_the_replica_is_used_only_streaming_caught_up_with_the_user_and_within_the_lag(
    settings, streaming, caught_up, lag, alias, reason
):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 10
    scope = ReadScope()
    assert scope._verdict(streaming=streaming, caught_up=caught_up, lag=lag) == alias
    assert scope.reasons == ([reason] if reason else [])


def test_a_replica_in_trouble_is_logged_when_the_trouble_begins_not_at_every_report(
    settings, caplog, monkeypatch
):
    from clinic import replica

    monkeypatch.setattr(replica, "_last_trouble", "")
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 10
    for _ in range(3):
        ReadScope()._verdict(streaming=True, caught_up=True, lag=60)
    ReadScope()._verdict(streaming=True, caught_up=True, lag=0)
    ReadScope()._verdict(streaming=True, caught_up=True, lag=0)
    assert [r.getMessage() for r in caplog.records if r.name == "clinic.replica"] == [
        "replica lags 60 s: reading from the primary",
        "replica streaming again: reports read from it",
    ]


def test_a_streamed_export_produces_each_chunk_inside_its_views_scope():
    scope = _decided(REPLICA)

    def chunks():
        for _ in range(3):
            yield current_scope()

    assert list(_stream_in(scope, chunks())) == [scope, scope, scope]
    assert current_scope() is None


def test_migrations_never_run_on_the_replica():
    assert router.allow_migrate(REPLICA, "patients") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "patients") is True


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _scoped(view) -> bool:
    return bool(
        getattr(view, "replica_scope", False)
        or getattr(getattr(view, "view_class", None), "replica_scope", False)
    )


REPLICA_ROUTES = ("api/v1/reports/", "api/v1/export/", "api/v1/fhir/export/", "dashboard/")


def test_reports_exports_and_the_dashboard_read_in_a_replica_scope_and_nothing_else_does():
    routes = dict(_routes())
    expected = {
        path
        for path in routes
        if path.startswith(REPLICA_ROUTES) or path == "api/v1/patients/<int:patient_id>/fhir/"
    }
    assert len(expected) >= 13
    assert {path for path, view in routes.items() if _scoped(view)} == expected


def _boot(**env_overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env_overrides}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DATABASE_REPLICA_URL": "sqlite:///replica.sqlite3"}, "needs PostgreSQL"),
        (
            {"DATABASE_URL": "sqlite:///p.sqlite3", "DATABASE_REPLICA_URL": "postgres://r/db"},
            "needs PostgreSQL",
        ),
        ({"DATABASE_REPLICA_MAX_LAG_SECONDS": "0"}, "must be > 0"),
        ({"DATABASE_REPLICA_MAX_LAG_SECONDS": "soon"}, "could not convert"),
        ({"DATABASE_REPLICA_CONNECT_TIMEOUT": "0"}, "CONNECT_TIMEOUT >= 1"),
    ],
)
def test_settings_refuse_a_replica_they_cannot_use(overrides, message):
    result = _boot(**overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_settings_add_the_replica_as_a_mirror_of_the_primary_in_tests():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "r = s.DATABASES['replica']; "
        "print(r['HOST'], r['PORT'], r['TEST']['MIRROR'], r['OPTIONS']['connect_timeout'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["DATABASE_REPLICA_URL"] = "postgres://reader@standby.internal:5433/clinic"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["standby.internal", "5433", "default", "2"], result.stderr


UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


# Only replica_configured() reads the overridden DATABASES: no connection is made to the alias.
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_with_the_cache_down_a_scope_reads_the_primary(settings, caplog, monkeypatch):
    from clinic import replica

    monkeypatch.setattr(replica, "_last_trouble", "")
    settings.DATABASES = {**settings.DATABASES, REPLICA: dict(settings.DATABASES["default"])}
    settings.CACHES = UNREACHABLE_CACHE

    class SignedIn:
        method = "GET"
        user = type("U", (), {"pk": 7, "is_authenticated": True})()

    scope = ReadScope(request=SignedIn())
    with replica_reads(scope):
        assert router.db_for_read(_model("patients.Patient")) == DEFAULT_DB_ALIAS
    assert "cache unreachable" in caplog.text


@pytest.mark.django_db
def test_a_write_that_cannot_be_remembered_still_answers(settings, caplog, therapist):
    from clinic.replica import remember_write

    settings.CACHES = UNREACHABLE_CACHE
    remember_write(therapist.pk)  # no exception: the write it follows is done
    assert "could not remember a write for the replica" in caplog.text
