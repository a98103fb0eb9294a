"""Report figures against values worked out by hand on small fixtures."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import Role
from reports.selectors import (
    OutcomeFilters,
    check_in_curve,
    clinic_outcomes,
    psfs_change,
    rom_change,
    trigger_points_by_muscle,
)
from sessions.models import Movement, Muscle
from sessions.services import session_discard
from tests.factories import (
    MembershipFactory,
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _period(clinic, **filters):
    today = timezone.localdate()
    return OutcomeFilters(clinic=clinic, date_from=today - 90 * DAY, date_to=today, **filters)


def _course(clinic, baseline, latest, *, region="neck_back", start=None, **patient):
    """A patient rated `baseline` at intake and `latest` at a later check-in; the
    post-session score in between must not count."""
    start = start or timezone.now() - 30 * DAY
    person = PatientFactory(clinic=clinic, **patient)
    PainScoreFactory(
        patient=person, recorded_at=start, source="intake", score=baseline, region=region
    )
    PainScoreFactory(
        patient=person, recorded_at=start + 5 * DAY, source="post_session", score=0, region=region
    )
    if latest is not None:
        PainScoreFactory(
            patient=person,
            recorded_at=start + 10 * DAY,
            source="check_in",
            score=latest,
            region=region,
        )
    return person


def test_seven_to_three_is_a_responder_seven_to_six_and_two_to_one_are_not(clinic_a, manager):
    _course(clinic_a, 7, 3)
    _course(clinic_a, 7, 6)
    _course(clinic_a, 2, 1)  # 1 point: not a clinically important change
    _course(clinic_a, 1, 0)  # baseline 1 cannot improve meaningfully: left out, counted
    _course(clinic_a, 6, None)  # no later score yet

    total = clinic_outcomes(user=manager, filters=_period(clinic_a))["total"]

    assert total["patients"] == 5
    assert total["courses"] == 5
    assert total["evaluated"] == 3
    assert total["excluded_low_baseline"] == 1
    assert total["responders"] == 1
    assert total["responder_rate"] == pytest.approx(100 / 3, abs=0.05)
    assert total["mean_baseline"] == pytest.approx((7 + 7 + 2) / 3, abs=0.005)
    assert total["mean_latest"] == pytest.approx((3 + 6 + 1) / 3, abs=0.005)
    assert total["mean_change"] == pytest.approx(-2.0)
    assert total["percent_change"] == pytest.approx(-37.5)


def test_the_responder_thresholds_come_from_settings(clinic_a, manager, settings):
    _course(clinic_a, 7, 5)  # 2 points but only 29 %: not a responder by default
    assert clinic_outcomes(user=manager, filters=_period(clinic_a))["total"]["responders"] == 0
    settings.CLINIC_RESPONDER_MIN_PERCENT = 25
    assert clinic_outcomes(user=manager, filters=_period(clinic_a))["total"]["responders"] == 1


def test_baseline_is_the_first_intake_or_pre_session_and_latest_the_last_pre_or_check_in(
    clinic_a, manager
):
    start = timezone.now() - 40 * DAY
    person = PatientFactory(clinic=clinic_a)
    for days, source, score in [
        (0, "pre_session", 8),
        (1, "intake", 5),
        (7, "pre_session", 6),
        (14, "check_in", 4),
        (20, "pre_session", 3),
        (20.1, "post_session", 9),
    ]:
        PainScoreFactory(patient=person, recorded_at=start + days * DAY, source=source, score=score)

    total = clinic_outcomes(user=manager, filters=_period(clinic_a))["total"]

    assert (total["mean_baseline"], total["mean_latest"], total["responders"]) == (8, 3, 1)


def test_outcomes_by_month_therapist_and_cohort(clinic_a, manager, therapist):
    second = MembershipFactory(clinic=clinic_a, role=Role.THERAPIST).user
    now = timezone.now()
    athlete = _course(clinic_a, 8, 2, start=now - 20 * DAY, activity_profile="athlete")
    sedentary = _course(clinic_a, 6, 6, start=now - 20 * DAY, activity_profile="sedentary")
    TreatmentSessionFactory(patient=athlete, therapist=therapist, started_at=now - 19 * DAY)
    TreatmentSessionFactory(patient=sedentary, therapist=second, started_at=now - 19 * DAY)

    outcomes = clinic_outcomes(user=manager, filters=_period(clinic_a))

    month = timezone.localtime(now - 20 * DAY, clinic_a.zone).strftime("%Y-%m")
    assert [(m["month"], m["courses"]) for m in outcomes["by_month"]] == [(month, 2)]
    by_therapist = {row["therapist"]: row for row in outcomes["by_therapist"]}
    assert by_therapist[therapist.pk]["responders"] == 1
    assert by_therapist[second.pk]["responders"] == 0
    assert by_therapist[therapist.pk]["name"] == therapist.get_full_name()
    by_cohort = {row["cohort"]: row["mean_change"] for row in outcomes["by_cohort"]}
    assert by_cohort == {"athlete": -6.0, "sedentary": 0.0}
    only_athletes = clinic_outcomes(user=manager, filters=_period(clinic_a, cohort="athlete"))
    assert only_athletes["total"]["patients"] == 1
    by_second = clinic_outcomes(user=manager, filters=_period(clinic_a, therapist_id=second.pk))
    assert by_second["total"]["mean_change"] == 0.0


def test_a_discarded_draft_neither_makes_its_therapist_the_first_nor_puts_them_in_the_filter(
    clinic_a, manager, therapist
):
    second = MembershipFactory(clinic=clinic_a, role=Role.THERAPIST).user
    now = timezone.now()
    person = _course(clinic_a, 8, 2, start=now - 20 * DAY)
    # A draft started by mistake by `second`, before the therapist's real first session.
    mistake = TreatmentSessionFactory(patient=person, therapist=second, started_at=now - 19 * DAY)
    session_discard(session=mistake, user=second)
    TreatmentSessionFactory(patient=person, therapist=therapist, started_at=now - 18 * DAY)

    outcomes = clinic_outcomes(user=manager, filters=_period(clinic_a))

    assert [(row["therapist"], row["courses"]) for row in outcomes["by_therapist"]] == [
        (therapist.pk, 1)
    ]
    by_second = clinic_outcomes(user=manager, filters=_period(clinic_a, therapist_id=second.pk))
    assert by_second["total"]["courses"] == 0


def test_outcomes_filter_by_region_and_leave_out_courses_started_before_the_period(
    clinic_a, manager
):
    _course(clinic_a, 7, 3, region="lower_back")
    _course(clinic_a, 7, 3, start=timezone.now() - 200 * DAY)
    total = clinic_outcomes(user=manager, filters=_period(clinic_a, region="neck_back"))["total"]
    assert total["courses"] == 0 and total["mean_baseline"] is None
    total = clinic_outcomes(user=manager, filters=_period(clinic_a, region="lower_back"))["total"]
    assert total["courses"] == 1


def test_other_clinics_and_front_desk_see_no_outcomes(clinic_a, clinic_b, stranger, front_desk):
    _course(clinic_a, 7, 3)
    assert clinic_outcomes(user=stranger, filters=_period(clinic_a))["total"]["courses"] == 0
    assert clinic_outcomes(user=front_desk, filters=_period(clinic_a))["total"]["courses"] == 0


def test_trigger_points_per_muscle_count_found_released_and_sessions_to_release(
    clinic_a, manager, patient, therapist
):
    trapezius = Muscle.objects.get(slug="upper-trapezius")
    now = timezone.now()
    sessions = [
        TreatmentSessionFactory(patient=patient, therapist=therapist, started_at=now - d * DAY)
        for d in (30, 20, 10)
    ]
    # Right side: released at the 3rd session. Left side: released at the 1st.
    for session, released in zip(sessions, (False, False, True), strict=True):
        TriggerPointFactory(session=session, muscle=trapezius, side="right", released=released)
    TriggerPointFactory(session=sessions[0], muscle=trapezius, side="left", released=True)

    (row,) = trigger_points_by_muscle(user=manager, filters=_period(clinic_a))

    assert (row["muscle"], row["found"], row["released"], row["points"]) == (
        "upper-trapezius",
        4,
        2,
        2,
    )
    assert row["share_released"] == 50.0
    assert row["mean_sessions_to_release"] == 2.0  # (3 + 1) / 2


def test_the_check_in_curve_pairs_before_after_and_check_in_of_the_same_sessions(
    clinic_a, manager, patient, therapist
):
    now = timezone.now()
    for days, (before, after, check_in) in [(20, (6, 5, 3)), (10, (4, 5, None))]:
        session = TreatmentSessionFactory(
            patient=patient, therapist=therapist, started_at=now - days * DAY
        )
        for source, score in [
            ("pre_session", before),
            ("post_session", after),
            ("check_in", check_in),
        ]:
            if score is not None:
                PainScoreFactory(
                    patient=patient,
                    session=session,
                    source=source,
                    score=score,
                    recorded_at=session.started_at,
                )

    curve = check_in_curve(user=manager, filters=_period(clinic_a))

    assert curve["sessions"] == 1  # the second was never checked in
    assert [p["mean"] for p in curve["points"]] == [6, 5, 3]


def test_psfs_change_compares_the_first_and_latest_mean_of_the_items(clinic_a, manager, patient):
    from patients.models import FunctionalScore

    now = timezone.now()
    for days, scores in [(30, (2, 4, 3)), (15, (3, 5, 4)), (1, (6, 6, 6))]:
        for item, score in enumerate(scores, start=1):
            FunctionalScore.objects.create(
                patient=patient,
                recorded_at=now - days * DAY,
                source="intake",
                item=item,
                activity=f"activity {item}",
                score=score,
            )

    change = psfs_change(user=manager, filters=_period(clinic_a))

    assert (change["patients"], change["mean_baseline"], change["mean_latest"]) == (1, 3.0, 6.0)
    assert (change["mean_change"], change["improved"]) == (3.0, 1)


def test_rom_change_per_movement_in_degrees_and_percent_of_normal(
    clinic_a, manager, patient, therapist
):
    rotation = Movement.objects.get(code="cervical-rotation")
    now = timezone.now()
    for days, degrees in [(30, 40), (20, 50), (10, 60)]:
        session = TreatmentSessionFactory(
            patient=patient, therapist=therapist, started_at=now - days * DAY
        )
        session.mobility.create(
            patient=patient,
            movement=rotation,
            side="left",
            degrees=degrees,
            measured_at=session.started_at,
        )

    (row,) = rom_change(user=manager, filters=_period(clinic_a))

    assert (row["movement"], row["mean_first"], row["mean_latest"], row["mean_change"]) == (
        "cervical-rotation",
        40,
        60,
        20,
    )
    normal = rotation.normal_degrees
    assert row["first_percent_of_normal"] == round(100 * 40 / normal, 1)
    assert row["latest_percent_of_normal"] == round(100 * 60 / normal, 1)


def test_rom_change_for_one_therapist_compares_their_own_first_and_latest(
    clinic_a, manager, patient, therapist
):
    colleague = MembershipFactory(clinic=clinic_a, role=Role.THERAPIST).user
    rotation = Movement.objects.get(code="cervical-rotation")
    now = timezone.now()
    # Colleague 40° then 70°, the therapist 50° and 60° in between.
    for days, degrees, by in [(30, 40, colleague), (20, 50, therapist), (10, 60, therapist)]:
        session = TreatmentSessionFactory(
            patient=patient, therapist=by, started_at=now - days * DAY
        )
        session.mobility.create(
            patient=patient,
            movement=rotation,
            side="left",
            degrees=degrees,
            measured_at=session.started_at,
        )
    last = TreatmentSessionFactory(patient=patient, therapist=colleague, started_at=now - DAY)
    last.mobility.create(
        patient=patient, movement=rotation, side="left", degrees=70, measured_at=last.started_at
    )

    def first_and_latest(**filters):
        return [
            (row["mean_first"], row["mean_latest"])
            for row in rom_change(user=manager, filters=_period(clinic_a, **filters))
        ]

    assert first_and_latest() == [(40, 70)]
    assert first_and_latest(therapist_id=therapist.pk) == [(50, 60)]
    assert first_and_latest(therapist_id=colleague.pk) == [(40, 70)]


def test_psfs_2_is_turned_round_and_a_single_rating_is_left_out(clinic_a, manager, patient):
    from patients.models import FunctionalScore

    now = timezone.now()
    # PSFS 2.0 counts difficulty: 8 and 6 are 2 and 4 on the PSFS scale (mean 3), 3 and 1 are
    # 7 and 9 (mean 8).
    for days, scores in [(30, (8, 6)), (5, (3, 1))]:
        for item, score in enumerate(scores, start=1):
            FunctionalScore.objects.create(
                patient=patient,
                recorded_at=now - days * DAY,
                source="intake",
                instrument="psfs2",
                item=item,
                activity=f"activity {item}",
                score=score,
            )
    once = PatientFactory(clinic=clinic_a)
    FunctionalScore.objects.create(
        patient=once, recorded_at=now - 3 * DAY, source="intake", item=1, activity="run", score=2
    )

    change = psfs_change(user=manager, filters=_period(clinic_a))

    assert (change["patients"], change["mean_baseline"], change["mean_latest"]) == (1, 3.0, 8.0)
    assert (change["mean_change"], change["improved"]) == (5.0, 1)


def test_psfs_and_rom_leave_a_restricted_record_out(clinic_a, manager, patient, therapist):
    from patients.models import FunctionalScore
    from scheduling.erasure import patient_erasure_request

    rotation = Movement.objects.get(code="cervical-rotation")
    now = timezone.now()
    for days, score in [(20, 3), (5, 6)]:
        session = TreatmentSessionFactory(
            patient=patient, therapist=therapist, started_at=now - days * DAY
        )
        FunctionalScore.objects.create(
            patient=patient,
            recorded_at=session.started_at,
            source="intake",
            item=1,
            activity="Lifting a child",
            score=score,
        )
        session.mobility.create(
            patient=patient,
            movement=rotation,
            side="left",
            degrees=10 * score,
            measured_at=session.started_at,
        )

    def figures():
        filters = _period(clinic_a)
        psfs = psfs_change(user=manager, filters=filters)["patients"]
        return psfs, len(rom_change(user=manager, filters=filters))

    assert figures() == (1, 1)
    patient_erasure_request(patient=patient, user=manager)
    assert figures() == (0, 0)
