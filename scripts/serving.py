"""What the bench and load scripts share: their PostgreSQL database, manage.py, and a gunicorn
on a free loopback port with the settings of the calling script's environment."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)  # noqa: S603


def create_database(url: str) -> None:
    """Create the script's database when it does not exist yet."""
    import environ
    import psycopg2
    from psycopg2 import sql

    settings = environ.Env.db_url_config(url)
    server = psycopg2.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"])))
    server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int | str | None = None) -> subprocess.Popen:
    """gunicorn (gunicorn.conf.py) without an access log: a line per request would drown the
    figures. Returns once /healthz answers."""
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-c", "gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--access-logfile", os.devnull, "--log-level", "warning",
    ]  # fmt: skip
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310  # nosec B310 (a local server)
                return server
        except OSError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    sys.exit("gunicorn did not answer within 60 s")
