"""`manage.py seed_demo`: a deterministic demo clinic whose records read like a real clinic's."""

import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from clinic.models import Clinic, Membership, Role
from clinic.permissions import visible
from demo import catalogue, planner, writer
from patients.models import (
    ActivityProfile,
    DurationCategory,
    FunctionalScore,
    IntakeSubmission,
    PainScore,
    PainSource,
    Patient,
    RedFlag,
)
from scheduling.models import Appointment, FollowUp
from sessions.models import (
    CheckIn,
    MobilityMeasurement,
    Movement,
    Muscle,
    TreatmentSession,
    TriggerPoint,
)

pytestmark = pytest.mark.django_db

SMALL = ("--patients", "30", "--seed", "7")
A_MONDAY_IN_WINTER = dt.date(2026, 3, 2)


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _planned_figures(*, seed: int = 7, patients: int = 30, today=A_MONDAY_IN_WINTER) -> dict:
    return planner.figures(planner.plan(seed=seed, patients=patients, today=today).patients)


def _planned_rows(**options) -> list[tuple]:
    """Every field of every planned row, ids aside (nothing is saved yet)."""
    rows = []
    for p in planner.plan(**options).patients:
        for obj in (
            p.patient,
            p.intake,
            *p.sessions,
            *p.pain_scores,
            *p.functional_scores,
            *p.trigger_points,
            *p.mobility,
            *p.check_ins,
            *p.follow_ups,
            *p.appointments,
        ):
            fields = obj._meta.concrete_fields
            # Check-in tokens are random on purpose: nobody holds the link to a demo check-in.
            values = (getattr(obj, f.attname) for f in fields if f.attname != "token_hash")
            rows.append((type(obj).__name__, *values))
    return rows


def test_the_same_seed_plans_the_same_records_field_for_field():
    options = {"seed": 7, "patients": 12, "today": A_MONDAY_IN_WINTER}
    first = _planned_rows(**options)
    assert len(first) > 500
    assert _planned_rows(**options) == first
    assert _planned_rows(**{**options, "seed": 8}) != first


def test_the_same_seed_gives_the_same_figures_on_any_day_and_another_seed_does_not():
    figures = _planned_figures()
    assert figures["pain_scores"] > 0 and figures["trigger_points"] > 0
    # Summer time and another year move every date, never a score or a count.
    assert _planned_figures(today=dt.date(2027, 7, 15)) == figures
    assert _planned_figures(seed=8) != figures


def test_the_command_writes_exactly_the_planned_figures():
    _seed(*SMALL)
    assert writer.db_figures() == _planned_figures()


@pytest.mark.parametrize(
    ("model", "rows_of"),
    [
        (PainScore, lambda p: p.pain_scores),
        (FunctionalScore, lambda p: p.functional_scores),
        (TriggerPoint, lambda p: p.trigger_points),
        (MobilityMeasurement, lambda p: p.mobility),
        (CheckIn, lambda p: p.check_ins),
        (TreatmentSession, lambda p: p.sessions),
    ],
)
def test_every_planned_value_reaches_the_database_unchanged(model, rows_of):
    # Text with commas and quotes, decimals, floats and zoned times all make the trip (on
    # PostgreSQL the leaf rows go by COPY, elsewhere by bulk_create).
    options = {"seed": 7, "patients": 30, "today": A_MONDAY_IN_WINTER}
    writer.seed(**options)
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.attname != "token_hash"
        and (not f.is_relation or f.related_model in (Muscle, Movement))
    ]
    planned = Counter(
        tuple(_hashable(getattr(obj, name)) for name in fields)
        for p in planner.plan(**options).patients
        for obj in rows_of(p)
    )
    stored = Counter(tuple(map(_hashable, row)) for row in model.objects.values_list(*fields))
    assert stored == planned


def _hashable(value):
    """A JSON column's list or object as its text (jsonb keeps no key order)."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def test_most_patients_pain_falls_over_the_course_and_some_does_not():
    _seed(*SMALL)
    # Latest honest rating: before a session or at a check-in, never right after a session.
    rated = PainScore.objects.filter(
        patient=OuterRef("pk"),
        source__in=[PainSource.PRE_SESSION, PainSource.CHECK_IN],
        score__isnull=False,
    )
    # Every rating time covers all of a patient's regions, so both ends pick the same region.
    courses = Patient.objects.filter(clinic__slug="harbour-street").annotate(
        first=Subquery(rated.order_by("recorded_at", "region", "side").values("score")[:1]),
        last=Subquery(rated.order_by("-recorded_at", "region", "side").values("score")[:1]),
    )
    assert courses.count() == 30
    falls = courses.filter(last__lt=F("first")).count()
    assert falls > 15
    assert falls < 30


def test_check_ins_are_usually_lower_than_pain_right_after_the_session():
    _seed(*SMALL)
    after = PainScore.objects.filter(
        session=OuterRef("session"),
        region=OuterRef("region"),
        side=OuterRef("side"),
        source=PainSource.POST_SESSION,
        score__isnull=False,
    ).values("score")[:1]
    check_ins = (
        PainScore.objects.filter(source=PainSource.CHECK_IN)
        .annotate(after=Subquery(after))
        .exclude(after=None)
    )
    counts = check_ins.aggregate(all=Count("id"), lower=Count("id", filter=Q(score__lt=F("after"))))
    assert counts["lower"] > counts["all"] / 2


def test_trigger_points_calm_down_and_release_more_often_later_in_the_course():
    _seed(*SMALL)
    sessions = TreatmentSession.objects.filter(patient=OuterRef("session__patient"))
    first = Subquery(sessions.order_by("started_at").values("started_at")[:1])
    last = Subquery(sessions.order_by("-started_at").values("started_at")[:1])

    def summary(when):
        points = TriggerPoint.objects.annotate(when=when).filter(session__started_at=F("when"))
        counts = points.aggregate(
            n=Count("id"),
            released=Count("id", filter=Q(released=True)),
            active=Count("id", filter=Q(kind="active")),
            tenderness=Avg("tenderness"),
        )
        n = counts.pop("n")
        return {
            "tenderness": counts["tenderness"],
            "released": counts["released"] / n,
            "active": counts["active"] / n,
        }

    start, end = summary(first), summary(last)
    assert end["tenderness"] < start["tenderness"]
    assert end["released"] > start["released"]
    assert end["active"] < start["active"]
    holds = TriggerPoint.objects.exclude(hold_seconds=None).aggregate(Avg("hold_seconds"))
    assert 30 <= holds["hold_seconds__avg"] <= 90


def test_logins_are_printed_and_each_demo_user_signs_in_with_its_role():
    output = _seed(*SMALL, "--password", "another-demo-password")
    assert "Every demo user's password: another-demo-password" in output
    expected = {
        "manager": (Role.MANAGER, "harbour-street"),
        "therapist": (Role.THERAPIST, "harbour-street"),
        "therapist2": (Role.THERAPIST, "harbour-street"),
        "therapist3": (Role.THERAPIST, "harbour-street"),
        "frontdesk": (Role.FRONT_DESK, "harbour-street"),
        "other_manager": (Role.MANAGER, "lakeside"),
    }
    for username, membership in expected.items():
        assert f"\n  {username} " in output
        user = authenticate(username=username, password="another-demo-password")
        assert user is not None, username
        assert user.first_name and user.last_name
        roles = Membership.objects.filter(user=user).values_list("role", "clinic__slug")
        assert list(roles) == [membership]
    assert authenticate(username="manager", password=catalogue.DEMO_PASSWORD) is None


def test_the_default_password_is_the_documented_one():
    output = _seed("--patients", "3")
    assert catalogue.DEMO_PASSWORD == "demo-clinic-2026"
    assert f"password: {catalogue.DEMO_PASSWORD}" in output
    assert authenticate(username="frontdesk", password=catalogue.DEMO_PASSWORD) is not None
    assert catalogue.logins_table() in output


def test_the_second_clinic_has_its_own_patients_and_the_clinics_never_see_each_other():
    _seed(*SMALL)
    users = {u.username: u for u in get_user_model().objects.all()}
    lakeside = Patient.objects.filter(clinic__slug="lakeside")
    assert lakeside.count() >= 3
    assert TreatmentSession.objects.filter(patient__clinic__slug="lakeside").exists()
    assert set(visible(users["other_manager"], Patient)) == set(lakeside)
    assert not visible(users["manager"], Patient).filter(clinic__slug="lakeside").exists()
    assert (
        not visible(users["therapist"], PainScore).filter(patient__clinic__slug="lakeside").exists()
    )
    # Front desk books and registers, and reads no clinical rows.
    assert visible(users["frontdesk"], Patient).count() == 30
    assert not visible(users["frontdesk"], PainScore).exists()


def test_running_again_says_the_demo_is_present_and_adds_nothing():
    _seed(*SMALL)
    before = writer.db_figures()
    assert "Demo data already present; nothing to do." in _seed(*SMALL)
    assert writer.db_figures() == before
    assert get_user_model().objects.count() == len(catalogue.STAFF)
    assert Clinic.objects.count() == 2


def test_a_demo_username_taken_outside_the_demo_is_refused(django_user_model):
    django_user_model.objects.create_user("therapist2", password="not-the-demo")
    with pytest.raises(CommandError, match="therapist2"):
        _seed("--patients", "3")
    assert not Clinic.objects.exists()


@pytest.mark.parametrize(
    "args",
    [("--patients", "0"), ("--weeks-min", "6", "--weeks-max", "5"), ("--weeks-max", "60")],
)
def test_impossible_options_are_refused_before_anything_is_written(args):
    with pytest.raises(CommandError):
        _seed(*args)
    assert not Clinic.objects.exists()
    assert not get_user_model().objects.exists()


def test_weeks_bound_the_number_of_sessions_per_patient():
    _seed("--patients", "12", "--weeks-min", "2", "--weeks-max", "3")
    counts = Patient.objects.annotate(n=Count("sessions")).values_list("n", flat=True)
    assert set(counts) <= {2, 3}


def test_progress_is_printed_per_tenth_of_the_patients_and_per_table():
    output = _seed("--patients", "20")
    assert "Patients 23/23 (100%)" in output  # 20 here and 3 in the second clinic
    assert sum(line.startswith("Patients ") for line in output.splitlines()) >= 5
    assert "trigger points" in output and "rows written in" in output


@pytest.mark.parametrize("quiet", [("--quiet",), ("--verbosity", "0")])
def test_quiet_prints_only_the_summary_and_the_logins(quiet):
    output = _seed("--patients", "20", *quiet)
    assert "Patients " not in output and "rows written" not in output
    assert "Seeded " in output and "other_manager" in output


def test_records_read_like_a_clinic_history():
    _seed(*SMALL)
    now = timezone.now()
    sessions = TreatmentSession.objects.all()
    assert not sessions.exclude(status="signed").exists()
    assert not sessions.exclude(signed_by=F("therapist")).exists()
    assert not sessions.filter(signed_at__gt=now).exists()
    # Stamped when each record was made, not when the demo was seeded.
    assert not sessions.exclude(created_at=F("started_at")).exists()
    assert sessions.filter(created_at__lt=now - dt.timedelta(weeks=3)).exists()
    assert not Patient.objects.filter(created_at__gt=now - dt.timedelta(days=1)).exists()
    assert not CheckIn.objects.filter(completed_at__gt=now).exists()
    assert CheckIn.objects.filter(completed_at__isnull=False, soreness__isnull=False).exists()

    # Each course ends with its next step planned: a visit on the book, or a follow-up.
    booked = Appointment.objects.filter(status="booked")
    assert FollowUp.objects.count() + booked.count() == Patient.objects.count()
    assert not FollowUp.objects.exclude(status="planned").exists()
    assert not FollowUp.objects.filter(due_at__lte=now).exists()
    assert booked.exists() and not booked.filter(starts_at__lte=now).exists()
    # The past on the book: most sessions were an appointment, and some visits were missed.
    completed = Appointment.objects.filter(status="completed")
    assert completed.count() > sessions.count() * 3 / 4
    assert not completed.exclude(starts_at=F("session__started_at")).exists()
    assert not completed.exclude(therapist=F("session__therapist")).exists()
    assert Appointment.objects.filter(status="no_show").exists()
    assert Appointment.objects.filter(status="cancelled", cancelled_late=True).exists()
    assert not Appointment.objects.filter(status__in=["no_show", "cancelled"], starts_at__gt=now)

    intakes = IntakeSubmission.objects.all()
    assert not intakes.exclude(status="reviewed").exists()
    assert set(intakes.values_list("duration_category", flat=True)) == set(DurationCategory)
    flags = [flag for flags in intakes.values_list("red_flags", flat=True) for flag in flags]
    assert flags and {flag["code"] for flag in flags} <= set(RedFlag.values)
    assert all(flag["details"] for flag in flags)

    patients = Patient.objects.all()
    assert set(patients.values_list("activity_profile", flat=True)) == set(ActivityProfile)
    assert set(patients.values_list("preferred_language", flat=True)) == {"en", "es"}
    assert not patients.exclude(email__endswith="@example.com").exists()
