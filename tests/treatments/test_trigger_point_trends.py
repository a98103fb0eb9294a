"""PPT trends with the minimal-detectable-change rule, the n-of-1 comparison, perpetuating
factors and reference thresholds in the draft, and the scoped API."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from sessions.check_ins import check_in_issue
from sessions.forecasts import release_forecasts_refresh
from sessions.models import (
    FactorFollowUp,
    Muscle,
    ReferenceThreshold,
    SessionFactor,
    SignedRecordLocked,
    TriggerPointSettings,
)
from sessions.services import session_sign, session_update
from sessions.trends import is_real_change, n_of_1, ppt_trends, recorded_factors
from tests.api_client import api_as
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
START = timezone.now() - 60 * DAY


def _session(patient, therapist, n):
    return TreatmentSessionFactory(
        patient=patient, therapist=therapist, started_at=START + 7 * n * DAY
    )


def _thresholds(patient, therapist, values, side="right"):
    for n, value in enumerate(values):
        TriggerPointFactory(
            session=_session(patient, therapist, n),
            side=side,
            pressure_pain_threshold=Decimal(value),
        )


def test_a_change_is_real_only_beyond_the_minimal_detectable_change():
    mdc = Decimal("0.60")
    assert not is_real_change(Decimal("0.60"), mdc)
    assert not is_real_change(-0.59, mdc)
    assert is_real_change(Decimal("0.61"), mdc) and is_real_change(-0.7, mdc)
    assert not is_real_change(None, mdc)


def test_the_ppt_trend_calls_a_change_real_by_the_clinics_mdc(patient, therapist):
    _thresholds(patient, therapist, ["2.00", "2.50", "2.70"])

    (series,) = ppt_trends(patient=patient)["series"]
    assert [v["ppt"] for v in series["values"]] == [2.0, 2.5, 2.7]
    # 0.5 then 0.7 from the first: only the second is beyond the default 0.6 kg/cm².
    assert [v["real_change_from_first"] for v in series["values"]] == [False, False, True]

    TriggerPointSettings.objects.create(
        clinic=patient.clinic, minimal_detectable_change=Decimal("0.45")
    )
    trend = ppt_trends(patient=patient)
    assert trend["minimal_detectable_change"] == 0.45
    assert [v["real_change_from_first"] for v in trend["series"][0]["values"]] == [
        False,
        True,
        True,
    ]


def test_the_ppt_trend_sets_a_point_beside_the_other_side_and_the_reference(patient, therapist):
    session = _session(patient, therapist, 0)
    TriggerPointFactory(session=session, side="right", pressure_pain_threshold=Decimal("1.80"))
    TriggerPointFactory(session=session, side="left", pressure_pain_threshold=Decimal("2.20"))
    ReferenceThreshold.objects.create(
        session=session,
        muscle=Muscle.objects.get(slug="deltoid"),
        side="right",
        pressure_pain_threshold=Decimal("3.00"),
    )

    trend = ppt_trends(patient=patient)

    assert [(s["side"], s["site"]) for s in trend["series"]] == [
        ("left", "point"),
        ("right", "point"),
        ("right", "reference"),
    ]
    right = next(c for c in trend["comparisons"] if c["side"] == "right")
    assert right["other_side_difference"] == -0.4 and not right["other_side_real"]
    assert right["reference_difference"] == -1.2 and right["reference_real"]


def test_n_of_1_compares_techniques_with_three_sessions_of_check_in_relief(patient, therapist):
    # Ischemic compression in 3 sessions (relief 3, 4, 2), stripping in 2 (left out).
    for n, (technique, before, check_in) in enumerate(
        [
            ("ischemic_compression", 7, 4),
            ("ischemic_compression", 6, 2),
            ("ischemic_compression", 5, 3),
            ("stripping", 6, 5),
            ("stripping", 6, 6),
        ]
    ):
        session = _session(patient, therapist, n)
        TriggerPointFactory(session=session, technique=technique)
        for source, score in (("pre_session", before), ("check_in", check_in)):
            PainScoreFactory(
                patient=patient,
                session=session,
                source=source,
                region="neck_back",
                score=score,
                recorded_at=session.started_at,
            )

    (row,) = n_of_1(patient=patient)

    assert (row["region"], row["technique"], row["sessions"]) == (
        "neck_back",
        "ischemic_compression",
        3,
    )
    assert (row["mean_relief"], row["lowest_relief"], row["highest_relief"]) == (3.0, 2.0, 4.0)


def test_factors_and_reference_thresholds_save_with_the_draft_and_lock_when_signed(
    patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    reference = {"muscle": Muscle.objects.get(slug="deltoid"), "side": "left"}
    session_update(
        session=session,
        user=therapist,
        factors=["forward_head", "prolonged_sitting"],
        reference_thresholds=[{**reference, "pressure_pain_threshold": Decimal("3.1")}],
    )
    assert set(session.factors.values_list("factor", flat=True)) == {
        "forward_head",
        "prolonged_sitting",
    }
    factors = recorded_factors(patient=patient)["factors"]
    assert "upper-trapezius" in next(f for f in factors if f["factor"] == "forward_head")["muscles"]

    session_sign(session=session, user=therapist)
    with pytest.raises(SignedRecordLocked):
        SessionFactor.objects.create(session=session, factor="poor_sleep_posture")


def test_the_draft_refuses_an_unknown_factor_with_a_field_error(client, patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    answer = client.post(
        f"/sessions/{session.pk}/draft",
        {"factors": ["slouching"], "reference_thresholds": [{"muscle": "deltoid"}]},
        content_type="application/json",
    )
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert "factors.0" in errors
    assert {"reference_thresholds.0.side", "reference_thresholds.0.pressure_pain_threshold"} <= set(
        errors
    )


TRENDS = ["ppt-trend", "release-forecasts", "n-of-1"]


@pytest.mark.parametrize("trend", TRENDS)
def test_trigger_point_trends_are_for_clinical_staff_of_the_patients_clinic(
    patient, therapist, front_desk, stranger, trend, django_assert_max_num_queries
):
    _thresholds(patient, therapist, ["2.00", "2.80"])
    release_forecasts_refresh(clinic_id=patient.clinic_id)
    url = f"/api/v1/reports/patients/{patient.pk}/{trend}/"
    api = api_as(therapist)
    api.get(url)  # the token's last use is written once a minute
    with django_assert_max_num_queries(10):
        answer = api.get(url)
    assert answer.status_code == 200 and answer.json()
    assert api_as(front_desk).get(url).status_code == 403
    assert api_as(stranger).get(url).status_code == 404
    assert api.get(f"/api/v1/reports/patients/{patient.pk + 999}/{trend}/").status_code == 404


def test_the_clinic_forecast_table_validates_its_filters_and_is_scoped(
    clinic_a, clinic_b, patient, therapist
):
    _thresholds(patient, therapist, ["2.00", "2.80"])
    release_forecasts_refresh(clinic_id=clinic_a.pk)
    api = api_as(therapist)
    rows = api.get("/api/v1/reports/release-forecasts/?muscle=upper-trapezius&kind=active").json()
    assert {r["level"] for r in rows} == {0, 1, 2, 3}
    bad = api.get("/api/v1/reports/release-forecasts/?muscle=nope&kind=x&chronicity=y")
    assert bad.status_code == 400 and {"muscle", "kind", "chronicity"} <= set(bad.json())
    assert api.get(f"/api/v1/reports/release-forecasts/?clinic={clinic_b.slug}").status_code == 404


def test_the_schema_documents_the_trigger_point_trends(client, therapist):
    client.force_login(therapist)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for trend in TRENDS:
        assert f"/api/v1/reports/patients/{{patient_id}}/{trend}/" in schema["paths"]
    assert "/api/v1/reports/release-forecasts/" in schema["paths"]
    assert "PptTrend" in schema["components"]["schemas"]


def test_the_check_in_asks_about_the_factors_recorded_and_stores_the_answers(
    client, patient, therapist
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    PainScoreFactory(patient=patient, session=session, region="neck_back", side="right")
    session_update(session=session, user=therapist, factors=["forward_head"])
    _check_in, token = check_in_issue(session=session, actor_label="system")

    page = client.get(f"/check-in/{token}/").content.decode()
    assert 'name="factor_forward_head"' in page and "factor_prolonged_sitting" not in page

    answer = client.post(
        f"/check-in/{token}/",
        {
            "pain_neck_back_right": "3",
            "soreness": "2",
            "factor_forward_head": "sometimes",
            # Not recorded in the session: ignored, never stored.
            "factor_prolonged_sitting": "mostly",
        },
    )
    assert answer.status_code == 302
    assert list(FactorFollowUp.objects.values_list("factor", "answer")) == [
        ("forward_head", "sometimes")
    ]


def test_the_recording_page_carries_the_forecasts_and_the_factor_catalogue(
    client, patient, therapist
):
    _thresholds(patient, therapist, ["2.00", "2.10"])
    release_forecasts_refresh(clinic_id=patient.clinic_id)
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    data = json.loads(
        page.split('id="session-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["point_history"]["upper-trapezius|right"] == [2, False]
    assert {f["level"] for f in data["forecasts"]} == {0, 1, 2, 3}
    assert data["factor_muscles"]["forward_head"][0] == "upper-trapezius"
    assert data["reference_muscle"] == "deltoid"
    assert 'id="factors"' in page


def test_a_manager_sets_the_mdc_and_a_wrong_value_is_answered_on_the_field(
    client, manager, clinic_a
):
    client.force_login(manager)
    url = f"/sessions/settings/?clinic={clinic_a.slug}"
    refused = client.post(url, {"trigger_points": "yes", "minimal_detectable_change": "-1"})
    assert refused.status_code == 400
    assert not TriggerPointSettings.objects.filter(clinic=clinic_a).exists()
    saved = client.post(
        url,
        {
            "trigger_points": "yes",
            "minimal_detectable_change": "0.45",
            "reference_muscle": Muscle.objects.get(slug="deltoid").pk,
            "forecast_min_points": "12",
        },
    )
    assert saved.status_code == 302
    settings = TriggerPointSettings.for_clinic(clinic_a.pk)
    assert settings.minimal_detectable_change == Decimal("0.45")
    assert settings.forecast_min_points == 12
