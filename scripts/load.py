"""`make load`: concurrent staff and patients against gunicorn with the production settings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_load \
        .venv/bin/python scripts/load.py --users 50 --duration 120 --patients 2000

Creates the database when missing, migrates, seeds the demo clinic (`seed_demo --patients`)
when it is missing and runs ANALYZE. Adds load-test staff to the demo clinic (one account per
virtual user, each with an enrolled authenticator, so no two users race for one code) and a
pool of intake links, then starts gunicorn (gunicorn.conf.py: gthread workers) and runs the
users for `--duration` seconds:

- therapists sign in, open a chart, start or continue a draft, autosave it every few seconds
  through the recording page's draft endpoint, sometimes sign it;
- front desk search patients and book follow-ups through the booking pages;
- managers read the dashboard, every report API and a patient's trends;
- patients fill intakes through their links, step by step.

Everyone waits 1-5 s between requests (autosaves 2-5 s). Staff sign in for real: the password,
then the current TOTP code computed with pyotp from their device's secret, read from the
database as `manage.py authenticator_code` does.

Prints, per group of requests, the count, p50/p95/p99 and errors by status, the request rate,
and the deadlocks PostgreSQL counted in `pg_stat_database` during the run. Exits 1 when any
request answered 5xx or failed to connect.

Why threads and urllib rather than locust: the script needs Django and psycopg2 in-process
(seeding, the authenticator secrets, pg_stat_database) and locust's gevent would monkeypatch
both; a hundred users with 1-5 s think times are a few dozen requests a second, which threads
keep up with on one core, and nothing new is installed.
"""

import argparse
import json
import os
import random
import re
import signal
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving import create_database, free_port, manage, start_gunicorn  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/clinic_load"
DEMO_CLINIC = "harbour-street"
SHARE = {"therapist": 0.4, "front_desk": 0.25, "manager": 0.15, "patient": 0.2}
REPORTS = ("outcomes", "trigger-points", "check-in-curve", "psfs", "rom")

# The server and this process: production settings over plain HTTP on the loopback.
PRODUCTION_LIKE = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "SECRET_KEY": "load-test-only-secret-key",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "60",
    "EMAIL_URL": "dummymail://",  # the intake links' emails go nowhere
}


# --- preparing the database -------------------------------------------------------------------


def prepare(patients: int) -> None:
    create_database(os.environ["DATABASE_URL"])
    manage("migrate", "--no-input", "-v", "0")
    manage("collectstatic", "--no-input", "-v", "0")  # production serves the hashed files
    manage("seed_demo", "--patients", str(patients), "--quiet")  # nothing when present


def load_accounts(counts: dict[str, int], intakes: int) -> dict:
    """Staff accounts of the demo clinic for the virtual users, each with a confirmed
    authenticator, and `intakes` fresh intake links. Returns what the users need."""
    import django

    django.setup()
    import pyotp
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from clinic.models import Clinic, Membership, Role, TOTPDevice
    from demo.catalogue import DEMO_PASSWORD
    from patients.models import Patient
    from patients.services import intake_invite

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # after the seed: no plan on empty statistics
    clinic = Clinic.objects.get(slug=DEMO_CLINIC)
    roles = {"therapist": Role.THERAPIST, "front_desk": Role.FRONT_DESK, "manager": Role.MANAGER}
    users = get_user_model().objects
    accounts: dict[str, list[tuple[str, str]]] = {}
    with transaction.atomic():
        for group, role in roles.items():
            accounts[group] = []
            for number in range(1, counts[group] + 1):
                username = f"load-{group.replace('_', '-')}-{number:03d}"
                user = users.filter(username=username).first()
                if user is None:
                    user = users.create_user(username, password=DEMO_PASSWORD, first_name="Load")
                    Membership.objects.create(user=user, clinic=clinic, role=role)
                    TOTPDevice.objects.create(
                        user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now()
                    )
                accounts[group].append((username, DEMO_PASSWORD))
    secrets = dict(
        TOTPDevice.objects.filter(user__username__startswith="load-").values_list(
            "user__username", "secret"
        )
    )
    inviter = users.get(username="load-front-desk-001") if counts["front_desk"] else None
    inviter = inviter or users.get(username="frontdesk")
    tokens: list[str] = []

    def link(raw: str) -> str:
        tokens.append(raw)
        return f"http://127.0.0.1/intake/{raw}/"

    for _ in range(intakes):
        intake_invite(
            clinic=clinic,
            created_by=inviter,
            email="load-patient@example.com",
            build_link=link,
        )
    patients = list(
        Patient.objects.filter(clinic=clinic, erasure_requested_at__isnull=True).values_list(
            "pk", "last_name"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return {"accounts": accounts, "secrets": secrets, "tokens": tokens, "patients": patients}


def deadlocks() -> int:
    import psycopg2

    with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        count = cursor.fetchone()[0]
    conn.close()
    return count


# --- the server -------------------------------------------------------------------------------


# --- the users --------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.broken: list[str] = []  # flows that raised: the script's own fault, or the page's

    def record(self, group: str, ms: float, status) -> None:
        with self.lock:
            self.samples[group].append(ms)
            self.statuses[group][status] += 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # each request is measured on its own; flows follow Location themselves


class Browser:
    """One user's cookies, CSRF token and timed requests."""

    def __init__(self, base: str, stats: Stats):
        self.base, self.stats = base, stats
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def csrf(self) -> str:
        return next((c.value or "" for c in self.jar if c.name == "csrftoken"), "")

    def call(self, group: str, method: str, path: str, *, form=None, body=None, expect=None):
        headers = {"Referer": self.base + "/"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **form}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers |= {"Content-Type": "application/json", "X-CSRFToken": self.csrf()}
        url = self.base + path  # always http://127.0.0.1:<port>
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        began = time.perf_counter()
        try:
            with self.opener.open(request, timeout=60) as answer:  # nosec B310 (a local server)
                status, text, location = answer.status, answer.read(), answer.headers["Location"]
        except urllib.error.HTTPError as error:
            status, text, location = error.code, error.read(), error.headers.get("Location")
        except OSError:
            status, text, location = "connection failed", b"", None
        self.stats.record(group, (time.perf_counter() - began) * 1000, status)
        if (
            expect is not None
            and status != expect
            and not (isinstance(status, int) and status >= 500)
        ):
            self.stats.record(f"{group} (unexpected {status})", 0.0, status)
        return status, text.decode("utf-8", "replace"), location

    def sign_in(self, username: str, password: str, secret: str) -> bool:
        import pyotp

        self.call("sign-in page", "GET", "/accounts/login/")
        status, _, location = self.call(
            "sign-in password",
            "POST",
            "/accounts/login/",
            form={"username": username, "password": password},
            expect=302,
        )
        if status != 302:
            return False
        self.call("sign-in code page", "GET", "/accounts/second-factor/")
        status, _, _ = self.call(
            "sign-in code",
            "POST",
            "/accounts/second-factor/",
            form={"code": pyotp.TOTP(secret).now()},
            expect=302,
        )
        return status == 302


class User(threading.Thread):
    def __init__(self, *, kind, base, stats, stop, shared, account=None, start_after=0.0):
        super().__init__(daemon=True)
        self.kind, self.stats, self.stop, self.shared = kind, stats, stop, shared
        self.account, self.start_after = account, start_after
        self.browser = Browser(base, stats)
        self.rng = random.Random()

    def think(self, low: float = 1.0, high: float = 5.0) -> bool:
        """Wait like a person; False once the run is over."""
        return not self.stop.wait(self.rng.uniform(low, high))

    def run(self):
        if self.stop.wait(self.start_after):
            return
        if self.kind != "patient":
            username, password = self.account
            if not self.browser.sign_in(username, password, self.shared["secrets"][username]):
                return
        flow = getattr(self, f"flow_{self.kind}")
        while not self.stop.is_set():
            try:
                flow()
            except Exception as error:  # noqa: BLE001 (a broken flow is a failed run, not a silent one)
                self.stats.record(f"{self.kind} flow broke", 0.0, type(error).__name__)
                self.stats.broken.append(f"{self.kind}: {error!r}")
                return

    def patient_id(self) -> int:
        return self.rng.choice(self.shared["patients"])[0]

    def flow_therapist(self):
        call = self.browser.call
        patient = self.patient_id()
        call("home", "GET", "/", expect=200)
        if not self.think():
            return
        call("chart", "GET", f"/patients/{patient}/", expect=200)
        if not self.think():
            return
        status, _, location = call(
            "session start", "POST", f"/sessions/new/?patient={patient}", form={}, expect=302
        )
        match = re.search(r"/sessions/(\d+)/", location or "")
        if not match:
            return
        session = match.group(1)
        call("session page", "GET", f"/sessions/{session}/", expect=200)
        for number in range(self.rng.randint(3, 8)):
            if not self.think(2, 5):  # autosave: every few seconds of typing
                return
            draft = {
                "subjective": f"Neck and shoulder tension, note {number}.",
                "pain": [
                    {
                        "source": "pre_session",
                        "region": "neck_back",
                        "side": "right",
                        "score": str(self.rng.randint(3, 8)),
                        "unable_to_rate": False,
                    }
                ],
            }
            call("draft autosave", "POST", f"/sessions/{session}/draft", body=draft, expect=200)
        if self.rng.random() < 0.3 and self.think():
            call(
                "sign",
                "POST",
                f"/sessions/{session}/sign",
                form={"acknowledge_red_flags": "on"},
                expect=302,
            )

    def flow_front_desk(self):
        call = self.browser.call
        _, name = self.rng.choice(self.shared["patients"])
        query = urllib.parse.urlencode({"q": name[:4]})
        _, page, _ = call("patient search", "GET", f"/patients/?{query}", expect=200)
        if not self.think():
            return
        call("booking search", "GET", f"/follow-ups/new/?{query}", expect=200)
        found = re.findall(r"/patients/(\d+)/", page)
        patient = int(self.rng.choice(found)) if found else self.patient_id()
        if not self.think():
            return
        call("booking form", "GET", f"/follow-ups/new/?patient={patient}", expect=200)
        if not self.think():
            return
        due = time.localtime(time.time() + self.rng.randint(1, 30) * 86400)
        call(
            "booking",
            "POST",
            f"/follow-ups/new/?patient={patient}",
            expect=302,
            form={
                "due_at": time.strftime("%Y-%m-%dT10:%M", due),
                "kind": "appointment",
                "therapist": "",
                "note": "",
            },
        )
        if self.think():
            call("follow-up list", "GET", "/follow-ups/", expect=200)
        if self.think():
            call("home", "GET", "/", expect=200)

    def flow_manager(self):
        call = self.browser.call
        call("dashboard", "GET", "/dashboard/", expect=200)
        for report in REPORTS:
            if not self.think():
                return
            call(f"report {report}", "GET", f"/api/v1/reports/{report}/", expect=200)
        patient = self.patient_id()
        for trend in ("pain-trend", "mobility-trend"):
            if not self.think():
                return
            path = f"/api/v1/reports/patients/{patient}/{trend}/"
            call("patient trend", "GET", path, expect=200)
        if self.think():
            call("home", "GET", "/", expect=200)

    def flow_patient(self):
        with self.shared["lock"]:
            token = self.shared["tokens"].pop() if self.shared["tokens"] else None
        if token is None:
            self.stop.wait()  # every link was used: this patient is done
            return
        call = self.browser.call
        for number, answers in enumerate(self.shared["steps"], start=1):
            call("intake page", "GET", f"/intake/{token}/?step={number}", expect=200)
            if not self.think():
                return
            call(
                "intake step",
                "POST",
                f"/intake/{token}/",
                form={"step": number, **answers},
                expect=302,
            )
        call("intake submit", "POST", f"/intake/{token}/", form={"step": 10}, expect=302)
        self.think()


def intake_answers() -> list[dict]:
    """What a patient types in the nine steps, as the pages post it."""
    from patients.forms import SCREENED_FLAGS

    return [
        {
            "first_name": "Load",
            "last_name": "Patient",
            "date_of_birth": "1980-05-17",
            "email": "load-patient@example.com",
            "phone": "+1 416 555 0100",
            "occupation": "Clerk",
        },
        {"chief_complaint": "Neck and shoulder pain after desk work", "health_history": ""},
        {flag.value: "no" for flag in SCREENED_FLAGS},
        {"medications": "None", "takes_anticoagulants": "no", "anticoagulant_details": ""},
        {"pain_neck_back_midline": "6", "pain_shoulder_right": "5"},
        {
            "onset_date": "2026-01-10",
            "duration_category": "chronic",
            "eases": "Heat",
            "worsens": "Long meetings",
        },
        {"activity_profile": "sedentary", "postures": "Desk 8 h a day", "sport": ""},
        {
            "goals": "Work a full day without pain",
            "activity_1": "Typing for an hour",
            "score_1": "4",
        },
        {
            "consent_to_treatment": "on",
            "consent_to_reminders": "on",
            "reminder_channel": "email",
            "signature_name": "Load Patient",
        },
    ]


# --- the run ----------------------------------------------------------------------------------


def split(users: int) -> dict[str, int]:
    counts = {kind: int(users * share) for kind, share in SHARE.items()}
    for kind in SHARE:  # at least one of each, then the rest to therapists
        if users >= len(SHARE) and counts[kind] == 0:
            counts[kind] = 1
    counts["therapist"] += users - sum(counts.values())
    return counts


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(stats: Stats, seconds: float, deadlock_count: int, counts: dict) -> int:
    """Prints the table; returns the number of 5xx answers and failed connections."""
    header = f"{'group':34} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8}  errors"
    print("\n" + header + "\n" + "-" * len(header))
    total = failures = 0
    everything: list[float] = []
    errors: Counter = Counter()
    for group in sorted(stats.samples):
        if "(unexpected" in group:
            continue
        ordered = sorted(stats.samples[group])
        everything += ordered
        total += len(ordered)
        bad = {s: n for s, n in stats.statuses[group].items() if not isinstance(s, int) or s >= 400}
        errors.update(bad)
        failures += sum(n for s, n in bad.items() if not isinstance(s, int) or s >= 500)
        listed = ", ".join(f"{s}: {n}" for s, n in sorted(bad.items(), key=str)) or "-"
        p50, p95, p99 = (percentile(ordered, share) for share in (0.5, 0.95, 0.99))
        print(f"{group:34} {len(ordered):6d} {p50:6.1f}ms {p95:6.1f}ms {p99:6.1f}ms  {listed}")
    unexpected = {g: sum(c.values()) for g, c in stats.statuses.items() if "(unexpected" in g}
    everything.sort()
    print("-" * len(header))
    users = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())
    print(f"users: {sum(counts.values())} ({users}); {seconds:.0f} s")
    if everything:
        print(
            f"requests: {total} ({total / seconds:.1f}/s); overall p50 "
            f"{statistics.median(everything):.1f} ms, p95 {percentile(everything, 0.95):.1f} ms, "
            f"p99 {percentile(everything, 0.99):.1f} ms"
        )
    print("errors by status: " + (", ".join(f"{s}: {n}" for s, n in errors.items()) or "none"))
    if unexpected:
        print(
            "answers other than the flow expects: "
            + ", ".join(f"{g}: {n}" for g, n in sorted(unexpected.items()))
        )
    for broken in stats.broken:
        print(f"a user stopped: {broken}")
    print(f"5xx and failed connections: {failures}")
    print(f"deadlocks (pg_stat_database, during the run): {deadlock_count}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 20)))
    parser.add_argument(
        "--duration",
        type=float,
        default=float(os.environ.get("LOAD_SECONDS", 60)),
        help="seconds of load after the users started",
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=int(os.environ.get("LOAD_PATIENTS", 2000)),
        help="the demo clinic's size when it must be seeded",
    )
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py's else)")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("make load measures PostgreSQL: set DATABASE_URL to a postgres:// database.")
    for name, value in PRODUCTION_LIKE.items():
        os.environ.setdefault(name, value)

    counts = split(args.users)
    prepare(args.patients)
    # Enough links for every patient user to keep filling for the whole run (~40 s each).
    links = counts["patient"] * (int(args.duration // 30) + 2)
    shared = load_accounts(counts, links)
    shared |= {"lock": threading.Lock(), "steps": intake_answers()}

    port = free_port()
    server = start_gunicorn(port, args.workers)
    stats, stop = Stats(), threading.Event()
    try:
        before = deadlocks()
        # Sign-ins spread out, as a morning's would be: each costs a password hash (PBKDF2,
        # CPU-bound), and a hundred at once would measure nothing else.
        ramp = min(60.0, args.duration / 4)
        users = [
            User(
                kind=kind,
                base=f"http://127.0.0.1:{port}",
                stats=stats,
                stop=stop,
                shared=shared,
                account=shared["accounts"][kind][i] if kind != "patient" else None,
                start_after=random.uniform(0, ramp),
            )
            for kind, n in counts.items()
            for i in range(n)
        ]
        print(
            f"{len(users)} users for {args.duration:.0f} s (signing in over the first "
            f"{ramp:.0f} s) against gunicorn on port {port}…"
        )
        began = time.monotonic()
        for user in users:
            user.start()
        stop.wait(args.duration)
        stop.set()
        for user in users:
            user.join(90)
        seconds = time.monotonic() - began
        time.sleep(1.0)  # backends report their counters when idle
        failures = report(stats, seconds, deadlocks() - before, counts)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
