"""Sessions' answers to what the patient record announces (patients/signals.py)."""

from django.dispatch import receiver

from patients.models import Patient
from patients.signals import patient_merged

from .summaries import summaries_refresh


@receiver(patient_merged, sender=Patient, dispatch_uid="treatments.merge_summaries")
def rebuild_summaries(sender, *, survivor: Patient, merged: Patient, **kwargs) -> None:
    """The report tables derived from the moved sessions, points and scores: rebuilt for both
    records in the merge's transaction (the duplicate's come out empty)."""
    summaries_refresh(patient_ids=[survivor.pk, merged.pk])
