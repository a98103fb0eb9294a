"""A patient's erasure request: the record is restricted at once and deleted when the clinic's
retention period after the last visit has passed (CMTO: 10 years), never before. Lives in
scheduling, the highest app that holds a patient's data: it erases sessions, appointments,
follow-ups and reminders alike, and cancels the reminders still to send."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import DateField
from django.db.models.functions import Cast, Now
from django.utils import timezone

from clinic.audit import audit_record
from clinic.models import AuditEvent, RecordVersion
from clinic.permissions import access_for
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import FunctionalScore, IntakeInvitation, IntakeSubmission, PainScore, Patient
from sessions.models import (
    Addendum,
    CheckIn,
    MobilityMeasurement,
    TreatmentSession,
    TriggerPoint,
)

from .models import Appointment, FollowUp, Reminder, WaitlistEntry, WaitlistOffer
from .reminders import reminders_sync
from .waitlist import waitlist_patient_restricted


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@retrying_atomic
def patient_erasure_request(*, patient: Patient, user: User) -> Patient:
    """Restrict the record now; schedule its deletion for the end of the retention period."""
    if patient.clinic_id not in access_for(user).managed_clinic_ids:
        raise PermissionDenied("Erasure requests are recorded by the clinic's managers.")
    patient = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    if patient.is_restricted:
        return patient
    last_visit = (
        TreatmentSession.objects.filter(patient=patient)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    now = timezone.now()
    since = timezone.localdate(last_visit or now, patient.clinic.zone)
    patient.erasure_requested_at = now
    patient.erase_after = _years_after(since, patient.clinic.retention_years)
    patient.save(update_fields=["erasure_requested_at", "erase_after", "updated_at"])
    # Nothing more goes out to them: every reminder still to send is cancelled now.
    for model in (Appointment, FollowUp):
        for subject in model.objects.filter(patient=patient).select_related("patient__clinic"):
            reminders_sync(subject=subject)
    waitlist_patient_restricted(patient=patient)
    audit_record(action=AuditEvent.Action.UPDATE, actor=user, obj=patient, patient=patient)
    return patient


# Children first: every clinical foreign key is PROTECT, so the order is the proof that
# nothing is left behind. SQLite's path; PostgreSQL's is clinic_erase_patient, the same order.
ERASED = (
    (Reminder, "patient"),
    (WaitlistOffer, "entry__patient"),
    (WaitlistEntry, "patient"),
    (Appointment, "patient"),
    (FollowUp, "patient"),
    (CheckIn, "session__patient"),
    (Addendum, "session__patient"),
    (TriggerPoint, "session__patient"),
    (MobilityMeasurement, "patient"),
    (PainScore, "patient"),
    (FunctionalScore, "patient"),
    (TreatmentSession, "patient"),
    (IntakeSubmission, "patient"),
    (IntakeInvitation, "patient"),
    # Duplicates merged into the patient: tombstones whose rows the patient already holds.
    (Patient, "merged_into"),
)


def patients_erase_due() -> int:
    """Delete every restricted patient whose retention period has ended, with their record and
    its history; the audit trail keeps that it happened (ids only). Returns how many. "Today" is
    the database's, as in clinic_erase_patient, so the two never disagree about who is due."""
    due = Patient.objects.filter(
        erasure_requested_at__isnull=False, erase_after__lte=Cast(Now(), DateField())
    )
    erased = 0
    for patient_id in due.values_list("pk", flat=True).iterator():
        _erase(patient_id)
        erased += 1
    return erased


@retrying_atomic
def _erase(patient_id: int) -> None:
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    audit_record(action=AuditEvent.Action.ERASE, actor_label="system", obj=patient, patient=patient)
    if connection.vendor == "postgresql":
        # The owner role's function (treatments migrations 0008, 0012): the application's role
        # may neither delete history nor switch the record triggers off.
        with connection.cursor() as cursor:
            cursor.execute("SELECT clinic_erase_patient(%s)", [patient_id])
        return
    # SQLite's history triggers (clinic/history.py) keep a deleted row too: the rows go first,
    # then every past state of them, the ones the deletes just wrote included.
    for model, path in ERASED:
        rows = model.objects.filter(**{path: patient})
        ids = list(rows.values_list("pk", flat=True))
        rows.delete()
        RecordVersion.objects.filter(table_name=model._meta.db_table, row_id__in=ids).delete()
    Patient.objects.filter(pk=patient_id).delete()
    RecordVersion.objects.filter(table_name=Patient._meta.db_table, row_id=patient_id).delete()
