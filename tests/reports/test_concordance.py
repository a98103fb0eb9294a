"""Referral concordance in the reports: how often the points found refer to where the patient
hurts, by hand-made cases, in total and by therapist, agreeing with the recording page's
reading of the pain map."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import Role
from sessions.atlas import pain_map_before
from sessions.models import Muscle, ReferralZone, TriggerPoint, zone_covers
from tests.api_client import api_as
from tests.factories import (
    MembershipFactory,
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _point(session, slug, side):
    return TriggerPointFactory(session=session, muscle=Muscle.objects.get(slug=slug), side=side)


@pytest.fixture
def cases(clinic_a, therapist):
    """Seven points: three concordant."""
    dave = MembershipFactory(
        clinic=clinic_a, role=Role.THERAPIST, user=UserFactory(username="dave", first_name="Dave")
    ).user
    now = timezone.now()
    # Alice's patient: head pain at intake, then none by the second session.
    ann = PatientFactory(clinic=clinic_a)
    PainScoreFactory(patient=ann, source="intake", region="head", side="midline", score=6,
                     recorded_at=now - 10 * DAY)  # fmt: skip
    first = TreatmentSessionFactory(patient=ann, therapist=therapist, started_at=now - 9 * DAY)
    _point(first, "upper-trapezius", "right")  # head is essential: concordant
    _point(first, "gastrocnemius", "right")  # refers to the foot: not
    PainScoreFactory(patient=ann, source="check_in", region="head", side="midline", score=0,
                     recorded_at=now - 5 * DAY)  # fmt: skip
    PainScoreFactory(patient=ann, source="intake", region="calf", side="right", score=7,
                     recorded_at=now - 2 * DAY)  # fmt: skip
    second = TreatmentSessionFactory(patient=ann, therapist=therapist, started_at=now - 3 * DAY)
    _point(second, "upper-trapezius", "right")  # the head no longer hurts: not
    _point(second, "gastrocnemius", "right")  # the calf was rated after the session: not
    # Dave's patient: the right shoulder rated before the session.
    bob = PatientFactory(clinic=clinic_a)
    session = TreatmentSessionFactory(patient=bob, therapist=dave, started_at=now - 4 * DAY)
    PainScoreFactory(patient=bob, session=session, source="pre_session", region="shoulder",
                     side="right", score=5, recorded_at=session.started_at)  # fmt: skip
    PainScoreFactory(patient=bob, session=session, source="post_session", region="calf",
                     side="right", score=5, recorded_at=session.started_at)  # fmt: skip
    _point(session, "infraspinatus", "right")  # same side: concordant
    _point(session, "infraspinatus", "left")  # the other side: not
    _point(session, "deltoid", "right")  # shoulder is essential: concordant
    return {"alice": therapist, "dave": dave}


def test_the_share_of_points_referring_to_where_the_patient_hurts(cases, manager):
    answer = api_as(manager).get("/api/v1/reports/concordance/")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["total"] == {"points": 7, "concordant": 3, "share": 42.9}
    by = {row["therapist"]: row for row in body["by_therapist"]}
    assert by[cases["alice"].pk] | {"name": ""} == {
        "therapist": cases["alice"].pk, "name": "", "points": 4, "concordant": 1, "share": 25.0
    }  # fmt: skip
    assert (by[cases["dave"].pk]["points"], by[cases["dave"].pk]["concordant"]) == (3, 2)
    assert by[cases["dave"].pk]["name"].startswith("Dave")
    one = api_as(manager).get("/api/v1/reports/concordance/", {"therapist": cases["dave"].pk})
    assert one.json()["total"] == {"points": 3, "concordant": 2, "share": 66.7}


def test_the_report_agrees_with_the_pain_map_the_recording_page_reads(cases, manager):
    """The SQL and the suggestions' Python read the same pain map and the same sides."""
    expected = 0
    for point in TriggerPoint.objects.select_related("session"):
        pain = pain_map_before(session=point.session)
        zones = ReferralZone.objects.filter(muscle_id=point.muscle_id, essential=True)
        expected += any(
            z.region == p.region and zone_covers(z.side_relation, point.side, p.side)
            for z in zones
            for p in pain
        )
    body = api_as(manager).get("/api/v1/reports/concordance/").json()
    assert body["total"]["concordant"] == expected == 3


def test_no_points_in_the_period_is_no_share(manager):
    body = api_as(manager).get("/api/v1/reports/concordance/").json()
    assert body == {"total": {"points": 0, "concordant": 0, "share": None}, "by_therapist": []}


def test_another_clinics_points_stay_out(cases, manager, clinic_b, stranger):
    other = PatientFactory(clinic=clinic_b)
    session = TreatmentSessionFactory(patient=other, therapist=stranger)
    _point(session, "upper-trapezius", "left")
    assert api_as(manager).get("/api/v1/reports/concordance/").json()["total"]["points"] == 7
    assert (
        api_as(manager).get("/api/v1/reports/concordance/", {"clinic": clinic_b.slug}).status_code
        == 404
    )
