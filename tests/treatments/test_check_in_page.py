import datetime as dt

import pytest
from django.utils import timezone

from patients.models import PainScore
from sessions.check_ins import check_in_issue
from sessions.models import CheckIn
from tests.factories import PainScoreFactory, PatientFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    for region, side, score in [("neck_back", "midline", 6), ("shoulder", "right", 7)]:
        PainScoreFactory(patient=patient, session=session, region=region, side=side, score=score)
    PainScoreFactory(patient=patient, session=session, source="post_session", region="knee")
    return session


def answer(client, token, **changes):
    data = {
        "pain_neck_back_midline": "3",
        "pain_shoulder_right": "4",
        "soreness": "2",
        "unexpected": "A small bruise on the shoulder",
    }
    return client.post(f"/check-in/{token}/", {**data, **changes})


def test_the_check_in_asks_pain_for_each_region_rated_before_the_session(client, session):
    _check_in, token = check_in_issue(session=session, actor_label="system")
    page = client.get(f"/check-in/{token}/").content.decode()
    assert 'name="pain_neck_back_midline"' in page and 'name="pain_shoulder_right"' in page
    assert 'name="pain_knee' not in page, "post-session ratings are not regions treated"
    assert 'name="soreness"' in page


def test_an_answer_becomes_check_in_pain_scores_and_the_link_is_used_up(client, session):
    check_in, token = check_in_issue(session=session, actor_label="system")

    response = answer(client, token)

    assert response.status_code == 302 and "/check-in/thanks/" in response["Location"]
    scores = PainScore.objects.filter(source="check_in").values_list(
        "session_id", "region", "side", "score"
    )
    assert sorted(scores) == [
        (session.pk, "neck_back", "midline", 3),
        (session.pk, "shoulder", "right", 4),
    ]
    check_in.refresh_from_db()
    assert check_in.completed_at and check_in.soreness == 2
    assert check_in.unexpected == "A small bruise on the shoulder"

    again = answer(client, token, soreness="9")
    assert again.status_code == 404 and "This link cannot be opened" in again.content.decode()
    assert PainScore.objects.filter(source="check_in").count() == 2
    assert client.get(f"/check-in/{token}/").status_code == 404


def test_an_invalid_answer_keeps_what_was_typed_and_writes_nothing(client, session):
    check_in, token = check_in_issue(session=session, actor_label="system")

    response = answer(client, token, pain_shoulder_right="12", soreness="")

    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="12"' in page and 'value="3"' in page and "A small bruise" in page
    assert "less than or equal to 10" in page and "Please rate it from 0 to 10." in page
    assert not PainScore.objects.filter(source="check_in").exists()
    check_in.refresh_from_db()
    assert check_in.completed_at is None


def test_expired_and_forged_check_in_links_show_the_friendly_page(client, session):
    check_in, token = check_in_issue(session=session, actor_label="system")
    CheckIn.objects.filter(pk=check_in.pk).update(
        created_at=timezone.now() - dt.timedelta(days=4),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    for url in (f"/check-in/{token}/", "/check-in/forged-token/"):
        assert client.get(url).status_code == 404
        assert answer(client, url.split("/")[2]).status_code == 404
    assert not PainScore.objects.filter(source="check_in").exists()


def test_a_check_in_shows_only_its_own_sessions_regions_in_the_patients_language(
    client, session, clinic_a
):
    other = PatientFactory(clinic=clinic_a, preferred_language="es")
    other_session = TreatmentSessionFactory(patient=other, therapist=session.therapist)
    PainScoreFactory(patient=other, session=other_session, region="calf", side="left")
    _check_in, token = check_in_issue(session=other_session, actor_label="system")

    page = client.get(f"/check-in/{token}/").content.decode()

    assert 'name="pain_calf_left"' in page and "neck_back" not in page
    assert "¿Cómo se encuentra hoy?" in page


def test_guessing_check_in_tokens_counts_towards_the_same_limit(client, session, settings):
    settings.LINK_GUESS_LIMIT = 2
    _check_in, token = check_in_issue(session=session, actor_label="system")
    client.get("/check-in/guess-1/")
    client.get("/intake/guess-2/")
    assert client.get(f"/check-in/{token}/").status_code == 429
