"""A patient's erasure request: restricted at once, deleted (with its history) only after the
clinic's retention period."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, RecordVersion
from patients.models import PainScore, Patient
from scheduling.erasure import patient_erasure_request, patients_erase_due
from scheduling.models import (
    Appointment,
    FreedSlot,
    ReminderPolicy,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduling.reminders import reachable_channels
from sessions.models import TreatmentSession
from sessions.services import session_start
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    PainScoreFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db


def _treated(patient, therapist):
    session = TreatmentSessionFactory(
        patient=patient, therapist=therapist, started_at=timezone.now() - dt.timedelta(days=400)
    )
    TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient, session=session)
    ReminderFactory(follow_up=FollowUpFactory(patient=patient, session=session))
    appointment = AppointmentFactory(
        patient=patient,
        therapist=therapist,
        session=session,
        status="completed",
        starts_at=session.started_at,
    )
    ReminderFactory(follow_up=None, appointment=appointment, patient=patient)
    # On the waitlist, offered a slot that became their appointment: rows pointing both ways.
    entry = WaitlistEntry.objects.create(
        clinic=patient.clinic, patient=patient, until=session.started_at.date(), status="booked"
    )
    slot = FreedSlot.objects.create(
        clinic=patient.clinic,
        therapist=therapist,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        status="taken",
    )
    offer = WaitlistOffer.objects.create(
        slot=slot,
        entry=entry,
        status="accepted",
        expires_at=appointment.starts_at,
        appointment=appointment,
    )
    ReminderFactory(follow_up=None, offer=offer, patient=patient, kind="slot_offer")
    return session


def test_a_manager_restricts_the_record_until_ten_years_after_the_last_visit(
    client, manager, therapist, patient
):
    session = _treated(patient, therapist)
    client.force_login(manager)
    client.post(reverse("patient_erasure", args=[patient.pk]))
    patient.refresh_from_db()
    last_visit = timezone.localdate(session.started_at, patient.clinic.zone)
    assert patient.is_restricted
    assert patient.erase_after == last_visit.replace(year=last_visit.year + 10)
    client.force_login(therapist)
    assert patient.last_name not in client.get(reverse("patient_list")).content.decode()
    with pytest.raises(ValidationError):
        session_start(patient=patient, therapist=therapist)


def test_only_managers_record_erasure_requests(client, therapist, patient):
    with pytest.raises(PermissionDenied):
        patient_erasure_request(patient=patient, user=therapist)
    client.force_login(therapist)
    assert client.post(reverse("patient_erasure", args=[patient.pk])).status_code == 404


def test_nothing_is_deleted_inside_the_retention_period(manager, therapist, patient):
    _treated(patient, therapist)
    patient = patient_erasure_request(patient=patient, user=manager)
    Patient.objects.filter(pk=patient.pk).update(
        erase_after=timezone.now().date() + dt.timedelta(days=1)
    )
    assert patients_erase_due() == 0
    assert Patient.objects.filter(pk=patient.pk).exists()
    out = io.StringIO()
    call_command("erase_due", stdout=out)  # today is years before the end of retention
    assert out.getvalue().startswith("Erased 0 patient record(s)")


def test_after_retention_the_record_and_its_history_are_deleted_and_the_audit_says_so(
    manager, therapist, patient, patient_b
):
    session = _treated(patient, therapist)
    PainScore.objects.filter(patient=patient).update(score=1)  # leaves a version on PostgreSQL
    other = PainScoreFactory(patient=patient_b)
    patient = patient_erasure_request(patient=patient, user=manager)
    Patient.objects.filter(pk=patient.pk).update(
        erase_after=timezone.now().date()
    )  # retention over
    assert patients_erase_due() == 1

    assert not Patient.objects.filter(pk=patient.pk).exists()
    assert not TreatmentSession.objects.filter(pk=session.pk).exists()
    assert not Appointment.objects.filter(patient_id=patient.pk).exists()
    assert not WaitlistEntry.objects.filter(patient_id=patient.pk).exists()
    assert not WaitlistOffer.objects.exists()
    assert FreedSlot.objects.exists()  # the clinic's time, not the patient's
    assert (
        not RecordVersion.objects.filter(table_name="patients_painscore")
        .exclude(row_id=other.pk)
        .exists()
    )
    assert PainScore.objects.filter(pk=other.pk).exists()
    assert AuditEvent.objects.filter(action="erase", patient_id=patient.pk).exists()


def test_a_restricted_patient_gets_no_more_reminders(manager, patient):
    patient.consents_to_email = True
    patient.save()
    policy = ReminderPolicy(clinic=patient.clinic, email_enabled=True, sms_enabled=False)
    assert reachable_channels(patient=patient, policy=policy) == ["email"]
    patient = patient_erasure_request(patient=patient, user=manager)
    assert reachable_channels(patient=patient, policy=policy) == []
