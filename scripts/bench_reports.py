"""`make bench`: how fast the report endpoints answer on a large clinic, against the bare SQL
aggregate each one stands on (issue 19's goals; `scripts/bench_chart.py` measures the chart), and
the appointment book's figures (operations) on a busy year.

Seeds (or reuses) a demo clinic of BENCH_PATIENTS patients on PostgreSQL with `seed_demo` (which
analyzes the database after its commit), starts gunicorn, and for every report endpoint prints
p50/p95 over BENCH_REQUESTS sequential requests (authenticated with the demo manager's token),
the p50/p95 of the statement the endpoint runs, executed bare on a cursor, and endpoint/SQL
ratios. Every figure is printed with its target and MET or MISSED:
- the seed's rows written in at most 60 s (when this run seeded), then planner statistics on
  every table that has rows;
- every report p95 <= 100 ms, and its p50 at most 1.5 times its bare SQL's (the referral
  concordance included: each point's pain map read in the statement);
- the patient trends (small endpoints) p50 at most 3 times the request floor's (GET /healthz);
- the operations endpoint (several statements, timed alone) p95 <= 100 ms, over a year of
  appointments booked first when the clinic has none (BENCH_THERAPISTS therapists, weekdays
  08:00-20:00 back to back, BENCH_APPOINTMENT_DAYS days back and two weeks ahead).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench python scripts/bench_reports.py
"""

import os
import re
import signal
import statistics
import subprocess
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
TARGET_P95_MS, TARGET_RATIO = 100, 1.5
TARGET_FLOOR_TIMES = 3  # a small endpoint's p50 against the request floor's
TARGET_SEED_SECONDS = 60
# The nightly sessions-to-release forecast job for the bench clinic (sessions/forecasts.py).
TARGET_FORECAST_SECONDS = 10
THERAPISTS = int(os.environ.get("BENCH_THERAPISTS", "10"))
APPOINTMENT_DAYS = int(os.environ.get("BENCH_APPOINTMENT_DAYS", "365"))

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


def prepare() -> str | None:
    """Migrate and seed; the seed's own line ("Seeded N rows in S s") when this run seeded."""
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("make bench measures PostgreSQL: set DATABASE_URL to a postgres:// database.")
    create_database(os.environ["DATABASE_URL"])
    manage("migrate", "--no-input", "-v", "0")
    # 12-28 weekly sessions each: about 100,000 sessions and 550,000 pain scores for 5,000
    # patients, the size the reports are promised to handle. Does nothing when present.
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--patients", str(PATIENTS),
         "--weeks-min", "12", "--weeks-max", "28", "--quiet"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if seeded.returncode:
        sys.exit(f"seed_demo failed:\n{seeded.stdout}{seeded.stderr}")
    return next((line for line in seeded.stdout.splitlines() if line.startswith("Seeded")), None)


class Verdicts:
    """Every figure with its target: MET or MISSED, and the count of both at the end."""

    def __init__(self) -> None:
        self.missed: list[str] = []
        self.count = 0

    def __call__(self, met: bool, figure: str = "") -> str:
        self.count += 1
        if not met:
            self.missed.append(figure)
        return "MET" if met else "MISSED"


def seed_figures(seeded: str | None, verdict: Verdicts) -> None:
    if seeded is None:
        print("Seed: the demo clinic was already there (reused; its seed time is not measured)")
        return
    match = re.search(r"Seeded ([\d,]+) rows in ([\d.]+) s", seeded)
    assert match, seeded  # seed_demo's own line
    rows, seconds = int(match[1].replace(",", "")), float(match[2])
    met = verdict(seconds <= TARGET_SEED_SECONDS, "seed time")
    print(f"Seed: {rows:,} rows in {seconds:.1f} s (target <= {TARGET_SEED_SECONDS} s): {met}")


def statistics_figure(verdict: Verdicts) -> None:
    """Tables with rows that were never analyzed: their plans are guesses."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0 "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname"
        )
        never = [name for (name,) in cursor.fetchall()]
    met = verdict(not never, "planner statistics")
    print(
        f"Planner statistics on every table with rows: {met}"
        + (f" (never analyzed: {', '.join(never)})" if never else "")
    )


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


def seed_appointments(clinic) -> int:
    """A busy year on the book, when the clinic has none: the demo's therapists and bench ones
    up to THERAPISTS, each with weekday hours 08:00-20:00 booked in 45-minute appointments back
    to back, with patients drawn from the clinic's: 82 % attended, 7 % no-shows, 8 % cancelled
    (half late), 3 % arrived; the next two weeks two-thirds booked. Written in bulk, as a data
    migration would; each row made 0-29 days before its start. Returns how many."""
    import datetime as dt
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from clinic.models import Membership, Role
    from patients.models import Patient
    from scheduling.models import Appointment, WorkingHours

    if Appointment.objects.filter(clinic=clinic).exists():
        return 0
    staff = list(
        get_user_model()
        .objects.filter(memberships__clinic=clinic, memberships__role=Role.THERAPIST)
        .order_by("pk")
    )
    with transaction.atomic():
        for number in range(len(staff), THERAPISTS):
            user = get_user_model().objects.create(
                username=f"bench-therapist-{number}", first_name="Bench", last_name=str(number)
            )
            Membership.objects.create(user=user, clinic=clinic, role=Role.THERAPIST)
            staff.append(user)
        WorkingHours.objects.bulk_create(
            WorkingHours(clinic=clinic, therapist=t, weekday=day, starts="08:00", ends="20:00")
            for t in staff
            for day in range(5)
        )
        patients = list(Patient.objects.filter(clinic=clinic).values_list("pk", flat=True))
        draw = random.Random(14)  # noqa: S311  # nosec B311 (bench data, not secrets)
        zone = clinic.zone
        today = timezone.localdate(timezone=zone)
        rows = []
        for offset in range(-APPOINTMENT_DAYS, 15):
            day = today + dt.timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for therapist in staff:
                starts = dt.datetime.combine(day, dt.time(8), tzinfo=zone)
                for _slot in range(16):
                    ends = starts + dt.timedelta(minutes=45)
                    roll = draw.random()
                    status = _bench_status(roll, future=offset >= 0)
                    if status:
                        cancelled = status == "cancelled"
                        rows.append(
                            Appointment(
                                clinic=clinic,
                                patient_id=draw.choice(patients),
                                therapist=therapist,
                                starts_at=starts,
                                ends_at=ends,
                                status=status,
                                cancelled_at=starts - dt.timedelta(hours=6) if cancelled else None,
                                cancelled_late=cancelled and roll < 0.93,
                            )
                        )
                    starts = ends
        Appointment.objects.bulk_create(rows, batch_size=5000)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE scheduling_appointment SET created_at = starts_at"
                " - make_interval(days => CAST((id * 7919) %% 30 AS integer)) WHERE clinic_id = %s",
                [clinic.pk],
            )
            cursor.execute("ANALYZE scheduling_appointment")  # no plan on empty statistics
    return len(rows)


def _bench_status(roll: float, *, future: bool) -> str | None:
    if future:
        return "booked" if roll < 0.67 else None
    for status, below in (("completed", 0.82), ("no_show", 0.89), ("cancelled", 0.97)):
        if roll < below:
            return status
    return "arrived"


def main() -> None:
    seeded = prepare()
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from clinic.api_tokens import api_token_issue
    from clinic.rest import managed_clinic_ids
    from patients.models import Patient
    from patients.selectors import pain_trend
    from reports import selectors
    from reports.api import report_filters
    from scheduling.models import Appointment
    from sessions.selectors import mobility_trend

    verdict = Verdicts()
    seed_figures(seeded, verdict)
    statistics_figure(verdict)
    manager = get_user_model().objects.get(username="manager")
    _, token = api_token_issue(user=manager)

    class Request:  # what report_filters reads: the defaults, as the dashboard first asks
        user = manager
        query_params: dict[str, str] = {}

    filters = report_filters(Request)  # type: ignore[arg-type]  # a stand-in with what it reads
    clinic = filters.clinic
    booked = seed_appointments(clinic)
    if booked:
        print(f"Booked {booked:,} appointments on the clinic's book.")
    patient = Patient.objects.filter(clinic_id__in=managed_clinic_ids(manager)).order_by("pk")[0]

    def queryset_sql(queryset):
        sql, params = queryset.query.sql_with_params()
        return sql, list(params)

    reports = [
        ("outcomes", selectors.clinic_outcomes_sql),
        ("trigger-points", selectors.trigger_points_sql),
        ("concordance", selectors.concordance_sql),
        ("check-in-curve", selectors.check_in_curve_sql),
        ("psfs", selectors.psfs_change_sql),
        ("rom", selectors.rom_change_sql),
        # Outcome instruments (issue 16): the demo seeds NDI/LEFS responses and PSFS ratings.
        ("instruments", selectors.instrument_change_sql),
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
        for model in (Patient, *(m for m in _clinical_models()), Appointment)
    }
    print(
        f"\nClinic {clinic.name!r}: "
        + ", ".join(f"{n:,} {m._meta.verbose_name_plural}" for m, n in counts.items())
    )
    print(
        f"Period {filters.date_from} .. {filters.date_to}; {REQUESTS} requests each, "
        f"gunicorn with {WORKERS} workers\n"
    )

    from sessions.forecasts import release_forecasts_refresh

    began = time.monotonic()
    forecast_rows = release_forecasts_refresh(clinic_id=clinic.pk)
    spent = time.monotonic() - began
    print(
        f"Release forecasts (the nightly job): {forecast_rows:,} rows in {spent:.2f} s; "
        f"<= {TARGET_FORECAST_SECONDS} s: "
        f"{verdict(spent <= TARGET_FORECAST_SECONDS, 'release forecasts')}\n"
    )

    port = free_port()
    server = start_gunicorn(port, WORKERS)
    try:
        # What any request costs here before a report adds to it: HTTP, Django, one query.
        floor50, floor95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}/healthz", token))
        print(
            f"Request floor (GET /healthz, one query and a broker ping): p50 {floor50:.1f} ms, "
            f"p95 {floor95:.1f} ms\n"
        )
        header = (
            f"{'endpoint':48} {'p50':>7} {'p95':>7} {'sql p50':>8} {'sql p95':>8} {'ratio':>6}"
            "  targets"
        )
        print(header + "\n" + "-" * (len(header) + 28))
        for path, (sql, params) in cases:
            api50, api95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}{path}", token))
            sql50, sql95 = percentiles(time_sql(sql, params))
            ratio = api50 / sql50
            if "/patients/" in path:  # a small endpoint: against the request floor
                times = api50 / floor50
                targets = (
                    f"p50 {times:.1f}x floor (<= {TARGET_FLOOR_TIMES}x): "
                    f"{verdict(times <= TARGET_FLOOR_TIMES, path)}"
                )
            else:
                targets = (
                    f"p95 <= {TARGET_P95_MS} ms: {verdict(api95 <= TARGET_P95_MS, path)}, "
                    f"ratio <= {TARGET_RATIO}: {verdict(ratio <= TARGET_RATIO, path)}"
                )
            print(
                f"{path:48} {api50:6.1f}ms {api95:6.1f}ms {sql50:7.1f}ms {sql95:7.1f}ms "
                f"{ratio:6.2f}  {targets}"
            )
        # The appointment book's figures: several statements, timed as the endpoint answers.
        path = "/api/v1/reports/operations/"
        api50, api95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}{path}", token))
        met = verdict(api95 <= TARGET_P95_MS, path)
        print(f"{path:48} {api50:6.1f}ms {api95:6.1f}ms  p95 <= {TARGET_P95_MS} ms: {met}")
        # The trigger-point trends of a patient: a few statements each, against the floor.
        for trend in ("ppt-trend", "release-forecasts", "n-of-1"):
            path = f"/api/v1/reports/patients/{patient.pk}/{trend}/"
            api50, api95 = percentiles(time_endpoint(f"http://127.0.0.1:{port}{path}", token))
            times = api50 / floor50
            met = verdict(times <= TARGET_FLOOR_TIMES, path)
            print(
                f"{path:48} {api50:6.1f}ms {api95:6.1f}ms  p50 {times:.1f}x floor "
                f"(<= {TARGET_FLOOR_TIMES}x): {met}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"\n{verdict.count - len(verdict.missed)} of {verdict.count} figures MET"
        + (f"; MISSED: {', '.join(sorted(set(verdict.missed)))}" if verdict.missed else "")
        + f". Load average at the end: {load} (on {os.cpu_count()} cores)."
    )


def _clinical_models():
    from outcomes.models import InstrumentResponse
    from patients.models import PainScore
    from sessions.models import MobilityMeasurement, TreatmentSession, TriggerPoint

    return (TreatmentSession, PainScore, TriggerPoint, MobilityMeasurement, InstrumentResponse)


if __name__ == "__main__":
    main()
