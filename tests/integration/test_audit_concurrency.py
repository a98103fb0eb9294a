"""Issue 19, goal 6: clinics never wait for each other's audit rows. One clinic's audited write
holds its transaction open on its own real connection; meanwhile another clinic's audited page
read and audited write complete, and the sequencer links the committed rows, all without
waiting (a lock wait on this side fails at once: `lock_timeout`). Before issue 18 every audited
write took one advisory lock to commit, so the second clinic waited for the first."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from clinic.audit import audit_chain, audit_verify
from clinic.models import AuditChainLink, AuditEvent
from sessions.services import session_start
from tests.factories import PatientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HOLD_SECONDS = 30  # far longer than the other clinic's work may take


def _hold_an_audited_write_open(therapist, patient, written, release, failures):
    """Clinic A: a real write and its audit row, then the transaction stays open."""
    try:
        with transaction.atomic():
            session_start(patient=patient, therapist=therapist)
            written.set()
            release.wait(HOLD_SECONDS)
    except Exception as error:  # noqa: BLE001  (any failure is the finding)
        failures.append(f"{type(error).__name__}: {error}")
        written.set()
    finally:
        connections.close_all()


def test_a_clinic_does_not_wait_for_another_clinics_open_audited_write(
    client, therapist, patient, stranger, clinic_b
):
    other_patient = PatientFactory(clinic=clinic_b)
    written, release, failures = threading.Event(), threading.Event(), []
    holder = threading.Thread(
        target=_hold_an_audited_write_open,
        args=(therapist, patient, written, release, failures),
    )
    holder.start()
    try:
        assert written.wait(10) and not failures, failures
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait here fails instead of hanging
        started = time.monotonic()
        client.force_login(stranger)
        chart = client.get(reverse("patient_chart", args=[other_patient.pk]))
        session = session_start(patient=other_patient, therapist=stranger)
        linked = audit_chain()
        elapsed = time.monotonic() - started
        assert holder.is_alive(), "clinic A's transaction was still open throughout"
    finally:
        release.set()
        holder.join(HOLD_SECONDS)
    assert chart.status_code == 200 and not failures, failures
    assert elapsed < 2, f"clinic B waited {elapsed:.1f} s"
    theirs = AuditEvent.objects.filter(clinic_id=clinic_b.pk)
    assert theirs.filter(action="read", patient_id=other_patient.pk).exists()
    assert theirs.filter(object_id=str(session.pk), action="create").exists()
    assert linked >= 2  # clinic B's rows were linked while A's was uncommitted
    # Clinic A's row commits afterwards and is linked by the next run, in order.
    audit_chain()
    mine = AuditEvent.objects.filter(clinic_id=patient.clinic_id, action="create").latest("id")
    assert AuditChainLink.objects.filter(event_id=mine.pk).exists()
    assert audit_verify() == []
