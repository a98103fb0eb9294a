"""How fast the patient chart renders for a long-treated patient (issue: therapist workflow).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench \
        .venv/bin/python scripts/bench_chart.py [--sessions 200] [--requests 50]

Builds (once) a patient with 200 signed sessions — 3 trigger points, 4 pain scores and 2 range-of-
motion measurements each — then renders /patients/<id>/ in-process 50 times as their therapist and
prints p50/p95 and the number of SQL queries per render. Target: p95 under 300 ms on PostgreSQL.
"""

import argparse
import datetime as dt
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
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.models import Clinic, Membership, Role  # noqa: E402
from clinic.second_factor import SESSION_KEY  # noqa: E402
from clinic.types import User  # noqa: E402
from patients.models import PainScore, Patient  # noqa: E402
from sessions.models import (  # noqa: E402
    MobilityMeasurement,
    Movement,
    Muscle,
    TreatmentSession,
    TriggerPoint,
)


@transaction.atomic
def build(sessions: int) -> tuple[Patient, User]:
    # One patient per size, so a smaller run (make bench-smoke) never reuses a larger one.
    clinic, _ = Clinic.objects.get_or_create(
        slug=f"bench-chart-{sessions}", defaults={"name": "Bench"}
    )
    therapist, _ = get_user_model().objects.get_or_create(
        username=f"bench-chart-therapist-{sessions}"
    )
    Membership.objects.get_or_create(
        user=therapist, clinic=clinic, defaults={"role": Role.THERAPIST}
    )
    patient = Patient.objects.filter(clinic=clinic).first()
    if patient:
        return patient, therapist
    print(f"Building a patient with {sessions} sessions…", flush=True)
    patient = Patient.objects.create(
        clinic=clinic, first_name="Long", last_name="Course", date_of_birth=dt.date(1975, 1, 1)
    )
    muscles = list(Muscle.objects.all()[:6])
    movements = list(Movement.objects.all()[:2])
    start = timezone.now() - dt.timedelta(days=7 * sessions)
    # Written as drafts, then signed in one UPDATE: the database refuses points, scores and
    # ROM rows added to a note already signed.
    drafts = TreatmentSession.objects.bulk_create(
        TreatmentSession(
            patient=patient,
            therapist=therapist,
            started_at=start + dt.timedelta(days=7 * i),
            subjective="Neck and shoulder tension.",
            plan="Weekly.",
        )
        for i in range(sessions)
    )
    TriggerPoint.objects.bulk_create(
        TriggerPoint(
            session=s,
            muscle=muscles[(i + k) % len(muscles)],
            side="right",
            chart_view="back",
            x=0.4,
            y=0.2,
            tenderness=(7 - k + i % 3) % 11,
            hold_seconds=30,
            pressure=5,
            released=k == 0,
        )
        for i, s in enumerate(drafts)
        for k in range(3)
    )
    PainScore.objects.bulk_create(
        PainScore(
            patient=patient,
            session=s,
            recorded_at=s.started_at,
            source=source,
            region=region,
            side="right",
            score=5 + (i % 3) - (source == "post_session"),
        )
        for i, s in enumerate(drafts)
        for source in ("pre_session", "post_session")
        for region in ("neck_back", "shoulder")
    )
    MobilityMeasurement.objects.bulk_create(
        MobilityMeasurement(
            patient=patient,
            session=s,
            movement=m,
            side="right",
            degrees=min(m.normal_degrees, 30 + i % 40),
            measured_at=s.started_at,
        )
        for i, s in enumerate(drafts)
        for m in movements
    )
    TreatmentSession.objects.filter(patient=patient).update(
        status="signed", signed_at=F("started_at") + dt.timedelta(hours=1), signed_by=therapist
    )
    return patient, therapist


def main() -> None:
    parser = argparse.ArgumentParser(description="The chart of a long-treated patient.")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    patient, therapist = build(args.sessions)
    client = Client()
    client.force_login(therapist)
    session = client.session  # staff pages need the second factor too, as a real sign-in has
    session[SESSION_KEY] = True
    session.save()
    url = f"/patients/{patient.pk}/"
    for _ in range(3):  # warm the connection and template caches
        assert client.get(url).status_code == 200
    queries = []

    def record(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(record):
        client.get(url)
    timings = []
    for _ in range(args.requests):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    p50 = statistics.median(timings)
    p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
    print(f"database: {connection.vendor}; patient with {patient.sessions.count()} sessions")
    print(
        f"GET {url} x{args.requests}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"{len(queries)} queries, {len(response.content) / 1024:.0f} KiB"
    )
    print(f"target p95 < 300 ms: {'met' if p95 < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
