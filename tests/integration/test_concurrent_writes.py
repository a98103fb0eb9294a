"""Issue 18: concurrent autosaves, signatures (which book the check-in), bookings and report
reads on the same patients, each thread on its own real PostgreSQL connection, through the
pages and the API. Before, writers took one global lock for the audit chain after their row
locks and held it to commit: PostgreSQL found deadlocks within seconds and the requests caught
in them answered 500. Now no request may fail and PostgreSQL may count no deadlock."""

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.audit import audit_verify
from clinic.models import Role
from sessions.services import session_start, session_update
from tests.conftest import _member, signed_in
from tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = 6


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _run(work, until, outcomes, failures):
    try:
        while time.monotonic() < until:
            name, status = work()
            outcomes[(name, status)] += 1
    except Exception as error:  # noqa: BLE001  (any failure is the finding)
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        connections.close_all()  # this thread's connection; its statistics reach the server


def _autosaver(therapist, session):
    client, scores = signed_in(Client(), therapist), iter(range(10**6))

    def save():
        pain = [
            {
                "source": "pre_session",
                "region": "neck_back",
                "side": "right",
                "score": next(scores) % 11,
            }
        ]
        response = client.post(
            reverse("session_draft", args=[session.pk]),
            {"subjective": "Stiff neck.", "pain": pain},
            content_type="application/json",
        )
        return "autosave", response.status_code

    return save


def _signer(therapist, patient):
    client = signed_in(Client(), therapist)

    def sign():
        # A session of its own each time, with the clinic's minimum content to be signed.
        session = session_start(patient=patient, therapist=therapist, another=True)
        session_update(
            session=session,
            user=therapist,
            fields={"subjective": "Stiff neck."},
            pain=[{"source": "pre_session", "region": "neck_back", "side": "right", "score": 5}],
        )
        response = client.post(reverse("session_sign", args=[session.pk]))
        return "sign", response.status_code

    return sign


def _booker(desk, patient, zone):
    client = signed_in(Client(), desk)

    def book():
        due = timezone.localtime(timezone.now() + dt.timedelta(days=3), zone)
        response = client.post(
            f"{reverse('follow_up_new')}?patient={patient.pk}",
            {"due_at": due.strftime("%Y-%m-%dT%H:%M"), "kind": "appointment", "note": ""},
        )
        return "booking", response.status_code

    return book


def _reader(manager, patient):
    client = signed_in(Client(), manager)

    def read():
        response = client.get(reverse("report-pain-trend", args=[patient.pk]))
        return "report", response.status_code

    return read


def test_concurrent_saves_bookings_and_reads_on_the_same_patients_never_deadlock(clinic_a):
    patients = PatientFactory.create_batch(2, clinic=clinic_a)
    therapists = [_member(clinic_a, Role.THERAPIST, f"therapist{i}") for i in range(4)]
    desk = _member(clinic_a, Role.FRONT_DESK, "desk")
    manager = _member(clinic_a, Role.MANAGER, "boss")
    drafts = {
        t.pk: session_start(patient=patients[i % 2], therapist=t) for i, t in enumerate(therapists)
    }
    work = [_autosaver(t, drafts[t.pk]) for t in therapists[:3]]
    work += [_signer(therapists[3], p) for p in patients]
    work += [_booker(desk, p, clinic_a.zone) for p in patients]
    work += [_reader(manager, p) for p in patients]
    before = _deadlocks()
    outcomes, failures = Counter(), []
    until = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_run, args=(w, until, outcomes, failures)) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)

    assert failures == []
    assert {status for _, status in outcomes} <= {200, 302}, outcomes
    done = Counter(name for name, _ in outcomes.elements())
    assert min(done[name] for name in ("autosave", "sign", "booking", "report")) >= 5, done
    time.sleep(1.5)  # the backends' statistics are flushed as their connections close
    assert _deadlocks() - before == 0
    assert audit_verify() == []
