"""When the questionnaires are asked for: outcomes' answers to what the patient record and the
treatment record announce (patients/signals.py, sessions/signals.py), inside their transactions.

- at intake (the intake linked to the patient): the region-specific indices its pain regions
  call for (neck: NDI; lower limb: LEFS);
- with the signature of every Nth session of the patient, or of a session N weeks or more after
  their last questionnaire (the clinic's `OutcomePolicy`): the instruments the patient is
  followed with (indices answered or called for, and PSFS once they have named activities).
Each goes out as a reminder with a one-time link (outcomes.services.questionnaire_schedule);
an instrument with a link still open is not asked for twice."""

import datetime as dt

from django.dispatch import receiver
from django.utils import timezone

from clinic.types import User
from patients.models import Patient
from patients.signals import intake_linked
from sessions.models import TreatmentSession
from sessions.signals import session_signed

from .models import Occasion
from .selectors import followed_instruments, intake_instruments, last_measured_at, open_requests
from .services import outcome_policy_for, questionnaire_schedule


def _ask(patient: Patient, instruments, occasion: str, actor: User) -> None:
    already = open_requests(patient=patient)
    for instrument in instruments:
        if instrument.pk not in already:
            questionnaire_schedule(
                patient=patient, instrument=instrument, occasion=occasion, actor=actor
            )


@receiver(intake_linked, sender=Patient, dispatch_uid="outcomes.intake_questionnaires")
def intake_questionnaires(sender, *, patient: Patient, actor: User, **kwargs) -> None:
    _ask(patient, intake_instruments(patient=patient), Occasion.INTAKE, actor)


@receiver(session_signed, sender=TreatmentSession, dispatch_uid="outcomes.interval_questionnaires")
def interval_questionnaires(sender, *, session: TreatmentSession, actor: User, **kwargs) -> None:
    patient = session.patient
    policy = outcome_policy_for(clinic_id=patient.clinic_id)
    signed = TreatmentSession.objects.filter(
        patient=patient, status=TreatmentSession.Status.SIGNED
    ).count()
    due = bool(policy.every_sessions) and signed % policy.every_sessions == 0
    if policy.every_weeks:
        last = last_measured_at(patient=patient)
        weeks = dt.timedelta(weeks=policy.every_weeks)
        due = due or (last is not None and timezone.now() - last >= weeks)
    if due:
        _ask(patient, followed_instruments(patient=patient), Occasion.INTERVAL, actor)
