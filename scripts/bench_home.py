"""How fast the home page (`/`) renders, as each staff role, on a seeded demo clinic.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python scripts/bench_home.py \
        [--patients 2000] [--requests 50]

Seeds the demo clinic when it is missing (`seed_demo`, then ANALYZE), then renders `/`
in-process REQUESTS times as the demo manager, therapist and front-desk clerk (signed in with
both factors) and prints p50/p95, the SQL queries of one render and their time.
Target: p95 under 100 ms.
Each render writes its audit row, as in production.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from clinic.second_factor import SESSION_KEY  # noqa: E402

TARGET_P95_MS = 100
ROLES = ("manager", "therapist", "frontdesk")


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not get_user_model().objects.filter(username="manager").exists():
        call_command("seed_demo", patients=args.patients, quiet=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None
    print(f"database: {connection.vendor}; GET / x{args.requests} per role")
    missed = []
    for role in ROLES:
        client = signed_in(role)
        for _ in range(3):  # warm the connection and template caches
            assert client.get("/").status_code == 200
        queries: list[str] = []
        sql_ms: list[float] = []

        def timed(execute, sql, *rest, queries=queries, sql_ms=sql_ms):
            began = time.perf_counter()
            try:
                return execute(sql, *rest)
            finally:
                sql_ms.append((time.perf_counter() - began) * 1000)
                queries.append(sql)

        timings = []
        with connection.execute_wrapper(timed):
            for _ in range(args.requests):
                began = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
        p50 = statistics.median(timings)
        p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
        if p95 >= TARGET_P95_MS:
            missed.append(role)
        per_render = len(queries) // args.requests
        sql = sum(sql_ms) / args.requests
        print(
            f"  {role:<10} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {per_render:3d} queries, "
            f"{sql:5.1f} ms of SQL per render"
        )
    print(
        f"target p95 < {TARGET_P95_MS} ms: "
        + (f"MISSED for {', '.join(missed)}" if missed else "met")
    )


if __name__ == "__main__":
    main()
