"""Memory and speed of the clinic bulk FHIR export (issue 8) on a large seeded clinic.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_big \
        .venv/bin/python scripts/bench_export.py [--clinic harbour-street] [--type Observation]

The database must hold a seeded clinic (`manage.py seed_demo --patients 10000`); the script only
reads it. For each resource type it starts a fresh process that streams the export through the
API view (`GET /api/v1/fhir/export/<Type>.ndjson`, as the clinic's manager, authenticated in
memory so nothing is written) into a counting sink, and prints resources, seconds, resources per
second, megabytes written and the process's peak resident memory (`ru_maxrss` from wait4).
Target: peak under 300 MB for every type.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 300


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def child(clinic_slug: str, resource_type: str) -> None:
    setup_django()
    from django.http import StreamingHttpResponse
    from rest_framework.test import APIRequestFactory, force_authenticate

    from clinic.models import Membership, Role
    from interop.views import BulkExportView

    manager = (
        Membership.objects.filter(clinic__slug=clinic_slug, role=Role.MANAGER, is_active=True)
        .select_related("user")
        .first()
    )
    if manager is None:
        sys.exit(f"No manager in clinic {clinic_slug!r}: seed it with seed_demo first.")
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    request = APIRequestFactory().get(
        f"/api/v1/fhir/export/{resource_type}.ndjson", {"clinic": clinic_slug}
    )
    force_authenticate(request, user=manager.user)
    started = time.perf_counter()
    response = BulkExportView.as_view()(request, resource_type=resource_type)
    assert response.status_code == 200, response.status_code
    assert isinstance(response, StreamingHttpResponse)
    lines = size = 0
    for block in response.streaming_content:
        lines += block.count(b"\n")
        size += len(block)
    seconds = time.perf_counter() - started
    print(json.dumps({"lines": lines, "bytes": size, "seconds": seconds, "baseline": baseline_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinic", default="harbour-street", help="The clinic's slug.")
    parser.add_argument("--type", dest="types", action="append", help="Only this type.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.clinic, args.child)
        return

    setup_django()
    from interop.exports import RESOURCE_TYPES

    types = args.types or RESOURCE_TYPES
    print(f"Bulk FHIR export of clinic {args.clinic!r}, one process per resource type")
    print(f"{'type':<22}{'resources':>11}{'seconds':>9}{'per s':>9}{'MB out':>8}{'peak MB':>9}")
    total_lines = total_seconds = 0
    peaks = []
    for resource_type in types:
        process = subprocess.Popen(
            [sys.executable, __file__, "--clinic", args.clinic, "--child", resource_type],
            stdout=subprocess.PIPE,
        )
        assert process.stdout is not None  # a pipe, asked for above
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"The {resource_type} export failed.")
        figures = json.loads(output)
        peak_mb = usage.ru_maxrss / 1024
        peaks.append(peak_mb)
        total_lines += figures["lines"]
        total_seconds += figures["seconds"]
        print(
            f"{resource_type:<22}{figures['lines']:>11,}{figures['seconds']:>9.1f}"
            f"{figures['lines'] / max(figures['seconds'], 1e-9):>9,.0f}"
            f"{figures['bytes'] / 1e6:>8.1f}{peak_mb:>9.0f}"
        )
    print(
        f"{'all':<22}{total_lines:>11,}{total_seconds:>9.1f}"
        f"{total_lines / max(total_seconds, 1e-9):>9,.0f}{'':>8}{max(peaks):>9.0f}"
    )
    print(
        f"Peak resident memory {max(peaks):.0f} MB (a process before exporting: "
        f"{figures['baseline']:.0f} MB); target under {TARGET_MB} MB: "
        f"{'met' if max(peaks) < TARGET_MB else 'NOT met'}."
    )


if __name__ == "__main__":
    main()
