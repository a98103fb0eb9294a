"""Real deadlocks on demand, for the tests of what a deadlock does to a request."""

import threading
import time

import psycopg2
from django.db import connection


class Deadlocker(threading.Thread):
    """Another connection that deadlocks with whoever takes `second` and then waits for `first`:
    it locks `first`, waits until a backend is blocked behind it, then asks for `second`. The
    blocked backend waited first, so its deadlock check fires first and PostgreSQL aborts it.
    It does so `times` times (each retry meets it again), then lets everything through."""

    def __init__(self, *, first: tuple[str, int], second: tuple[str, int], times: int):
        super().__init__(daemon=True)
        self.first, self.second, self.times = first, second, times
        self.deadlocks_caused = 0
        self.errors: list[BaseException] = []

    def _lock(self, cursor, table_and_id) -> None:
        table, pk = table_and_id
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608  # nosec B608 (test tables)

    def _wait_for_a_blocked_backend(self, cursor, pid: int) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
            )
            if cursor.fetchone():
                return True
            time.sleep(0.01)
        return False

    def run(self):
        params = connection.get_connection_params()
        own = psycopg2.connect(**params)
        watcher = psycopg2.connect(**params)
        watcher.autocommit = True
        try:
            with own.cursor() as cursor, watcher.cursor() as watch:
                for _ in range(self.times):
                    self._lock(cursor, self.first)
                    self.ready.set()
                    if not self._wait_for_a_blocked_backend(watch, own.get_backend_pid()):
                        own.rollback()
                        return
                    self._lock(cursor, self.second)  # the other one is the victim
                    self.deadlocks_caused += 1
                    own.commit()  # its retry pauses first, so this lock is taken again in time
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            self.errors.append(error)
        finally:
            own.close()
            watcher.close()

    def start(self):
        self.ready = threading.Event()
        super().start()
        assert self.ready.wait(10), "the second connection did not take its first lock"
