from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_names_the_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {
        "postgres",
        "postgres-replica",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
    }
    web = compose["services"]["web"]
    assert "gunicorn" in web["command"]
    assert compose["services"]["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert compose["services"]["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    for name in ("web", "worker", "beat", "migrate"):
        settings_module = compose["services"][name]["environment"]["DJANGO_SETTINGS_MODULE"]
        assert settings_module == "config.settings.base"


def test_the_deployment_files_name_modules_that_exist():
    """`celery -A config` finds the Celery app as `config.celery_app`; gunicorn loads the WSGI
    callable the Dockerfile and compose name; the settings module they set imports."""
    import importlib

    from celery import Celery

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    celery_target = compose["services"]["worker"]["command"][2]
    assert isinstance(importlib.import_module(celery_target).celery_app, Celery)
    module, _, attribute = compose["services"]["web"]["command"][-1].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert 'CMD ["gunicorn", "config.wsgi:application"]' in (ROOT / "Dockerfile").read_text()
    importlib.import_module(compose["services"]["web"]["environment"]["DJANGO_SETTINGS_MODULE"])
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        # Sign-in throttles and link limits count in the cache: one Redis for every gunicorn
        # worker and every web replica, never each process's memory.
        assert env["CACHE_URL"].startswith("redis://redis:")


def test_docker_compose_migrates_as_the_owner_and_runs_as_the_application_role():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"][-2:] == ["migrate", "--no-input"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://clinic:")
    assert migrate["environment"]["DATABASE_APP_ROLE"] == "clinic_app"
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://clinic_app:")
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    init = (ROOT / "deploy" / "postgres" / "10-app-role.sh").read_text()
    assert "CREATE ROLE clinic_app LOGIN" in init


def test_env_example_lists_every_variable_the_settings_read():
    import re

    settings_source = (ROOT / "config" / "settings" / "base.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    example = (ROOT / ".env.example").read_text()
    missing = {name for name in read if not re.search(rf"^#? ?{name}=", example, re.M)}
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_docker_compose_runs_a_streaming_replica_the_web_nodes_read_reports_from():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    replica = services["postgres-replica"]
    script = replica["command"][-1]
    assert "pg_basebackup -h postgres -U replicator" in script and " -R " in script
    assert "hot_standby=on" in script
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pgreplica:/var/lib/postgresql/data" in replica["volumes"]
    # The web nodes read reports there as the application's role (replication copies roles);
    # they do not wait for it (clinic/replica.py reads the primary until it streams).
    url = services["web"]["environment"]["DATABASE_REPLICA_URL"]
    assert url.startswith("postgres://clinic_app:") and "@postgres-replica:5432/clinic" in url
    assert "postgres-replica" not in services["web"]["depends_on"]
    for name in ("worker", "beat"):
        assert "DATABASE_REPLICA_URL" not in services[name]["environment"]
    assert (
        services["web"]["environment"]["DATABASE_URL"]
        == (services["worker"]["environment"]["DATABASE_URL"])
    )
    init = (ROOT / "deploy" / "postgres" / "20-replication.sh").read_text()
    assert "CREATE ROLE replicator WITH REPLICATION LOGIN" in init
    assert "host replication replicator all scram-sha-256" in init
    assert "REPLICATION_PASSWORD" in services["postgres"]["environment"]
