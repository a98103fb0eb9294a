"""The chart of a long-treated patient stays small and its query count fixed (issue 19): the
timeline pages, the plots' data comes as series of [seconds, value] points."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import PainScore
from sessions.models import MobilityMeasurement, Movement, Muscle, TreatmentSession, TriggerPoint
from sessions.selectors import TIMELINE_PAGE

pytestmark = pytest.mark.django_db

SESSIONS = 200


@pytest.fixture
def long_history(patient, therapist):
    """Weekly sessions for four years: 3 points, 4 pain scores and 2 measurements each."""
    start = timezone.now() - dt.timedelta(weeks=SESSIONS)
    sessions = TreatmentSession.objects.bulk_create(
        TreatmentSession(patient=patient, therapist=therapist, started_at=start + i * WEEK)
        for i in range(SESSIONS)
    )
    muscles = list(Muscle.objects.all()[:3])
    movements = list(Movement.objects.all()[:2])
    TriggerPoint.objects.bulk_create(
        TriggerPoint(
            session=s, muscle=m, side="right", chart_view="back", x=0.4, y=0.2, tenderness=5
        )
        for s in sessions
        for m in muscles
    )
    PainScore.objects.bulk_create(
        PainScore(
            patient=patient,
            session=s,
            recorded_at=s.started_at,
            source=source,
            region=region,
            side="right",
            score=5,
        )
        for s in sessions
        for source in ("pre_session", "post_session")
        for region in ("neck_back", "shoulder")
    )
    MobilityMeasurement.objects.bulk_create(
        MobilityMeasurement(
            patient=patient,
            session=s,
            movement=m,
            side="right",
            degrees=min(40, m.normal_degrees),
            measured_at=s.started_at,
        )
        for s in sessions
        for m in movements
    )
    return sessions


WEEK = dt.timedelta(weeks=1)


def _chart(client, patient, page=None):
    url = reverse("patient_chart", args=[patient.pk])
    return client.get(url, {"page": page} if page else {})


def _session_links(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/sessions/(\d+)/"', html)]


def test_a_long_history_is_a_small_page_with_a_paged_timeline(
    client, therapist, patient, long_history, django_assert_max_num_queries
):
    client.force_login(therapist)
    with django_assert_max_num_queries(21):  # as for two sessions (test_session_pages)
        response = _chart(client, patient)
    html = response.content.decode()

    assert len(response.content) <= 100 * 1024
    newest_first = [s.pk for s in reversed(long_history)]
    assert _session_links(html) == newest_first[:TIMELINE_PAGE]
    assert "Older sessions" in html and "Newer sessions" not in html
    last = _chart(client, patient, page=SESSIONS).content.decode()  # past the end
    assert _session_links(last) == newest_first[-TIMELINE_PAGE:]
    assert "Newer sessions" in last and "Older sessions" not in last
    assert (
        _session_links(_chart(client, patient, page="not a page").content.decode())
        == (newest_first[:TIMELINE_PAGE])
    )


def test_the_plots_get_every_score_and_measurement_as_series_of_points(
    client, therapist, patient, long_history
):
    client.force_login(therapist)
    html = _chart(client, patient).content.decode()
    data = json.loads(re.search(r'id="chart-data" type="application/json">(.*?)</script>', html)[1])

    assert sorted((s["region"], s["source"], len(s["points"])) for s in data["pain"]) == [
        ("neck_back", "post_session", SESSIONS),
        ("neck_back", "pre_session", SESSIONS),
        ("shoulder", "post_session", SESSIONS),
        ("shoulder", "pre_session", SESSIONS),
    ]
    first = long_history[0].started_at
    assert data["pain"][0]["points"][0] == [int(first.timestamp()), 5]
    assert [len(s["points"]) for s in data["mobility"]] == [SESSIONS, SESSIONS]
    (code, named), *_ = data["movements"].items()
    movement = Movement.objects.get(code=code)
    assert named == {"joint": movement.joint, "name": movement.name}
    normal = Movement.objects.get(code=data["mobility"][0]["movement"]).normal_degrees
    assert data["mobility"][0]["points"][0] == [
        int(first.timestamp()),
        round(100 * min(40, normal) / normal, 1),
    ]
