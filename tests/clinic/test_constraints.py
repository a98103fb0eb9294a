"""The database itself refuses impossible clinical values, whatever code path writes them."""

import pytest
from django.db import IntegrityError, transaction

from patients.models import PainScore
from scheduling.models import Reminder
from sessions.models import TriggerPoint
from tests.factories import (
    PainScoreFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)


def _rejected(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
@pytest.mark.parametrize("bad_score", [11, -1])
def test_database_rejects_pain_scores_outside_0_to_10(patient, bad_score):
    score = PainScoreFactory(patient=patient, score=5)
    assert _rejected(lambda: PainScore.objects.filter(pk=score.pk).update(score=bad_score))
    score.refresh_from_db()
    assert score.score == 5


@pytest.mark.django_db
def test_database_rejects_a_pain_score_from_bulk_create_out_of_range(patient):
    template = PainScoreFactory.build(patient=patient, score=11)
    assert _rejected(lambda: PainScore.objects.bulk_create([template]))
    assert not PainScore.objects.exists()


@pytest.mark.django_db
def test_unable_to_rate_is_a_flag_never_a_number(patient):
    score = PainScoreFactory(patient=patient, score=4)
    assert _rejected(lambda: PainScore.objects.filter(pk=score.pk).update(unable_to_rate=True))
    PainScore.objects.filter(pk=score.pk).update(unable_to_rate=True, score=None)
    assert PainScore.objects.get(pk=score.pk).score is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("hold_seconds", -1), ("tenderness", 11), ("pressure", -1), ("x", 1.5), ("y", -0.1)],
)
def test_database_rejects_impossible_trigger_point_values(field, value):
    point = TriggerPointFactory()
    assert _rejected(lambda: TriggerPoint.objects.filter(pk=point.pk).update(**{field: value}))


@pytest.mark.django_db
def test_database_rejects_a_second_reminder_for_the_same_follow_up_channel_and_kind():
    first = ReminderFactory()
    duplicate = Reminder(
        follow_up=first.follow_up,
        patient=first.patient,
        channel=first.channel,
        kind=first.kind,
        send_at=first.send_at,
    )
    assert _rejected(lambda: Reminder.objects.bulk_create([duplicate]))
    other_channel = Reminder(
        follow_up=first.follow_up,
        patient=first.patient,
        channel="sms",
        kind=first.kind,
        send_at=first.send_at,
    )
    Reminder.objects.bulk_create([other_channel])
    assert first.follow_up.reminders.count() == 2


@pytest.mark.django_db
def test_a_signed_session_needs_a_signer_in_the_database():
    session = TreatmentSessionFactory()
    from sessions.models import TreatmentSession

    assert _rejected(lambda: TreatmentSession.objects.filter(pk=session.pk).update(status="signed"))
