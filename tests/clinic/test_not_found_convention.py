"""One not-found convention (README, Architecture): a selector asked for one row raises the
model's DoesNotExist when the user may not see it, whether or not it exists; the view answers
404. No selector decides the HTTP answer itself."""

import datetime as dt
import pathlib

import pytest
from django.conf import settings
from django.utils import timezone

from clinic.models import Clinic
from clinic.selectors import clinic_resolve, unlockable_staff
from interop.selectors import patient_record
from patients.models import IntakeInvitation, IntakeSubmission, Patient
from patients.selectors import intake_get, intake_invitation_open, intake_summary_get, patient_get
from scheduling.models import FollowUp, Reminder
from scheduling.replies import reminder_for_reply
from scheduling.selectors import follow_up_detail, reminder_get
from sessions.check_ins import check_in_open
from sessions.models import CheckIn, TreatmentSession
from sessions.selectors import session_get
from tests.factories import FollowUpFactory, ReminderFactory, TreatmentSessionFactory
from tests.patients.intake_helpers import fill, invite, submit

pytestmark = pytest.mark.django_db


def test_selectors_of_one_row_raise_does_not_exist_for_a_row_of_another_clinic(
    client, stranger, front_desk, therapist, manager, patient
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    follow_up = FollowUpFactory(patient=patient, due_at=timezone.now() + dt.timedelta(days=2))
    reminder = ReminderFactory(follow_up=follow_up)
    misses = [
        (Patient, lambda: patient_get(user=stranger, patient_id=patient.pk)),
        (Patient, lambda: patient_record(user=stranger, patient_id=patient.pk)),
        (Patient, lambda: patient_record(user=front_desk, patient_id=patient.pk)),
        (TreatmentSession, lambda: session_get(user=stranger, session_id=session.pk)),
        (TreatmentSession, lambda: session_get(user=front_desk, session_id=session.pk)),
        (FollowUp, lambda: follow_up_detail(user=stranger, pk=follow_up.pk)),
        (Reminder, lambda: reminder_get(user=stranger, pk=reminder.pk)),
        (Clinic, lambda: clinic_resolve(user=stranger, slug=patient.clinic.slug)),
        (manager.__class__, lambda: unlockable_staff(user=stranger, user_id=therapist.pk)),
    ]
    for model, miss in misses:
        with pytest.raises(model.DoesNotExist):
            miss()


def test_intake_selectors_raise_does_not_exist_for_readers_who_may_not_see_them(
    client, front_desk, stranger, clinic_a
):
    token = invite(clinic=clinic_a, by=front_desk)
    fill(client, token)
    submit(client, token)
    intake = IntakeSubmission.objects.get()

    with pytest.raises(IntakeSubmission.DoesNotExist):
        intake_get(user=front_desk, intake_id=intake.pk)  # answers are clinical content
    with pytest.raises(IntakeSubmission.DoesNotExist):
        intake_summary_get(user=stranger, intake_id=intake.pk)


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (IntakeInvitation, intake_invitation_open),
        (CheckIn, check_in_open),
        (Reminder, reminder_for_reply),
    ],
)
@pytest.mark.parametrize("token", ["", "no-such-token", "x" * 500])
def test_patient_link_lookups_raise_does_not_exist_for_an_unknown_link(model, lookup, token):
    with pytest.raises(model.DoesNotExist):
        lookup(token=token)


def test_no_selector_module_answers_http_itself():
    root = pathlib.Path(settings.BASE_DIR)
    modules = [*root.glob("*/selectors.py"), *root.glob("*/*_selectors.py")]
    assert len(modules) >= 5
    for module in modules:
        text = module.read_text()
        for http in ("Http404", "get_object_or_404", "PermissionDenied"):
            assert http not in text, f"{module.relative_to(root)} uses {http}"
