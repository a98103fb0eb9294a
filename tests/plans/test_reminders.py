"""A re-assessment that is due reaches the plan's therapist: beat's task run for real (through
Celery's own task machinery), once however often it runs."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from plans.models import ReassessmentReminder
from plans.services import plan_discharge, plan_revise, plan_sign, plan_update
from plans.tasks import reassessments_remind
from tests.plans.helpers import signed_plan

pytestmark = pytest.mark.django_db


def _today(patient):
    return timezone.localdate(timezone=patient.clinic.zone)


def test_a_due_reassessment_reaches_the_therapist_once(patient, therapist, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    therapist.email = "alice@clinic.example"
    therapist.save()
    plan = signed_plan(patient=patient, therapist=therapist, reassess_on=_today(patient))
    later = signed_plan(
        patient=type(patient).objects.create(
            clinic=patient.clinic,
            first_name="Later",
            last_name="Case",
            date_of_birth=dt.date(1970, 1, 1),
        ),
        therapist=therapist,
        reassess_on=_today(patient) + dt.timedelta(days=1),
    )
    result = reassessments_remind.apply().get()
    assert result == {"created": 1, "sent": 1}
    (message,) = mail.outbox
    assert message.to == ["alice@clinic.example"]
    assert f"/plans/{plan.pk}/" in message.body
    assert patient.last_name not in message.body + message.subject  # no PHI in an email
    assert reassessments_remind.apply().get() == {"created": 0, "sent": 0}
    assert len(mail.outbox) == 1
    row = ReassessmentReminder.objects.get()
    assert (row.plan, row.status, row.due_on) == (plan, "sent", _today(patient))
    assert not ReassessmentReminder.objects.filter(plan=later).exists()


def test_a_new_due_date_is_announced_again_and_a_discharged_plan_never(
    patient, therapist, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    therapist.email = "alice@clinic.example"
    therapist.save()
    first = signed_plan(patient=patient, therapist=therapist, reassess_on=_today(patient))
    reassessments_remind.apply()
    draft = plan_revise(plan=first, actor=therapist, reason="Re-assessed: two more weeks")
    plan_sign(plan=draft, actor=therapist)
    # Same date on the new version: the therapist was already told about that day.
    assert reassessments_remind.apply().get()["sent"] == 0
    moved = plan_revise(plan=draft, actor=therapist, reason="Re-assessment brought forward")
    plan_update(plan=moved, actor=therapist, reassess_on=_today(patient) - dt.timedelta(days=1))
    plan_sign(plan=moved, actor=therapist)
    assert reassessments_remind.apply().get()["sent"] == 1
    plan_discharge(plan=moved, actor=therapist, reason="goals_met")
    assert reassessments_remind.apply().get() == {"created": 0, "sent": 0}
    assert len(mail.outbox) == 2
