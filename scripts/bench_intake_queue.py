"""How the staff intake queue and review page scale: builds a clinic with many submitted intakes
inside a transaction that is rolled back, then prints queries and timings.

    DATABASE_URL=postgres://... .venv/bin/python scripts/bench_intake_queue.py --intakes 5000
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic.models import Clinic, Membership, Role  # noqa: E402
from clinic.types import StaffRequest  # noqa: E402
from patients.models import IntakeSubmission  # noqa: E402
from patients.views.review import intake_queue, intake_review  # noqa: E402


class Rollback(Exception):
    pass


def timed(call, repeat: int) -> tuple[float, int]:
    """Median milliseconds over `repeat` runs, and the queries of one run."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            call()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--intakes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = timezone.now()
    try:
        with transaction.atomic():
            clinic = Clinic.objects.create(name="Bench clinic", slug="bench-intake-queue")
            user = get_user_model().objects.create_user("bench-therapist")
            Membership.objects.create(user=user, clinic=clinic, role=Role.THERAPIST)
            answers = {
                "personal": {
                    "first_name": "Pat",
                    "last_name": "Bench",
                    "date_of_birth": "1980-05-17",
                }
            }
            IntakeSubmission.objects.bulk_create(
                IntakeSubmission(
                    clinic=clinic,
                    status="submitted",
                    answers={**answers, "personal": {**answers["personal"], "email": f"{n}@x.org"}},
                    red_flags=[{"code": "osteoporosis", "details": ""}] if n % 7 == 0 else [],
                    consent_to_treatment=True,
                    signature_name="Pat Bench",
                    signed_at=now,
                    submitted_at=now,
                )
                for n in range(args.intakes)
            )
            factory = RequestFactory()

            def queue():
                request = cast(StaffRequest, factory.get("/intakes/"))
                request.user = get_user_model().objects.get(pk=user.pk)
                assert intake_queue(request).status_code == 200

            first = IntakeSubmission.objects.filter(clinic=clinic).first()
            assert first is not None  # written above

            def review():
                request = cast(StaffRequest, factory.get(f"/intakes/{first.pk}/"))
                request.user = get_user_model().objects.get(pk=user.pk)
                # Stand-ins for the session and messages middleware the factory skips.
                request.session = {}  # type: ignore[assignment]
                request._messages = []  # type: ignore[attr-defined]
                assert intake_review(request, intake_id=first.pk).status_code == 200

            print(f"{connection.vendor}, {args.intakes} submitted intakes awaiting review")
            for name, call in (("queue page", queue), ("review page", review)):
                ms, queries = timed(call, args.repeat)
                print(f"{name:12} {ms:8.1f} ms median of {args.repeat}, {queries} queries")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
