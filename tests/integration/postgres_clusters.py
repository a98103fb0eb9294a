"""Throwaway PostgreSQL clusters from the machine's own server binaries: a primary on a port of
its own and a streaming replica made from it with `pg_basebackup -R`, in a temporary folder.

initdb refuses to run as root: as root every server command runs as the `postgres` OS user
(runuser), who then owns the folder; otherwise as the current user. The servers are stopped by
the PIDs in their postmaster.pid files, nothing else."""

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from .conftest import free_port, wait_for

SUPERUSER = "postgres"


def server_bindir() -> Path:
    """The newest installed server's binaries (initdb, pg_ctl, pg_basebackup); PG_BINDIR wins.
    Fails, never skips: CI must not pass without them."""
    candidates = [os.environ["PG_BINDIR"]] if os.environ.get("PG_BINDIR") else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )[::-1]
    if initdb := shutil.which("initdb"):
        candidates.append(str(Path(initdb).parent))
    for folder in candidates:
        if all((Path(folder) / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")):
            return Path(folder)
    raise AssertionError(
        "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) were not found: install "
        "the server package or set PG_BINDIR."
    )


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """One server: its folder, port and log (every statement is logged when `log_all`)."""

    def __init__(self, bindir: Path, folder: Path, name: str):
        self.bindir = bindir
        self.data = folder / name
        self.log = folder / f"{name}.log"
        self.socket_dir = folder
        self.port = free_port()

    def run(self, tool: str, *args: str, timeout: float = 60) -> None:
        subprocess.run(  # noqa: S603 (the machine's own binaries, fixed arguments)
            _as_server_user([str(self.bindir / tool), *args]),
            check=True,
            timeout=timeout,
            capture_output=True,
        )

    def start(self, *settings: str) -> None:
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.socket_dir}",
            # A throwaway cluster: durability is not what the test is about, speed is.
            "-c fsync=off",
            "-c shared_buffers=16MB",
            "-c max_connections=40",
            *(f"-c {setting}" for setting in settings),
        ]
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                 "-o", " ".join(options), "start")  # fmt: skip

    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def stop(self) -> None:
        """Immediate shutdown through the postmaster's PID (SIGQUIT), then wait for it."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return

        def gone() -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            return False

        try:
            wait_for(gone, timeout=30, what=f"PostgreSQL (pid {pid}) to stop")
        except AssertionError:
            # Its backends notice the postmaster's death and exit on their own.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def url(self, database: str, *, user: str = SUPERUSER) -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database
        )
        connection.autocommit = True
        return connection

    def query(self, sql: str, params=(), *, database: str = "postgres"):
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone() if cursor.description else None
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class PrimaryAndReplica:
    """A primary and its streaming replica (hot standby, every statement logged)."""

    def __init__(self):
        self.bindir = server_bindir()
        self.folder = Path(tempfile.mkdtemp(prefix="clinic-replica-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.primary = Cluster(self.bindir, self.folder, "primary")
        self.replica = Cluster(self.bindir, self.folder, "replica")

    def start_primary(self) -> None:
        # initdb's pg_hba.conf with -A trust lets local replication connections in.
        self.primary.run("initdb", "-D", str(self.primary.data), "-U", SUPERUSER, "-A", "trust",
                         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        self.primary.start("wal_level=replica", "max_wal_senders=4")

    def start_replica(self) -> None:
        self.primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port),
                         "-U", SUPERUSER, "-D", str(self.replica.data), "-R", "-X", "stream",
                         "-c", "fast", "--no-sync")  # fmt: skip
        self.replica.start("hot_standby=on", "log_statement=all", "wal_receiver_status_interval=1")

    def wait_for_replay(self, *, timeout: float = 30) -> str:
        """Until the replica has replayed everything the primary has written so far."""
        (position,) = self.primary.query("SELECT pg_current_wal_insert_lsn()::text")

        def replayed() -> bool:
            (done,) = self.replica.query(
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [position]
            )
            return done

        wait_for(replayed, timeout=timeout, what=f"the replica to replay up to {position}")
        return position

    def stop(self) -> None:
        for cluster in (self.replica, self.primary):
            cluster.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def copy_database(self, source_url: str, *, name: str) -> None:
        """The primary gets `name`, a copy of the database at `source_url` (schema, triggers,
        functions and rows): pg_dump piped into psql from the same binaries."""
        self.primary.query(f'CREATE DATABASE "{name}"')
        dump = subprocess.Popen(  # noqa: S603
            [str(self.bindir / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            stdout=subprocess.PIPE,
        )
        subprocess.run(  # noqa: S603
            [str(self.bindir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d",
             self.primary.url(name)],
            stdin=dump.stdout, check=True, timeout=120, capture_output=True,
        )  # fmt: skip
        assert dump.wait(timeout=60) == 0, "pg_dump failed"
