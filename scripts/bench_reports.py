"""`make bench`: how fast the report endpoints answer on a large clinic, against the bare SQL
aggregate each one stands on.

Seeds (or reuses) a demo clinic of BENCH_PATIENTS patients on PostgreSQL with `seed_demo`,
starts gunicorn, and for every report endpoint prints p50/p95 over BENCH_REQUESTS sequential
requests (authenticated with the demo manager's token), the p50/p95 of the statement the
endpoint runs, executed bare on a cursor, and endpoint/SQL ratios. Targets: p95 < 300 ms and a
p50 ratio < 2.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench python scripts/bench_reports.py
"""

import os
import signal
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import create_database, free_port, manage, start_gunicorn  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_bench"
PATIENTS = int(os.environ.get("BENCH_PATIENTS", "5000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
TARGET_P95_MS, TARGET_RATIO = 300, 2.0

os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Production settings, served over plain HTTP on the loopback: no redirect to HTTPS.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Persistent connections, as a deployment keeps them: the bare SQL below reuses its connection too.
os.environ.setdefault("CONN_MAX_AGE", "60")


def prepare() -> None:
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("make bench measures PostgreSQL: set DATABASE_URL to a postgres:// database.")
    create_database(os.environ["DATABASE_URL"])
    manage("migrate", "--no-input", "-v", "0")
    # 12-28 weekly sessions each: about 100,000 sessions and 550,000 pain scores for 5,000
    # patients, the size the reports are promised to handle. Does nothing when present.
    manage("seed_demo", "--patients", str(PATIENTS), "--weeks-min", "12", "--weeks-max", "28",
           "--quiet")  # fmt: skip


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95


def time_endpoint(url: str, token: str) -> list[float]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})  # noqa: S310
    samples = []
    for attempt in range(REQUESTS + 3):  # three warm-up requests, not counted
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (a local server)  # nosec B310
            answer.read()
            assert answer.status == 200, (url, answer.status)
        if attempt >= 3:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_sql(sql: str, params: list) -> list[float]:
    """The statement alone, run the way the report runs it (its own transaction and work_mem)."""
    from reports.selectors import run_report_sql

    samples = []
    for attempt in range(REQUESTS + 3):
        started = time.perf_counter()
        run_report_sql(sql, params)
        if attempt >= 3:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    prepare()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from clinic.api_tokens import api_token_issue
    from clinic.rest import managed_clinic_ids
    from patients.models import Patient
    from patients.selectors import pain_trend
    from reports import selectors
    from reports.api import report_filters
    from sessions.selectors import mobility_trend

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics after seeding, as autovacuum would give
    manager = get_user_model().objects.get(username="manager")
    _, token = api_token_issue(user=manager)

    class Request:  # what report_filters reads: the defaults, as the dashboard first asks
        user = manager
        query_params: dict[str, str] = {}

    filters = report_filters(Request)  # type: ignore[arg-type]  # a stand-in with what it reads
    clinic = filters.clinic
    patient = Patient.objects.filter(clinic_id__in=managed_clinic_ids(manager)).order_by("pk")[0]

    def queryset_sql(queryset):
        sql, params = queryset.query.sql_with_params()
        return sql, list(params)

    reports = [
        ("outcomes", selectors.clinic_outcomes_sql),
        ("trigger-points", selectors.trigger_points_sql),
        ("check-in-curve", selectors.check_in_curve_sql),
        ("psfs", selectors.psfs_change_sql),
        ("rom", selectors.rom_change_sql),
    ]
    cases = [
        (f"/api/v1/reports/{name}/", build(user=manager, filters=filters))
        for name, build in reports
    ]
    cases += [
        (
            f"/api/v1/reports/patients/{patient.pk}/pain-trend/",
            queryset_sql(pain_trend(patient=patient)),
        ),
        (
            f"/api/v1/reports/patients/{patient.pk}/mobility-trend/",
            queryset_sql(mobility_trend(patient=patient)),
        ),
    ]

    counts = {
        model: model.objects.filter(**{model.clinic_lookup: clinic}).count()
        for model in (Patient, *(m for m in _clinical_models()))
    }
    print(
        f"\nClinic {clinic.name!r}: "
        + ", ".join(f"{n:,} {m._meta.verbose_name_plural}" for m, n in counts.items())
    )
    print(
        f"Period {filters.date_from} .. {filters.date_to}; {REQUESTS} requests each, "
        f"gunicorn with {WORKERS} workers\n"
    )

    port = free_port()
    server = start_gunicorn(port, WORKERS)
    missed = []
    try:
        # What any request costs here before a report adds to it: HTTP, Django, one query.
        floor50, floor95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}/healthz", token))
        print(
            f"Request floor (GET /healthz, one query and a broker ping): p50 {floor50:.1f} ms, "
            f"p95 {floor95:.1f} ms\n"
        )
        header = f"{'endpoint':55} {'p50':>7} {'p95':>7} {'sql p50':>8} {'sql p95':>8} {'ratio':>6}"
        print(header + "\n" + "-" * len(header))
        for path, (sql, params) in cases:
            api50, api95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}{path}", token))
            sql50, sql95 = percentiles(time_sql(sql, params))
            ratio = api50 / sql50
            flag = ""
            if api95 >= TARGET_P95_MS or ratio >= TARGET_RATIO:
                flag = "  MISSED"
                missed.append(path)
            print(
                f"{path:55} {api50:6.1f}ms {api95:6.1f}ms {sql50:7.1f}ms {sql95:7.1f}ms "
                f"{ratio:6.2f}{flag}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(
        f"\nTargets: p95 < {TARGET_P95_MS} ms, endpoint/SQL (p50) < {TARGET_RATIO}. "
        + (f"Missed on {len(missed)} endpoint(s)." if missed else "All met.")
    )


def _clinical_models():
    from patients.models import PainScore
    from sessions.models import MobilityMeasurement, TreatmentSession, TriggerPoint

    return (TreatmentSession, PainScore, TriggerPoint, MobilityMeasurement)


if __name__ == "__main__":
    main()
