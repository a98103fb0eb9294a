import datetime as dt

import pytest
from django.utils import timezone

from patients.selectors import pain_trend
from tests.factories import PainScoreFactory

pytestmark = pytest.mark.django_db


def test_pain_trend_lists_a_patients_rated_scores_oldest_first_without_unrated_ones(patient):
    now = timezone.now()
    PainScoreFactory(patient=patient, recorded_at=now, score=3, source="check_in")
    PainScoreFactory(patient=patient, recorded_at=now - dt.timedelta(days=7), score=7)
    PainScoreFactory(patient=patient, recorded_at=now, score=None, unable_to_rate=True)
    PainScoreFactory(score=9)  # someone else

    rows = list(pain_trend(patient=patient))

    assert [(r["score"], r["source"]) for r in rows] == [(7, "pre_session"), (3, "check_in")]
    assert rows[0]["region"] == "neck_back" and rows[0]["side"] == "right"
