"""When questionnaires are asked for: at intake from the pain regions, every N signed sessions
(the clinic's policy), sent through the reminder machinery with a one-time link."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from outcomes.models import Instrument, InstrumentResponse, OutcomePolicy, QuestionnaireRequest
from outcomes.services import questionnaire_complete, questionnaire_schedule
from patients.models import FunctionalScore, PainScore, PainSource
from scheduling.models import FollowUp, Reminder
from scheduling.reminders import policy_for, reminder_send, reminders_claim_due
from sessions.models import TreatmentSession
from sessions.services import session_sign
from tests.factories import PainScoreFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reachable(patient):
    patient.email = "pat@example.com"
    patient.consents_to_email = True
    patient.save()
    return patient


def _send_due(clinic):
    # No quiet hours, so the send does not depend on the hour the suite runs at.
    policy = policy_for(clinic)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    Reminder.objects.update(send_at=timezone.now())
    reminders_claim_due()
    for row in Reminder.objects.filter(status="sending"):
        reminder_send(reminder_id=row.pk, lease=str(row.lease))


def test_a_scheduled_questionnaire_goes_out_as_a_reminder_whose_link_opens_it(
    client, reachable, therapist, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ndi = Instrument.objects.get(clinic=None, code="ndi")
    request, raw = questionnaire_schedule(
        patient=reachable, instrument=ndi, occasion="reassessment", actor=therapist
    )
    reminder = Reminder.objects.get(follow_up=request.follow_up)
    assert (reminder.kind, reminder.channel) == ("questionnaire", "email")
    _send_due(reachable.clinic)
    assert len(mail.outbox) == 1
    link = re.search(r"/questionnaire/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert link == raw
    assert client.get(f"/questionnaire/{link}/").status_code == 200

    questionnaire_complete(request=request, answers={str(n): 1 for n in range(1, 11)})
    request.follow_up.refresh_from_db()
    assert request.follow_up.status == FollowUp.Status.DONE
    assert InstrumentResponse.objects.get().occasion == "reassessment"
    assert client.get(f"/questionnaire/{link}/").status_code == 404


def test_linking_an_intake_asks_for_the_indices_its_regions_call_for(
    client, reachable, front_desk, clinic_a
):
    from patients.models import IntakeSubmission
    from patients.services import intake_link
    from tests.patients.intake_helpers import fill, invite, submit

    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)  # neck (back) and right shoulder
    submit(client, token)
    intake_link(intake_id=IntakeSubmission.objects.get().pk, user=front_desk, patient=reachable)
    asked = QuestionnaireRequest.objects.filter(patient=reachable, occasion="intake")
    assert [r.instrument.code for r in asked] == ["ndi"]
    assert all(r.follow_up.reminders.exists() for r in asked)


def test_every_fourth_signed_session_asks_again_for_the_followed_instruments(reachable, therapist):
    OutcomePolicy.objects.create(clinic=reachable.clinic, every_sessions=2, every_weeks=0)
    PainScoreFactory(patient=reachable, source=PainSource.INTAKE, region="neck_back", score=6)
    FunctionalScore.objects.create(
        patient=reachable, recorded_at=timezone.now(), source="intake", item=1,
        activity="Driving", score=4,
    )  # fmt: skip

    def sign():
        session = TreatmentSessionFactory(patient=reachable, therapist=therapist, status="draft")
        PainScore.objects.create(
            patient=reachable, session=session, recorded_at=session.started_at,
            source=PainSource.PRE_SESSION, region="neck_back", side="left", score=5,
        )  # fmt: skip
        session.subjective = "Better"
        session.save()
        session_sign(session=session, user=therapist)

    sign()
    assert not QuestionnaireRequest.objects.exists()
    sign()
    asked = QuestionnaireRequest.objects.filter(occasion="interval")
    assert sorted((r.instrument.code, r.instrument.version) for r in asked) == [
        ("ndi", "1991"),
        ("psfs", "1"),
    ]
    assert TreatmentSession.objects.filter(status="signed").count() == 2
    sign()
    sign()  # the links of the second session are still open: not asked twice
    assert QuestionnaireRequest.objects.count() == 2
