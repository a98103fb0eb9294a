"""The referral atlas and "check these first": the ranking on hand-made cases, the pain map a
session starts from, and the API (scoped, in the schema)."""

import datetime as dt

import pytest
from django.utils import timezone

from sessions import services
from sessions.atlas import Painful, Zone, expected_referral, pain_map_before, rank
from sessions.models import Muscle, ReferralZone, zone_covers
from tests.api_client import api_as
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db

# Hand-made muscles: 1 refers to the head (essential) and the back of the neck (spill-over),
# 2 to the back of the neck (essential), 3 across the lower back on both sides, 4 to the other
# side's shoulder.
ZONES = [
    Zone(1, "head", "same", True),
    Zone(1, "neck_back", "same", False),
    Zone(2, "neck_back", "same", True),
    Zone(3, "lower_back", "both", True),
    Zone(4, "shoulder", "opposite", True),
]


def ranked(pain, *, weight=0.5, limit=10):
    return [
        (s.muscle_id, s.side, s.score)
        for s in rank(ZONES, pain, spillover_weight=weight, limit=limit)
    ]


def test_an_essential_zone_counts_the_whole_score_and_a_spill_over_zone_half():
    pain = [Painful("neck_back", "midline", 6)]
    # Muscle 2 (essential) 6; muscle 1 (spill-over) 3; both on either side alike.
    assert ranked(pain) == [(2, "both", 6.0), (1, "both", 3.0)]
    assert ranked(pain, weight=0.25) == [(2, "both", 6.0), (1, "both", 1.5)]


def test_scores_add_up_over_the_painful_regions_weighted_by_the_pain():
    pain = [Painful("head", "midline", 4), Painful("neck_back", "midline", 6)]
    # Muscle 1: 4 (head, essential) + 0.5 x 6 (neck, spill-over) = 7; muscle 2: 6.
    assert ranked(pain) == [(1, "both", 7.0), (2, "both", 6.0)]
    # A stronger neck pain turns the order round.
    pain = [Painful("head", "midline", 2), Painful("neck_back", "midline", 8)]
    assert ranked(pain) == [(2, "both", 8.0), (1, "both", 6.0)]


def test_a_point_is_suggested_on_the_side_its_zones_reach():
    # Pain in the right shoulder: muscle 4 refers to the opposite side, so its left.
    assert ranked([Painful("shoulder", "right", 5)]) == [(4, "left", 5.0)]
    # Pain in the right back of the neck: muscles 1 and 2 on the right only.
    assert ranked([Painful("neck_back", "right", 4)]) == [(2, "right", 4.0), (1, "right", 2.0)]


def test_pain_on_both_sides_suggests_the_side_that_hurts_more():
    pain = [Painful("neck_back", "right", 6), Painful("neck_back", "left", 3)]
    assert ranked(pain) == [(2, "right", 6.0), (1, "right", 3.0)]


def test_a_zone_on_both_sides_covers_either_side():
    assert ranked([Painful("lower_back", "left", 5)]) == [(3, "both", 5.0)]


def test_a_region_counts_once_even_when_two_zones_of_a_muscle_cover_it():
    zones = [Zone(9, "head", "same", True), Zone(9, "head", "both", False)]
    suggestion = rank(zones, [Painful("head", "right", 6)], spillover_weight=0.5, limit=5)
    assert [(s.side, s.score) for s in suggestion] == [("right", 6.0)]


def test_muscles_that_cover_no_painful_region_are_left_out_and_the_list_is_cut():
    assert ranked([Painful("ankle_foot", "left", 9)]) == []
    pain = [Painful("head", "midline", 4), Painful("neck_back", "midline", 6)]
    assert ranked(pain, limit=1) == [(1, "both", 7.0)]


def test_ties_go_to_the_muscle_covering_more_essential_zones():
    zones = [
        Zone(5, "head", "same", False),
        Zone(5, "jaw", "same", False),
        Zone(6, "head", "same", True),
    ]
    pain = [Painful("head", "midline", 4), Painful("jaw", "midline", 4)]
    order = rank(zones, pain, spillover_weight=0.5, limit=5)
    assert [(s.muscle_id, s.score) for s in order] == [(6, 4.0), (5, 4.0)]


@pytest.mark.parametrize(
    ("relation", "point", "pain", "covers"),
    [
        ("same", "right", "right", True),
        ("same", "right", "left", False),
        ("opposite", "right", "left", True),
        ("opposite", "right", "right", False),
        ("both", "left", "right", True),
        ("midline", "left", "right", True),
        ("same", "left", "midline", True),
        ("same", "left", "both", True),
        ("same", "both", "left", True),
    ],
)
def test_which_sides_a_zone_covers(relation, point, pain, covers):
    assert zone_covers(relation, point, pain) is covers


def test_every_catalogued_muscle_has_an_atlas_entry_with_an_essential_zone_and_a_source():
    muscles = Muscle.objects.all()
    assert muscles.count() >= 46
    for muscle in muscles:
        zones = list(muscle.referral_zones.all())
        assert any(z.essential for z in zones), muscle.name
        assert all("Travell" in z.source for z in zones), muscle.name


def test_the_published_patterns_the_brief_names():
    def zones(slug):
        return set(
            ReferralZone.objects.filter(muscle__slug=slug, essential=True).values_list(
                "region", flat=True
            )
        )

    assert {"head", "neck_back"} <= zones("upper-trapezius")
    assert "head" in zones("sternocleidomastoid")
    assert {"neck_back", "upper_back"} <= zones("levator-scapulae")
    assert {"shoulder", "upper_arm"} <= zones("infraspinatus")
    assert {"thigh_back", "buttock"} <= zones("gluteus-minimus")
    assert {"buttock", "hip"} <= zones("quadratus-lumborum")


# --- the pain map a session starts from ---------------------------------------------------------


def test_the_pain_map_is_the_latest_rating_of_each_region_before_the_session(patient, therapist):
    now = timezone.now()
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, started_at=now)
    week_ago = now - dt.timedelta(days=7)
    for region, side, score, source, when in (
        ("head", "midline", 7, "intake", week_ago),
        ("head", "midline", 3, "check_in", now - dt.timedelta(days=2)),
        ("neck_back", "right", 5, "intake", week_ago),
        ("jaw", "left", 0, "intake", week_ago),  # no pain: not on the map
        ("shoulder", "left", 8, "post_session", week_ago),  # right after a session: soreness
        ("calf", "left", 6, "intake", now + dt.timedelta(hours=2)),  # after the session
    ):
        PainScoreFactory(
            patient=patient, region=region, side=side, score=score, source=source, recorded_at=when
        )
    PainScoreFactory(
        patient=patient, session=session, region="neck_back", side="right", score=6,
        source="pre_session", recorded_at=now,
    )  # fmt: skip
    pain = {(p.region, p.side): p.score for p in pain_map_before(session=session)}
    assert pain == {("head", "midline"): 3, ("neck_back", "right"): 6}


# --- the API -------------------------------------------------------------------------------------


def _neck_and_head_patient(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    for region, score in (("head", 6), ("neck_back", 5)):
        PainScoreFactory(
            patient=patient, session=session, region=region, side="right", score=score,
            source="pre_session", recorded_at=session.started_at,
        )  # fmt: skip
    return session


def test_a_patient_with_neck_and_head_pain_is_told_to_check_the_upper_trapezius_and_scm_first(
    patient, therapist, django_assert_max_num_queries
):
    session = _neck_and_head_patient(patient, therapist)
    api = api_as(therapist)
    with django_assert_max_num_queries(12):
        answer = api.get(f"/api/v1/sessions/{session.pk}/palpation-suggestions/")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    first = [s["muscle"] for s in body["suggestions"]]
    assert first[0] == "upper-trapezius"
    assert "sternocleidomastoid" in first[:5]
    top = body["suggestions"][0]
    assert top["side"] == "right"
    assert top["score"] == 11.0  # head 6 + neck 5, both essential
    assert "Head, right (essential, 6/10)" in top["why"]
    assert {(p["region"], p["score"]) for p in body["pain"]} == {("head", 6), ("neck_back", 5)}


def test_suggestions_without_any_pain_rated_are_an_empty_list(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    answer = api_as(therapist).get(f"/api/v1/sessions/{session.pk}/palpation-suggestions/")
    assert answer.status_code == 200
    assert answer.json() == {"pain": [], "suggestions": []}


def test_another_clinics_session_has_no_suggestions_to_read(patient, therapist, stranger):
    session = _neck_and_head_patient(patient, therapist)
    answer = api_as(stranger).get(f"/api/v1/sessions/{session.pk}/palpation-suggestions/")
    assert answer.status_code == 404
    missing = api_as(therapist).get("/api/v1/sessions/999999/palpation-suggestions/")
    assert missing.status_code == 404


def test_front_desk_reads_no_suggestions(patient, therapist, front_desk):
    session = _neck_and_head_patient(patient, therapist)
    answer = api_as(front_desk).get(f"/api/v1/sessions/{session.pk}/palpation-suggestions/")
    assert answer.status_code == 403


def test_the_atlas_per_muscle(therapist, django_assert_max_num_queries):
    api = api_as(therapist)
    one = api.get("/api/v1/muscles/upper-trapezius/")
    assert one.status_code == 200
    zones = {(z["region"], z["essential"]) for z in one.json()["referral_zones"]}
    assert ("head", True) in zones and ("jaw", False) in zones
    assert api.get("/api/v1/muscles/no-such-muscle/").status_code == 404
    with django_assert_max_num_queries(10):
        listed = api.get("/api/v1/muscles/", {"region": "neck_back"})
    assert listed.status_code == 200
    assert "upper-trapezius" in [m["slug"] for m in listed.json()["results"]]


def test_the_schema_documents_the_suggestions_and_the_atlas(therapist):
    schema = api_as(therapist).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/sessions/{id}/palpation-suggestions/" in schema["paths"]
    assert "/api/v1/muscles/{slug}/" in schema["paths"]


# --- recording the referral the patient reports ----------------------------------------------

POINT = {
    "muscle": "upper-trapezius", "side": "right", "chart_view": "back", "x": 0.4, "y": 0.16,
    "tenderness": 7,
}  # fmt: skip


def test_the_referral_the_patient_reports_is_saved_with_the_point(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(therapist)
    regions = [{"region": "head", "side": "midline"}, {"region": "jaw", "side": "right"}]
    saved = api.patch(
        f"/api/v1/sessions/{session.pk}/",
        {"trigger_points": [{**POINT, "referral_regions": regions}]},
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    point = api.get("/api/v1/trigger-points/", {"session": session.pk}).json()["results"][0]
    assert point["referral_regions"] == regions


@pytest.mark.parametrize(
    "regions",
    [
        [{"region": "tail", "side": "right"}],
        [{"region": "head", "side": "upwards"}],
        [{"region": "head"}],
        "head",
        [{"region": "head", "side": "midline"}, {"region": "head", "side": "midline"}],
    ],
)
def test_a_malformed_referral_is_refused_field_by_field(patient, therapist, regions):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    answer = api_as(therapist).patch(
        f"/api/v1/sessions/{session.pk}/",
        {"trigger_points": [{**POINT, "referral_regions": regions}]},
        format="json",
    )
    assert answer.status_code == 400
    assert "referral_regions" in str(answer.json())


def test_the_signed_note_and_the_chart_history_show_the_referral(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    TriggerPointFactory(
        session=session,
        referral_regions=[
            {"region": "head", "side": "midline"},
            {"region": "jaw", "side": "right"},
        ],
    )
    services.session_sign(session=session, user=therapist)
    client.force_login(therapist)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert '<td class="referral-regions">Head; Jaw, right</td>' in page
    chart = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "refers to: Head; Jaw, right" in chart


def test_the_referral_the_atlas_expects_is_on_the_charts_sides():
    # Upper trapezius, left: the head (drawn once) on the midline, the neck the same.
    assert expected_referral([("head", "same"), ("jaw", "same")], "left") == [
        {"region": "head", "side": "midline"},
        {"region": "jaw", "side": "left"},
    ]
    assert expected_referral([("lower_back", "both"), ("shoulder", "opposite")], "right") == [
        {"region": "lower_back", "side": "left"},
        {"region": "lower_back", "side": "right"},
        {"region": "shoulder", "side": "left"},
    ]
