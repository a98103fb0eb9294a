"""Sessions-to-release forecasts: the Kaplan-Meier estimate against a hand computation with
censored points, the fall-back to coarser groups, and the "not responding" flag."""

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import IntakeSubmission
from sessions.forecasts import patient_point_forecasts, release_forecasts_refresh
from sessions.models import Muscle, ReleaseForecast, TriggerPointSettings
from tests.factories import PatientFactory, TreatmentSessionFactory, TriggerPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

START = timezone.now() - dt.timedelta(days=400)


def followed_point(
    clinic, therapist, *, sessions: int, released: bool, muscle="upper-trapezius", kind="active"
):
    """A patient whose point in `muscle` is found in `sessions` sessions in a row, releasing at
    the last one when `released` (else still unreleased: censored at the last)."""
    patient = PatientFactory(clinic=clinic)
    for n in range(1, sessions + 1):
        session = TreatmentSessionFactory(
            patient=patient, therapist=therapist, started_at=START + dt.timedelta(days=7 * n)
        )
        TriggerPointFactory(
            session=session,
            muscle=Muscle.objects.get(slug=muscle),
            kind=kind,
            released=released and n == sessions,
        )
    return patient


def test_the_estimate_keeps_censored_points_at_risk_as_a_hand_computation_does(clinic_a, therapist):
    # Times: released at 1, 2, 3, 5; censored (unreleased) at 2 and 4.
    # t=1: at risk 6, 1 released -> S = 5/6 = 0.833
    # t=2: at risk 5, 1 released (the one censored at 2 still counts) -> S = 0.833 * 4/5 = 0.667
    # t=3: at risk 3, 1 released -> S = 0.667 * 2/3 = 0.444  (first at or below 0.5: median 3)
    # t=4: at risk 2, none released (censored) -> S = 0.444
    # t=5: at risk 1, 1 released -> S = 0 (first at or below 0.25 and 0.2: q75 = p80 = 5)
    # S first at or below 0.75 at t=2: q25 = 2. Dropping the censored points instead would
    # give a median of 2 from the times 1, 2, 3, 5: points would look faster than they are.
    for sessions, released in ((1, True), (2, True), (2, False), (3, True), (4, False)):
        followed_point(clinic_a, therapist, sessions=sessions, released=released)
    followed_point(clinic_a, therapist, sessions=5, released=True)

    release_forecasts_refresh(clinic_id=clinic_a.pk)

    trapezius = ReleaseForecast.objects.get(
        clinic=clinic_a, level=3, muscle__slug="upper-trapezius", kind="active"
    )
    assert trapezius.chronicity == "unknown"
    assert (trapezius.points, trapezius.released) == (6, 4)
    assert (trapezius.q25, trapezius.median, trapezius.q75, trapezius.p80) == (2, 3, 5, 5)
    clinic_wide = ReleaseForecast.objects.get(clinic=clinic_a, level=0)
    assert (clinic_wide.points, clinic_wide.median, clinic_wide.muscle_id) == (6, 3, None)


def test_a_curve_that_never_falls_far_enough_has_no_figure(clinic_a, therapist):
    # Released at 1 then three censored at 3: S(1) = 3/4, and never lower.
    followed_point(clinic_a, therapist, sessions=1, released=True)
    for _ in range(3):
        followed_point(clinic_a, therapist, sessions=3, released=False)

    release_forecasts_refresh(clinic_id=clinic_a.pk)

    row = ReleaseForecast.objects.get(clinic=clinic_a, level=0)
    assert (row.q25, row.median, row.p80) == (1, None, None)


def test_groups_by_chronicity_at_intake_and_falls_back_when_a_group_is_thin(clinic_a, therapist):
    TriggerPointSettings.objects.create(clinic=clinic_a, forecast_min_points=3)
    chronic = []
    for sessions in (2, 2, 4):
        patient = followed_point(clinic_a, therapist, sessions=sessions, released=True)
        IntakeSubmission.objects.create(
            clinic=clinic_a,
            patient=patient,
            status="submitted",
            consent_to_treatment=True,
            signed_at=START,
            signature_name="Signed",
            duration_category="chronic",
            submitted_at=START,
        )
        chronic.append(patient)
    # A latent point in another patient: its group (latent) has one point.
    latent = followed_point(clinic_a, therapist, sessions=1, released=False, kind="latent")

    release_forecasts_refresh(clinic_id=clinic_a.pk)

    (found,) = patient_point_forecasts(patient=chronic[0])
    assert (found.level, found.median, found.group_points) == (3, 2, 3)
    assert found.released_at == 2 and not found.not_responding
    (thin,) = patient_point_forecasts(patient=latent)
    # One latent point (no intake) is too thin a group; the muscle's four points answer.
    assert thin.level == 1 and thin.group_points == 4
    assert "too few" in thin.basis


def test_a_point_unreleased_past_the_80th_percentile_is_flagged_not_responding(clinic_a, therapist):
    TriggerPointSettings.objects.create(clinic=clinic_a, forecast_min_points=3)
    for _ in range(4):
        followed_point(clinic_a, therapist, sessions=2, released=True)
    slow = followed_point(clinic_a, therapist, sessions=3, released=False)
    early = followed_point(clinic_a, therapist, sessions=1, released=False)

    release_forecasts_refresh(clinic_id=clinic_a.pk)

    (point,) = patient_point_forecasts(patient=slow)
    assert point.p80 == 2 and point.sessions == 3 and point.not_responding
    (point,) = patient_point_forecasts(patient=early)
    assert not point.not_responding


def test_another_clinics_history_is_not_counted(clinic_a, clinic_b, therapist):
    followed_point(clinic_a, therapist, sessions=2, released=True)
    followed_point(clinic_b, therapist, sessions=5, released=True)

    release_forecasts_refresh(clinic_id=clinic_a.pk)

    assert ReleaseForecast.objects.filter(clinic=clinic_b).count() == 0
    assert ReleaseForecast.objects.get(clinic=clinic_a, level=0).median == 2
