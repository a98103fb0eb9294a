"""The demo clinic's trajectory planner: patients whose pain, trigger points, mobility and
function follow believable courses, as unsaved model instances (demo/writer.py stores them).

Every figure a report counts comes from `random.Random(seed)`: the same seed gives the same
patients, scores and counts whatever day it runs. Only the dates move: each course is laid out
backwards from today (midnight UTC), so the last sessions are always recent and the follow-ups
still to come."""

import datetime as dt
import hashlib
import random
import secrets
import unicodedata
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.contrib.auth import get_user_model

from clinic.models import Clinic, Membership
from clinic.types import User
from outcomes.models import Direction, Instrument, InstrumentResponse, ItemAnswer, Occasion
from patients.models import (
    BodyRegion,
    Channel,
    DurationCategory,
    FunctionalScore,
    IntakeSubmission,
    PainScore,
    PainSource,
    Patient,
    RedFlag,
    Side,
)
from plans.models import Comparator, DischargeReason, PlanGoal, PlanOfCare
from scheduling.models import Appointment, FollowUp, WorkingHours
from sessions.atlas import expected_referral
from sessions.models import (
    CheckIn,
    MobilityMeasurement,
    Movement,
    Muscle,
    ReferenceThreshold,
    ReferralZone,
    SessionFactor,
    Technique,
    TreatmentSession,
    TriggerPoint,
)

from .catalogue import (
    CLINICS,
    COHORTS,
    COMPLAINTS,
    DEFAULT_PATIENTS,
    DEFAULT_SEED,
    DEFAULT_WEEKS_MAX,
    DEFAULT_WEEKS_MIN,
    EVERYDAY_MEDICATIONS,
    FACTORS_BY_REGION,
    FIRST_NAMES_EN,
    FIRST_NAMES_ES,
    LAST_NAMES_EN,
    LAST_NAMES_ES,
    MAIN,
    MAX_WEEKS,
    OTHER,
    RED_FLAG_CHOICES,
    REFERRALS,
    SETBACKS,
    STAFF,
    THERAPIST_SHARES,
    TRAJECTORY_SHARES,
    Complaint,
)

CHECK_IN_VALID_FOR = dt.timedelta(hours=72)


@dataclass
class PatientPlan:
    """One patient's whole course as unsaved model instances, in the order they are written.
    Related instances point at each other; the writer fills in the ids as it goes."""

    trajectory: str
    patient: Patient
    intake: IntakeSubmission
    sessions: list[TreatmentSession] = field(default_factory=list)
    pain_scores: list[PainScore] = field(default_factory=list)
    functional_scores: list[FunctionalScore] = field(default_factory=list)
    trigger_points: list[TriggerPoint] = field(default_factory=list)
    factors: list[SessionFactor] = field(default_factory=list)
    reference_thresholds: list[ReferenceThreshold] = field(default_factory=list)
    mobility: list[MobilityMeasurement] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    plans: list[PlanOfCare] = field(default_factory=list)
    goals: list[PlanGoal] = field(default_factory=list)
    instrument_responses: list[InstrumentResponse] = field(default_factory=list)
    item_answers: list[ItemAnswer] = field(default_factory=list)


@dataclass
class DemoPlan:
    """The staff (unsaved) and a lazy stream of patient plans, so 10,000 patients never sit in
    memory at once."""

    clinics: dict[str, Clinic]
    users: dict[str, User]
    memberships: list[Membership]
    working_hours: list[WorkingHours]
    patient_count: int
    patients: Iterator[PatientPlan]


@dataclass(frozen=True)
class _Catalogue:
    muscles: dict[str, Muscle]
    movements: dict[str, Movement]
    # Each muscle's essential referral zones (region, side relation): the referral a demo
    # patient reports when a point is pressed.
    referrals: dict[str, list[tuple[str, str]]]
    # The region-specific indices shipped with the product (outcomes migration 0002).
    indices: list[Instrument] = field(default_factory=list)

    @classmethod
    def load(cls) -> "_Catalogue":
        referrals: dict[str, list[tuple[str, str]]] = {}
        for slug, region, relation in ReferralZone.objects.filter(essential=True).values_list(
            "muscle__slug", "region", "side_relation"
        ):
            referrals.setdefault(slug, []).append((region, relation))
        return cls(
            muscles={m.slug: m for m in Muscle.objects.all()},
            movements={m.code: m for m in Movement.objects.all()},
            indices=list(
                Instrument.objects.filter(clinic=None, code__in=DEMO_INDICES).order_by("code")
            ),
            referrals=referrals,
        )


def other_clinic_patients(patients: int) -> int:
    """A few patients in the second clinic: enough to show that clinics never see each other."""
    return max(3, patients // 50)


def check_options(*, patients: int, weeks_min: int, weeks_max: int) -> None:
    """Raises ValueError, worded for the command line."""
    if patients < 1:
        raise ValueError("--patients must be at least 1.")
    if not 1 <= weeks_min <= weeks_max <= MAX_WEEKS:
        raise ValueError(f"Need 1 <= --weeks-min <= --weeks-max <= {MAX_WEEKS}.")


def plan(
    *,
    seed: int = DEFAULT_SEED,
    patients: int = DEFAULT_PATIENTS,
    weeks_min: int = DEFAULT_WEEKS_MIN,
    weeks_max: int = DEFAULT_WEEKS_MAX,
    today: dt.date | None = None,
) -> DemoPlan:
    """What `seed_demo` writes. Reads only the muscle and movement catalogues."""
    check_options(patients=patients, weeks_min=weeks_min, weeks_max=weeks_max)
    today = today or dt.datetime.now(dt.UTC).date()
    catalogue = _Catalogue.load()
    missing = {
        slug for c in COMPLAINTS for names in (*c.muscles.values(), c.chain) for slug in names
    } - catalogue.muscles.keys()
    missing |= {code for c in COMPLAINTS for code in c.movements} - catalogue.movements.keys()
    if missing:
        raise ValueError(f"The muscle/movement catalogue lacks {sorted(missing)}: migrate first.")

    start = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(
        weeks=weeks_max + 8
    )
    clinics = {
        c.key: Clinic(
            slug=c.slug, name=c.name, time_zone=c.time_zone, address=c.address, created_at=start
        )
        for c in CLINICS
    }
    user_model = get_user_model()
    users = {
        s.username: user_model(
            username=s.username,
            first_name=s.first_name,
            last_name=s.last_name,
            email=f"{s.username}@example.com",
            date_joined=start,
        )
        for s in STAFF
    }
    memberships = [
        Membership(user=users[s.username], clinic=clinics[s.clinic], role=s.role, created_at=start)
        for s in STAFF
    ]
    rng = random.Random(seed)
    others = other_clinic_patients(patients)
    # Each patient gets their own generator, seeded from the master one, so a patient's course
    # does not depend on how many random numbers the patients before them happened to draw.
    seeds = [rng.getrandbits(64) for _ in range(patients + others)]
    trajectories = _trajectories(rng, patients) + _trajectories(rng, others)
    working_hours = _working_hours(clinics, users)
    context = _Context(
        catalogue=catalogue,
        clinics=clinics,
        users=users,
        today=today,
        book=_Book(working_hours),
    )

    def stream() -> Iterator[PatientPlan]:
        for index, (patient_seed, trajectory) in enumerate(zip(seeds, trajectories, strict=True)):
            clinic_key = MAIN if index < patients else OTHER
            yield _plan_patient(
                random.Random(patient_seed),
                context,
                number=index + 1,
                clinic_key=clinic_key,
                trajectory=trajectory,
                weeks=(weeks_min, weeks_max),
            )

    return DemoPlan(
        clinics=clinics,
        users=users,
        memberships=memberships,
        working_hours=working_hours,
        patient_count=patients + others,
        patients=stream(),
    )


def _trajectories(rng: random.Random, count: int) -> list[str]:
    """Shares as quotas, not coin flips: even 30 patients include plateaus and a worsening."""
    labels = []
    for label, share in TRAJECTORY_SHARES[1:]:
        quota = round(count * share)
        labels += [label] * (max(1, quota) if count >= 5 else quota)
    labels += [TRAJECTORY_SHARES[0][0]] * (count - len(labels))
    rng.shuffle(labels)
    return labels


class _Book:
    """The demo's book while it is planned: the quarter hours each therapist is booked, so no
    two appointments that hold time overlap (the database's exclusion constraint would refuse
    them), and each therapist's weekly hours, which future bookings keep to."""

    QUARTER = 15 * 60

    def __init__(self, hours: list[WorkingHours]):
        self.taken: dict[str, set[int]] = defaultdict(set)
        self.hours: dict[tuple[str, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for row in hours:
            self.hours[(row.therapist.username, row.weekday)].append((row.starts, row.ends))

    def _quarters(self, starts: dt.datetime, minutes: int) -> range:
        first = int(starts.timestamp()) // self.QUARTER
        return range(first, first - (-minutes * 60 // self.QUARTER))

    def within_hours(self, therapist, starts: dt.datetime, minutes: int) -> bool:
        ends = (starts + dt.timedelta(minutes=minutes)).time()
        day = self.hours[(therapist.username, starts.weekday())]
        return ends > starts.time() and any(a <= starts.time() and ends <= b for a, b in day)

    def place(self, therapist, starts: dt.datetime, minutes: int) -> bool:
        """Book the time if it is free; False when it is not."""
        quarters = self._quarters(starts, minutes)
        mine = self.taken[therapist.username]
        if any(q in mine for q in quarters):
            return False
        mine.update(quarters)
        return True


@dataclass(frozen=True)
class _Context:
    catalogue: _Catalogue
    clinics: dict[str, Clinic]
    users: dict[str, User]
    today: dt.date
    book: _Book


def _clamp(value: float, low: int = 0, high: int = 10) -> int:
    return min(high, max(low, round(value)))


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _progress_curve(t: float) -> float:
    """Share of the eventual change reached at fraction t of the course: fastest early on."""
    return 1 - (1 - t) ** 1.6


def _duration_text(days: int) -> str:
    if days < 14:
        return f"{days} days"
    if days < 70:
        return f"{round(days / 7)} weeks"
    if days < 700:
        return f"{round(days / 30.4)} months"
    return f"about {round(days / 365)} years"


T = TypeVar("T")


def _weighted(rng: random.Random, pairs: Iterable[tuple[T, float]]) -> T:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class _Point:
    """A trigger point followed across the course: same muscle, side and spot."""

    muscle: Muscle
    side: str
    x: float
    y: float
    tenderness: float
    active: bool
    technique: str


REGION_LABELS = dict(BodyRegion.choices)


def _plan_patient(
    rng: random.Random,
    ctx: _Context,
    *,
    number: int,
    clinic_key: str,
    trajectory: str,
    weeks: tuple[int, int],
) -> PatientPlan:
    """One course, drawn in a fixed order from the patient's own generator: who they are, what
    brings them in, when they come, the intake, then each session and the follow-up."""
    clinic = ctx.clinics[clinic_key]
    therapist = ctx.users[_weighted(rng, THERAPIST_SHARES[clinic_key])]
    person = _plan_person(rng, clinic, number=number)
    problem = _plan_problem(rng, person.profile, trajectory)
    dates = _plan_dates(rng, ctx.today, weeks, zoneinfo.ZoneInfo(clinic.time_zone))
    course = _Course(
        rng=rng,
        ctx=ctx,
        clinic_key=clinic_key,
        trajectory=trajectory,
        therapist=therapist,
        person=person,
        problem=problem,
        dates=dates,
    )
    course.plan_intake()
    course.plan_treatment()
    for k, offset in enumerate(dates.offsets):
        course.plan_session(k, offset)
        course.plan_visit(k, offset)
    course.plan_follow_up()
    # Drawn last, so every figure planned before it is the same as without plans of care.
    course.plan_of_care()
    return course.out


@dataclass
class _Person:
    patient: Patient
    profile: str
    reachable: bool  # consents to email or SMS


def _plan_person(rng: random.Random, clinic: Clinic, *, number: int) -> _Person:
    """Who they are: cohort, name, language, contact and consent."""
    profile = _weighted(rng, ((p, c[0]) for p, c in COHORTS.items()))
    _, (born_from, born_to), occupations, postures = COHORTS[profile]
    spanish = rng.random() < 0.3
    first = rng.choice(FIRST_NAMES_ES if spanish else FIRST_NAMES_EN)
    last = rng.choice(LAST_NAMES_ES if spanish and rng.random() < 0.85 else LAST_NAMES_EN)
    language = "es" if (spanish and rng.random() < 0.6) or rng.random() < 0.02 else "en"
    born = dt.date(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
    email_ok, sms_ok = rng.random() < 0.85, rng.random() < 0.55
    channel = Channel.SMS if sms_ok and (not email_ok or rng.random() < 0.4) else Channel.EMAIL
    patient = Patient(
        clinic=clinic,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        email=f"{_ascii(first)}.{_ascii(last)}.{number}@example.com",
        phone=f"+1-{rng.choice(('416', '647', '905', '604'))}-555-{rng.randint(100, 199):04d}",
        preferred_language=language,
        preferred_channel=channel if email_ok or sms_ok else "",
        consents_to_email=email_ok,
        consents_to_sms=sms_ok,
        activity_profile=profile,
        occupation=rng.choice(occupations),
        postures=rng.choice(postures),
    )
    patient.match_keys_fill()  # the writer's raw insert skips save(), which fills them
    return _Person(patient=patient, profile=profile, reachable=email_ok or sms_ok)


@dataclass
class _Problem:
    complaint: Complaint
    chronicity: str
    onset_days: int
    side: str
    regions: list[tuple[str, str]]
    base: list[int]  # pain at the start, per region
    drop: float  # share of it gone by the end of the course (negative: it rises)

    def level(self, region_index: int, t: float) -> float:
        return self.base[region_index] * (1 - self.drop * _progress_curve(t))


ONSET_DAYS = {
    DurationCategory.ACUTE: (5, 40),
    DurationCategory.SUBACUTE: (42, 84),
    DurationCategory.CHRONIC: (91, 2500),
}
CHRONICITY_BONUS = {"acute": 0.1, "subacute": 0.0, "chronic": -0.1}


def _plan_problem(rng: random.Random, profile: str, trajectory: str) -> _Problem:
    """What brings them in: the complaint, since when, where, and how it will change."""
    complaint = _weighted(rng, ((c, c.weights[profile]) for c in COMPLAINTS))
    chronicity = _weighted(
        rng,
        (
            (DurationCategory.ACUTE, 30),
            (DurationCategory.SUBACUTE, 25),
            (DurationCategory.CHRONIC, 45),
        ),
    )
    onset_days = rng.randint(*ONSET_DAYS[chronicity])
    side = _weighted(rng, ((Side.RIGHT, 45), (Side.LEFT, 35), (Side.BOTH, 20)))
    region_count = _weighted(rng, ((1, 30), (2, 45), (3, 25)))
    regions: list[tuple[str, str]] = [
        (region, Side.BOTH if i and rng.random() < 0.15 else side)
        for i, region in enumerate(complaint.regions[:region_count])
    ]
    # Pain where it hurts most, less elsewhere; a worsening course starts lower so it can rise.
    top = rng.randint(4, 7) if trajectory == "worse" else rng.randint(5, 8)
    base = [top] + [max(2, top - rng.randint(1, 3)) for _ in regions[1:]]
    # All three are drawn whatever the trajectory, so it does not shift the draws after it.
    drops = {
        "improving": rng.uniform(0.35, 0.8) + CHRONICITY_BONUS[chronicity],
        "plateau": rng.uniform(-0.08, 0.1),
        "worse": -rng.uniform(0.3, 0.5),
    }
    drop = drops[trajectory]
    return _Problem(complaint, chronicity, onset_days, side, regions, base, drop)


@dataclass
class _Dates:
    offsets: list[int]  # days before today, first session first
    slot: tuple[int, int]  # the patient's usual hour and minute
    zone: zoneinfo.ZoneInfo


def _plan_dates(rng: random.Random, today: dt.date, weeks, zone) -> _Dates:
    """When: the course ends 2-13 days before today, weekly-ish before that."""
    session_count = rng.randint(*weeks)
    offsets = [rng.randint(2, 13)]
    for _ in range(session_count - 1):
        offsets.append(offsets[-1] + rng.choice((7, 7, 7, 7, 6, 8, 5, 9, 14)))
    offsets.reverse()
    slot = (rng.randint(9, 17), rng.choice((0, 30)))
    return _Dates(offsets=offsets, slot=slot, zone=zone)


DEMO_INDICES = ("ndi", "lefs")
PSFS_GAIN = {
    "improving": lambda rng: rng.uniform(2.5, 5),
    "plateau": lambda rng: rng.uniform(-0.5, 1.2),
    "worse": lambda rng: -rng.uniform(0.5, 2.5),
}
ROM_END = {
    "improving": lambda rng, s: min(1.03, s + rng.uniform(0.12, 0.35)),
    "plateau": lambda rng, s: s + rng.uniform(-0.03, 0.05),
    "worse": lambda rng, s: s - rng.uniform(0.04, 0.12),
}
CHECK_IN_RELIEF = {"improving": (0.6, 1.6), "plateau": (0.3, 1.0), "worse": (-0.3, 0.6)}
RELEASE_ODDS = {"improving": 0.35, "plateau": 0.25, "worse": 0.15}
# Tenderness lost on release; regained by the next week.
HEALING = {
    "improving": ((0.8, 1.8), (-0.3, 0.1)),
    "plateau": ((0.4, 1.0), (0.2, 0.7)),
    "worse": ((0.1, 0.6), (0.1, 0.5)),
}
FOLLOW_UPS = (
    ((FollowUp.Kind.APPOINTMENT, "Review after the course; re-test PSFS."), 55),
    ((FollowUp.Kind.APPOINTMENT, "Maintenance session."), 15),
    ((FollowUp.Kind.CALL, "Call: how is the home programme going?"), 20),
    ((FollowUp.Kind.CHECK_IN, "Check-in link: pain and function a month on."), 10),
)


# The book: how often a visit between two sessions was missed, and of those how many were
# cancelled; the share of next visits the therapist books directly.
MISSED_ODDS = 0.1
CANCEL_REASONS = ("Unwell", "Work came up", "Childcare", "Car trouble", "")
LATE_CANCELLATION_HOURS = 24  # the reminder policy's default window
BOOKED_DIRECTLY = 0.8
# Weekly hours (weekdays 0-4 are Monday to Friday): therapist3 has a split Wednesday.
FULL_DAY = ((dt.time(8, 30), dt.time(19, 0)),)
DEMO_HOURS: dict[str, dict[int, tuple[tuple[dt.time, dt.time], ...]]] = {
    "therapist": {day: FULL_DAY for day in range(5)},
    "therapist2": {**{day: FULL_DAY for day in range(5)}, 5: ((dt.time(9), dt.time(13)),)},
    "therapist3": {
        **{day: FULL_DAY for day in (0, 1, 3, 4)},
        2: ((dt.time(8, 30), dt.time(12, 30)), (dt.time(13, 30), dt.time(19, 0))),
    },
    "other_manager": {day: ((dt.time(9), dt.time(18)),) for day in range(5)},
}


def _times_from(planned: dt.datetime) -> Iterator[dt.datetime]:
    """The planned time, then each half hour from 09:00 to 18:30 of that day and the six after
    (wall-clock times in the planned time's zone)."""
    yield planned
    for day in range(7):
        for half_hour in range(20):
            yield dt.datetime.combine(
                planned.date() + dt.timedelta(days=day), dt.time(9), tzinfo=planned.tzinfo
            ) + dt.timedelta(minutes=30 * half_hour)


def _working_hours(clinics: dict[str, Clinic], users: dict[str, User]) -> list[WorkingHours]:
    clinic_of = {s.username: clinics[s.clinic] for s in STAFF}
    return [
        WorkingHours(
            clinic=clinic_of[username], therapist=users[username], weekday=day, starts=a, ends=b
        )
        for username, week in DEMO_HOURS.items()
        for day, intervals in week.items()
        for a, b in intervals
    ]


@dataclass
class _Course:
    """A course while it is planned: what each session needs from the ones before."""

    rng: random.Random
    ctx: _Context
    clinic_key: str
    trajectory: str
    therapist: User
    person: _Person
    problem: _Problem
    dates: _Dates
    out: PatientPlan = field(init=False)
    intake: IntakeSubmission = field(init=False)
    acknowledge: bool = False
    activities: list[str] = field(default_factory=list)
    psfs_start: list[int] = field(default_factory=list)
    psfs_end: list[float] = field(default_factory=list)
    points: list[_Point] = field(default_factory=list)
    uses_algometer: bool = False
    measures: list[tuple] = field(default_factory=list)
    previous_pre: int | None = None

    @property
    def patient(self) -> Patient:
        return self.person.patient

    def local(self, days_ago: int, slot: tuple[int, int]) -> dt.datetime:
        return _local(self.ctx.today, days_ago, slot, self.dates.zone)

    def plan_intake(self) -> None:
        """Submitted online a few days before the first session, which opens with its review;
        the patient was registered by the front desk, who then sent the link."""
        rng, patient, problem = self.rng, self.patient, self.problem
        first_start = self.local(self.dates.offsets[0], self.dates.slot)
        submitted = self.local(
            self.dates.offsets[0] + rng.randint(1, 6), (rng.randint(7, 22), rng.randint(0, 59))
        )
        reviewed = first_start - dt.timedelta(minutes=rng.randint(10, 40))
        patient.created_at = patient.updated_at = submitted - dt.timedelta(hours=rng.randint(2, 72))
        flags, medication = _red_flags(rng, patient.date_of_birth)
        cleared = bool(flags) and rng.random() < 0.5
        self.acknowledge = bool(flags) and not cleared
        self.activities = rng.sample(problem.complaint.activities, 3)
        self.intake = _intake(
            patient,
            problem,
            self.therapist,
            activities=self.activities,
            flags=flags,
            medication=medication,
            cleared=cleared,
            submitted=submitted,
            reviewed=reviewed,
            reachable=self.person.reachable,
        )
        self.out = PatientPlan(trajectory=self.trajectory, patient=patient, intake=self.intake)
        for i, (region, region_side) in enumerate(problem.regions):
            self.out.pain_scores.append(
                PainScore(
                    patient=patient,
                    recorded_at=submitted,
                    source=PainSource.INTAKE,
                    region=region,
                    side=region_side,
                    score=_clamp(problem.base[i] + rng.gauss(0, 0.5)),
                )
            )
        # PSFS: three activities, rated at intake and every third session.
        self.psfs_start = [rng.randint(2, 6) for _ in self.activities]
        self.psfs_end = [s + PSFS_GAIN[self.trajectory](rng) for s in self.psfs_start]
        self.psfs(0.0, submitted, None, PainSource.INTAKE)
        self.indices(0.0, submitted, None, Occasion.INTAKE)

    def indices(self, t: float, when: dt.datetime, session, occasion: str) -> None:
        """The region-specific index the intake's regions call for (neck: NDI, lower limb:
        LEFS), answered item by item along the course's trajectory and scored by its rule. Its
        own generator (seeded from the patient), so the draws of everything else stay as they
        were before the indices existed."""
        regions = {region for region, _side in self.problem.regions}
        patient = self.patient
        who = f"{patient.first_name}-{patient.last_name}-{patient.date_of_birth}"
        rng = random.Random(f"indices-{who}")
        # Disability as a share of the scale: it eases as the pain does (`drop`).
        start = rng.uniform(0.3, 0.6)
        end = min(0.95, max(0.03, start * (1 - self.problem.drop)))
        level = start + (end - start) * _progress_curve(t)
        noise = random.Random(f"indices-{who}-{when.isoformat()}")
        for instrument in self.ctx.catalogue.indices:
            if not regions.intersection(instrument.regions):
                continue
            higher_better = instrument.direction == Direction.HIGHER_BETTER
            answers = {}
            for item in instrument.items:
                values = sorted(o["value"] for o in item["options"])
                share = 1 - level if higher_better else level
                raw = share * values[-1] + noise.gauss(0, 0.6)
                answers[item["key"]] = min(values[-1], max(values[0], round(raw)))
            response = InstrumentResponse(
                patient=self.patient,
                instrument=instrument,
                session=session,
                taken_at=when,
                occasion=occasion,
                language=self.patient.preferred_language or "en",
                total=instrument.score(answers),
                answered=len(answers),
                entered_by=session.therapist if session is not None else None,
                created_at=when,
            )
            self.out.instrument_responses.append(response)
            self.out.item_answers += [
                ItemAnswer(response=response, item=key, value=value)
                for key, value in answers.items()
            ]

    def psfs(self, t: float, when: dt.datetime, session, source) -> None:
        rng = self.rng
        for item, (activity, s0, s1) in enumerate(
            zip(self.activities, self.psfs_start, self.psfs_end, strict=True), start=1
        ):
            self.out.functional_scores.append(
                FunctionalScore(
                    patient=self.patient,
                    session=session,
                    recorded_at=when,
                    source=source,
                    item=item,
                    activity=activity,
                    score=_clamp(s0 + (s1 - s0) * _progress_curve(t) + rng.gauss(0, 0.5)),
                )
            )

    def plan_treatment(self) -> None:
        """The points and movements followed all course long."""
        rng, problem = self.rng, self.problem
        self.points = _trigger_points(rng, problem.complaint, problem.regions, self.ctx.catalogue)
        self.uses_algometer = rng.random() < 0.4
        # Drawn from their own stream, so the rest of the demo stays as it was before factors.
        own = random.Random(f"factors:{self.patient.last_name}:{self.patient.date_of_birth}")
        candidates = sorted(
            {
                code
                for region, _side in problem.regions
                for code in FACTORS_BY_REGION.get(region, ())
            }
        )
        self.factors = own.sample(candidates, min(len(candidates), own.randint(1, 2)))
        self.reference_rng = own
        measures = _movements(rng, problem.complaint, problem.side, self.ctx.catalogue)
        end = ROM_END[self.trajectory]
        self.measures = [(m, s, method, start, end(rng, start)) for m, s, method, start in measures]

    def plan_session(self, k: int, offset: int) -> None:
        rng, ctx = self.rng, self.ctx
        total = len(self.dates.offsets)
        t = k / (total - 1) if total > 1 else 1.0
        slot = self.dates.slot if rng.random() < 0.85 else (rng.randint(9, 17), rng.choice((0, 30)))
        started = self.local(offset, slot)
        minutes = rng.choice((75, 90)) if k == 0 else rng.choice((60, 60, 60, 45, 75, 90))
        ended = started + dt.timedelta(minutes=minutes)
        signed = ended + dt.timedelta(minutes=rng.randint(5, 50))
        treated_by = self.therapist
        if rng.random() >= 0.92 and self.clinic_key != OTHER:
            others = [u for u, _ in THERAPIST_SHARES[MAIN] if ctx.users[u] is not self.therapist]
            treated_by = ctx.users[rng.choice(others)]
        session = TreatmentSession(
            patient=self.patient,
            therapist=treated_by,
            started_at=started,
            duration_minutes=minutes,
            status=TreatmentSession.Status.SIGNED,
            red_flags_acknowledged=self.acknowledge,
            signed_at=signed,
            signed_by=treated_by,
            created_at=started,
            updated_at=signed,
        )
        self.out.sessions.append(session)
        pre_scores = self.session_pain(session, t, started, ended)
        recorded, released, twitch = self.session_points(session, t)
        self.session_factors(session, k)
        rom_note = self.session_mobility(session, t, started)
        if k % 3 == 2 or k == total - 1:
            self.psfs(t, started, session, PainSource.PRE_SESSION)
            occasion = Occasion.DISCHARGE if k == total - 1 else Occasion.INTERVAL
            self.indices(t, started, session, occasion)
        self.session_check_in(session, t, offset, ended, signed)
        # The note, written last: it quotes what was found.
        _write_note(
            rng,
            session,
            complaint=self.problem.complaint,
            regions=self.problem.regions,
            k=k,
            total=total,
            trajectory=self.trajectory,
            pre=pre_scores[0],
            previous=self.previous_pre,
            points=recorded,
            released=released,
            twitch=twitch,
            rom=rom_note,
            # Every planned intake has its onset date.
            onset_days=(started.date() - self.intake.onset_date).days,  # type: ignore[operator]
            posture=self.patient.postures,
        )
        self.previous_pre = pre_scores[0]

    def session_pain(self, session, t: float, started, ended) -> list[int]:
        """Pain before and after, per region; after is often a little up or down (soreness)."""
        rng, pre_scores = self.rng, []
        for i, (region, region_side) in enumerate(self.problem.regions):
            pre = _clamp(self.problem.level(i, t) + rng.gauss(0, 0.6))
            pre_scores.append(pre)
            post = _clamp(pre + _weighted(rng, ((-2, 5), (-1, 30), (0, 30), (1, 28), (2, 7))))
            unable = rng.random() < 0.01
            self.out.pain_scores += [
                PainScore(
                    patient=self.patient,
                    session=session,
                    recorded_at=started,
                    source=PainSource.PRE_SESSION,
                    region=region,
                    side=region_side,
                    score=pre,
                ),
                PainScore(
                    patient=self.patient,
                    session=session,
                    recorded_at=ended,
                    source=PainSource.POST_SESSION,
                    region=region,
                    side=region_side,
                    score=None if unable else post,
                    unable_to_rate=unable,
                ),
            ]
        return pre_scores

    def session_points(self, session, t: float):
        """The tenderest few points this week; released ones calm down."""
        rng, healing = self.rng, HEALING[self.trajectory]
        treated = sorted(self.points, key=lambda p: p.tenderness + rng.random() * 2, reverse=True)
        treated = treated[: rng.randint(2, 5)]
        released_count, twitch_muscle, recorded = 0, None, []
        for point in treated:
            row = self.trigger_point(session, point, t)
            recorded.append(row)
            if row.local_twitch_response and not twitch_muscle:
                twitch_muscle = point.muscle
            if row.released:
                released_count += 1
                point.tenderness -= rng.uniform(*healing[0])
        self.out.trigger_points += recorded
        for point in self.points:
            point.tenderness = min(9.5, max(1.0, point.tenderness + rng.uniform(*healing[1])))
            # Hysteresis, so a point does not flip state on noise alone.
            point.active = point.tenderness >= 4.5 if point.active else point.tenderness >= 6
        return recorded, released_count, twitch_muscle

    def session_factors(self, session, k: int) -> None:
        """Perpetuating factors at the first session and re-assessed every fourth; with an
        algometer, the deltoid measured on both sides as the reference site."""
        if k % 4 == 0:
            self.out.factors += [
                SessionFactor(session=session, factor=code) for code in self.factors
            ]
        if self.uses_algometer:
            deltoid = self.ctx.catalogue.muscles["deltoid"]
            self.out.reference_thresholds += [
                ReferenceThreshold(
                    session=session,
                    muscle=deltoid,
                    side=side,
                    pressure_pain_threshold=Decimal(
                        f"{3.9 + self.reference_rng.gauss(0, 0.2):.2f}"
                    ),
                )
                for side in ("left", "right")
            ]

    def trigger_point(self, session, point: _Point, t: float) -> TriggerPoint:
        rng = self.rng
        tenderness = _clamp(point.tenderness + rng.gauss(0, 0.5), 1)
        technique = point.technique if rng.random() < 0.75 else _technique(rng, point.muscle)
        released = rng.random() < min(0.92, RELEASE_ODDS[self.trajectory] + 0.5 * t)
        twitch = rng.random() < 0.05 + 0.03 * tenderness
        ppt = None
        if self.uses_algometer:
            value = 1.0 + (10 - point.tenderness) * 0.3 + rng.gauss(0, 0.15)
            ppt = Decimal(f"{min(9.9, max(0.5, value)):.2f}")
        return TriggerPoint(
            session=session,
            muscle=point.muscle,
            side=point.side,
            chart_view=point.muscle.chart_view,
            x=point.x,
            y=point.y,
            kind=TriggerPoint.Kind.ACTIVE if point.active else TriggerPoint.Kind.LATENT,
            tenderness=tenderness,
            pressure_pain_threshold=ppt,
            referral_pattern=REFERRALS.get(point.muscle.slug, ""),
            # Recorded where the note describes a referral, as the atlas expects it.
            referral_regions=expected_referral(
                self.ctx.catalogue.referrals.get(point.muscle.slug, []), point.side
            )
            if point.muscle.slug in REFERRALS
            else [],
            local_twitch_response=twitch,
            technique=technique,
            hold_seconds=_hold_seconds(rng, technique),
            repetitions=rng.randint(3, 6)
            if technique == Technique.STRIPPING
            else rng.randint(1, 3),
            pressure=_clamp(3 + (10 - tenderness) * 0.45 + rng.gauss(0, 0.7), 1, 9),
            released=released,
        )

    def session_mobility(self, session, t: float, started) -> str:
        """Range of motion, as a share of the movement's normal range; the note quotes the
        first one."""
        notes = []
        for movement, rom_side, method, start, end in self.measures:
            share = start + (end - start) * _progress_curve(t) + self.rng.gauss(0, 0.03)
            degrees = _clamp(movement.normal_degrees * share, 0, 360)
            self.out.mobility.append(
                MobilityMeasurement(
                    patient=self.patient,
                    session=session,
                    movement=movement,
                    side=rom_side,
                    degrees=degrees,
                    method=method,
                    measured_at=started + dt.timedelta(minutes=10),
                )
            )
            notes.append(_rom_note(movement, rom_side, degrees))
        return notes[0] if notes else ""

    def session_check_in(self, session, t: float, offset: int, ended, signed) -> None:
        """Check-in 24-48 h later: relief shows after a few hours. The last few days' check-ins
        are still open (whatever the clinic's zone); a few patients never answer."""
        rng = self.rng
        if not (self.person.reachable and rng.random() < 0.95):
            return
        completed = None
        if offset >= 4 and rng.random() < 0.88:
            completed = ended + dt.timedelta(minutes=rng.randint(24 * 60, 48 * 60))
            self.check_in_pain(session, t, completed)
        unexpected = ""
        if completed and rng.random() < (0.2 if self.intake.takes_anticoagulants else 0.02):
            unexpected = rng.choice(
                (
                    "Small bruise where the pressure was deepest; not painful.",
                    "Headache the evening after the session.",
                    "Felt light-headed getting up from the table.",
                )
            )
        self.out.check_ins.append(
            CheckIn(
                session=session,
                token_hash=_token_hash(),
                created_at=signed,
                expires_at=signed + CHECK_IN_VALID_FOR,
                completed_at=completed,
                soreness=_clamp(2.4 - 1.4 * t + rng.gauss(0, 1)) if completed else None,
                unexpected=unexpected,
            )
        )

    def check_in_pain(self, session, t: float, completed: dt.datetime) -> None:
        day_relief = self.rng.uniform(*CHECK_IN_RELIEF[self.trajectory])
        for i, (region, region_side) in enumerate(self.problem.regions):
            self.out.pain_scores.append(
                PainScore(
                    patient=self.patient,
                    session=session,
                    recorded_at=completed,
                    source=PainSource.CHECK_IN,
                    region=region,
                    side=region_side,
                    score=_clamp(self.problem.level(i, t) - day_relief + self.rng.gauss(0, 0.5)),
                )
            )

    def plan_visit(self, k: int, offset: int) -> None:
        """The session's appointment on the book, completed (booked a week before); a session
        whose time another appointment of the therapist holds was a walk-in, off the book. Now
        and then the visit before it was missed: a no-show, or a cancellation (some late)."""
        session, rng = self.out.sessions[-1], self.rng
        total = len(self.dates.offsets)
        kind = Appointment.Kind.TREATMENT
        if k == 0:
            kind = Appointment.Kind.INITIAL_ASSESSMENT
        elif k == total - 1 and total > 3:
            kind = Appointment.Kind.REASSESSMENT
        if self.ctx.book.place(session.therapist, session.started_at, session.duration_minutes):
            self.out.appointments.append(
                self.appointment(
                    session.therapist,
                    session.started_at,
                    session.duration_minutes,
                    kind=kind,
                    status=Appointment.Status.COMPLETED,
                    session=session,
                    booked=session.started_at - dt.timedelta(days=7),
                )
            )
        previous = self.dates.offsets[k - 1] if k else None
        if previous is None or previous <= offset + 3 or rng.random() >= MISSED_ODDS:
            return
        starts = self.local(offset + 3, self.dates.slot)
        missed = self.appointment(
            session.therapist,
            starts,
            60,
            kind=Appointment.Kind.TREATMENT,
            status=Appointment.Status.NO_SHOW,
            booked=starts - dt.timedelta(days=7),
        )
        if rng.random() < 0.6:
            hours_before = rng.choice((1, 3, 5, 18, 30, 48, 72))
            missed.status = Appointment.Status.CANCELLED
            missed.cancelled_at = starts - dt.timedelta(hours=hours_before)
            missed.cancelled_by_patient = rng.random() < 0.8
            missed.cancel_reason = rng.choice(CANCEL_REASONS)
            missed.cancelled_late = hours_before < LATE_CANCELLATION_HOURS
            missed.updated_at = missed.cancelled_at
        self.out.appointments.append(missed)

    def appointment(self, therapist, starts, minutes, *, kind, status, booked, session=None):
        return Appointment(
            clinic=self.patient.clinic,
            patient=self.patient,
            therapist=therapist,
            kind=kind,
            status=status,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=minutes),
            session=session,
            created_by=therapist,
            created_at=booked,
            updated_at=booked if status == Appointment.Status.BOOKED else starts,
        )

    def plan_booked(self, note: str) -> bool:
        """The therapist put the next visit on the book when signing the note: the planned time
        if it is free and within their hours, else the first free half hour from 09:00 over the
        following week. False when none was found: it stays a booking request."""
        last, book = self.out.sessions[-1], self.ctx.book
        planned = last.started_at + dt.timedelta(days=self.rng.randint(14, 28))
        minutes = 45 if "Maintenance" in note else 60
        for starts in _times_from(planned):
            if book.within_hours(last.therapist, starts, minutes) and book.place(
                last.therapist, starts, minutes
            ):
                review = "Review" in note
                visit = self.appointment(
                    last.therapist,
                    starts,
                    minutes,
                    kind=Appointment.Kind.REASSESSMENT if review else Appointment.Kind.TREATMENT,
                    status=Appointment.Status.BOOKED,
                    booked=last.signed_at,
                )
                visit.note = note
                self.out.appointments.append(visit)
                return True
        return False

    def plan_of_care(self) -> None:
        """The plan written after the first session's assessment and signed then: a pain goal
        for the worst region, a range-of-motion goal and a PSFS goal, targets set from where
        the patient started. A course that ended a while ago may have been discharged, with
        the outcome summary the service computes."""
        rng, sessions, problem = self.rng, self.out.sessions, self.problem
        first, last = sessions[0], sessions[-1]
        opened = first.started_at + dt.timedelta(minutes=first.duration_minutes)
        weeks = len(sessions) + rng.randint(0, 2)
        zone = self.dates.zone
        plan = PlanOfCare(
            patient=self.patient, therapist=self.therapist, version=1,
            status=PlanOfCare.Status.ACTIVE, complaint=problem.complaint.chief,
            regions=list(dict.fromkeys(region for region, _ in problem.regions)),
            sessions_per_week=1, weeks=weeks,
            reassess_on=(opened + dt.timedelta(weeks=max(2, weeks // 2))).astimezone(zone).date(),
            opened_at=opened, signed_at=opened, signed_by=self.therapist,
            created_at=opened, updated_at=opened,
        )  # fmt: skip
        region, region_side = problem.regions[0]
        goals = [
            PlanGoal(plan=plan, position=1, kind=PlanGoal.Kind.PAIN, region=region,
                     side=region_side, comparator=Comparator.AT_MOST,
                     target=Decimal(min(3, max(0, round(problem.base[0]) - 3))))
        ]  # fmt: skip
        if self.measures:
            movement, rom_side, _method, start, _end = self.measures[0]
            aim = min(movement.normal_degrees, round(movement.normal_degrees * (start + 0.2)))
            goals.append(
                PlanGoal(plan=plan, position=2, kind=PlanGoal.Kind.ROM, movement=movement,
                         side=rom_side, comparator=Comparator.AT_LEAST, target=Decimal(aim))
            )  # fmt: skip
        goals.append(
            PlanGoal(plan=plan, position=len(goals) + 1, kind=PlanGoal.Kind.PSFS,
                     activity=self.activities[0], comparator=Comparator.AT_LEAST,
                     target=Decimal(min(10, self.psfs_start[0] + 3)))
        )  # fmt: skip
        ended = last.started_at + dt.timedelta(minutes=last.duration_minutes, hours=1)
        if self.dates.offsets[-1] >= DISCHARGED_AFTER_DAYS and rng.random() < DISCHARGE_ODDS:
            plan.status = PlanOfCare.Status.DISCHARGED
            plan.discharged_at, plan.discharged_by = ended, self.therapist
            plan.updated_at = ended
            plan.outcome_summary = [
                _goal_outcome(goal, self.readings(goal), opened, ended) for goal in goals
            ]
            every_goal_met = all(entry["met"] for entry in plan.outcome_summary)
            plan.discharge_reason = (
                DischargeReason.GOALS_MET if every_goal_met else DISCHARGE_REASONS[self.trajectory]
            )
        self.out.plans.append(plan)
        self.out.goals += goals

    def readings(self, goal: PlanGoal) -> list[tuple]:
        """(time, value, usable as latest) of the goal's measure in this course."""
        if goal.kind == PlanGoal.Kind.PAIN:
            return [
                (s.recorded_at, s.score, s.source in LATEST_PAIN)
                for s in self.out.pain_scores
                if (s.region, s.side) == (goal.region, goal.side)
                and s.score is not None and s.source in BASELINE_PAIN
            ]  # fmt: skip
        if goal.kind == PlanGoal.Kind.ROM:
            return [
                (m.measured_at, m.degrees, True)
                for m in self.out.mobility
                if m.movement is goal.movement and m.side == goal.side
            ]
        return [
            (f.recorded_at, f.score, True)
            for f in self.out.functional_scores
            if f.activity.casefold() == goal.activity.casefold()
        ]

    def plan_follow_up(self) -> None:
        """Booked by the last session's therapist when the note was signed: most next visits on
        the book directly, the rest as follow-ups (booking requests, calls, check-ins)."""
        last = self.out.sessions[-1]
        kind, note = _weighted(self.rng, FOLLOW_UPS)
        on_the_book = self.rng.random() < BOOKED_DIRECTLY
        if kind == FollowUp.Kind.APPOINTMENT and on_the_book and self.plan_booked(note):
            return
        self.out.follow_ups.append(
            # Stamped when the last note was signed (every planned note is: signed_at is set).
            FollowUp(  # type: ignore[misc]
                patient=self.patient,
                session=last,
                therapist=last.therapist,
                kind=kind,
                status=FollowUp.Status.PLANNED,
                due_at=last.started_at + dt.timedelta(days=self.rng.randint(14, 28)),
                note=note,
                created_by=last.therapist,
                created_at=last.signed_at,
                updated_at=last.signed_at,
            )
        )


# A course that ended at least this many days ago may have been discharged; its reason follows
# how it went.
DISCHARGED_AFTER_DAYS = 7
DISCHARGE_ODDS = 0.6
DISCHARGE_REASONS = {
    # Better, though not every goal met: the patient felt well enough to stop.
    "improving": DischargeReason.PATIENT_CHOICE,
    "plateau": DischargeReason.PLATEAU,
    "worse": DischargeReason.REFERRED,
}
# Readings a goal's baseline and latest may come from (plans.selectors): never the pain right
# after a session.
BASELINE_PAIN = {PainSource.INTAKE, PainSource.PRE_SESSION, PainSource.CHECK_IN}
LATEST_PAIN = {PainSource.PRE_SESSION, PainSource.CHECK_IN}


def _goal_outcome(goal: PlanGoal, readings: list[tuple], opened, ended) -> dict:
    """A goal's outcome at discharge as `plans.selectors.goal_progress` reads it from the
    database: `readings` are (time, value, usable as latest) of the goal's measure."""
    readings = sorted(readings, key=lambda r: r[0])
    before = [r for r in readings if r[0] <= opened]
    base: tuple | None = before[-1] if before else (readings[0] if readings else None)
    later = [r for r in readings if base and base[0] < r[0] <= ended and r[2]]
    latest = later[-1] if later else None
    current = latest[1] if latest else (base[1] if base else None)
    met = current is not None and (
        current <= goal.target if goal.comparator == Comparator.AT_MOST else current >= goal.target
    )
    return {
        "goal": goal.pk, "label": goal.label, "kind": goal.kind, "comparator": goal.comparator,
        "target": float(goal.target),
        "baseline": base[1] if base else None,
        "baseline_at": base[0].isoformat() if base else None,
        "latest": latest[1] if latest else None,
        "latest_at": latest[0].isoformat() if latest else None,
        "met": met,
    }  # fmt: skip


def _red_flags(rng: random.Random, born: dt.date) -> tuple[list[dict], str]:
    """About one patient in twelve has a red flag; the rest take everyday medication or none."""
    flags, medication = [], rng.choice(EVERYDAY_MEDICATIONS)
    if rng.random() < 0.08:
        code, _, details, medication = _weighted(rng, ((f, f[1]) for f in RED_FLAG_CHOICES))
        if code == RedFlag.OSTEOPOROSIS and born.year > 1975:
            code, details, medication = RedFlag.VARICOSE_VEINS, "Varicose veins, right calf", ""
        flags = [{"code": str(code), "details": details}]
    return flags, medication


def _intake(
    patient,
    problem: _Problem,
    therapist: User,
    *,
    activities,
    flags,
    medication,
    cleared,
    submitted,
    reviewed,
    reachable,
) -> IntakeSubmission:
    return IntakeSubmission(
        clinic=patient.clinic,
        patient=patient,
        status=IntakeSubmission.Status.REVIEWED,
        current_step=5,
        answers={
            "complaint": problem.complaint.chief,
            "regions": [{"region": r, "side": s} for r, s in problem.regions],
            "activity_profile": patient.activity_profile,
            "onset_days_ago": problem.onset_days,
            "activities": activities,
        },
        chief_complaint=problem.complaint.chief,
        onset_date=submitted.date() - dt.timedelta(days=problem.onset_days),
        duration_category=problem.chronicity,
        red_flags=flags,
        medications=medication,
        takes_anticoagulants=any(f["code"] == RedFlag.ANTICOAGULANTS for f in flags),
        goals=f"Back to {activities[0][0].lower()}{activities[0][1:]} without pain.",
        consent_to_treatment=True,
        consent_to_reminders=reachable,
        signature_name=patient.full_name,
        signed_at=submitted,
        submitted_at=submitted,
        created_at=submitted - dt.timedelta(minutes=15),
        updated_at=reviewed,
        reviewed_by=therapist,
        reviewed_at=reviewed,
        red_flags_cleared_by=therapist if cleared else None,
        red_flags_cleared_at=reviewed if cleared else None,
        red_flags_clearance_note="Discussed at review: pressure adapted, patient informed."
        if cleared
        else "",
    )


def _rom_note(movement: Movement, side: str, degrees: int) -> str:
    return (
        f"{movement.joint} {movement.name.lower()}"
        f"{'' if side == Side.MIDLINE else f' ({side})'} {degrees}°"
        f" ({round(100 * degrees / movement.normal_degrees)}% of normal)."
    )


def _local(today: dt.date, days_ago: int, slot: tuple[int, int], zone) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(*slot), tzinfo=zone)


def _token_hash() -> str:
    # The raw token is never kept, so no one can open these links: unpredictable even in a demo.
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def _technique(rng: random.Random, muscle: Muscle) -> str:
    pincer_ok = muscle.slug in {
        "upper-trapezius",
        "sternocleidomastoid",
        "pectoralis-major",
        "latissimus-dorsi",
        "masseter",
    }
    return _weighted(
        rng,
        (
            (Technique.ISCHEMIC_COMPRESSION, 55),
            (Technique.STRIPPING, 12),
            (Technique.PINCER_COMPRESSION if pincer_ok else Technique.ISCHEMIC_COMPRESSION, 8),
            (Technique.MUSCLE_ENERGY, 10),
            (Technique.PASSIVE_STRETCH, 6),
            (Technique.CROSS_FIBRE_FRICTION, 4),
            (Technique.MYOFASCIAL_RELEASE, 5),
        ),
    )


def _hold_seconds(rng: random.Random, technique: str) -> int | None:
    if technique in (Technique.STRIPPING, Technique.CROSS_FIBRE_FRICTION):
        return None  # gliding techniques have no hold
    if technique == Technique.MYOFASCIAL_RELEASE:
        return rng.choice((90, 120, 150))
    return rng.choice((30, 30, 45, 45, 60, 60, 75, 90))


def _chart_x(muscle: Muscle, side: str) -> float:
    # The catalogue places each muscle on the viewer's left: the patient's right on the front
    # view, the patient's left on the back view. The other side is its mirror image.
    own_half = Side.RIGHT if muscle.chart_view == "front" else Side.LEFT
    return muscle.chart_x if side == own_half else 1 - muscle.chart_x


def _trigger_points(rng, complaint: Complaint, regions, catalogue: _Catalogue) -> list[_Point]:
    chosen: list[tuple[str, str]] = []
    for region, side in regions:
        options = complaint.muscles[region]
        for slug in rng.sample(options, min(len(options), rng.randint(1, 2))):
            sides = [Side.LEFT, Side.RIGHT] if side == Side.BOTH else [side]
            chosen += [(slug, s) for s in sides]
    if complaint.chain and rng.random() < 0.25:
        chosen.append((rng.choice(complaint.chain), rng.choice((Side.LEFT, Side.RIGHT))))
    if len(chosen) < 2:  # a single muscle: its partner on the other side is usually tender too
        slug, side = chosen[0]
        chosen.append((slug, Side.LEFT if side == Side.RIGHT else Side.RIGHT))
    points, seen = [], set()
    for slug, side in chosen[:7]:
        if (slug, side) in seen:
            continue
        seen.add((slug, side))
        muscle = catalogue.muscles[slug]
        tenderness = rng.uniform(5.5, 9)
        points.append(
            _Point(
                muscle=muscle,
                side=side,
                x=round(min(1.0, max(0.0, _chart_x(muscle, side) + rng.uniform(-0.015, 0.015))), 3),
                y=round(min(1.0, max(0.0, muscle.chart_y + rng.uniform(-0.015, 0.015))), 3),
                tenderness=tenderness,
                active=tenderness >= 6 or rng.random() < 0.5,
                technique=_technique(rng, muscle),
            )
        )
    return points


def _movements(rng, complaint: Complaint, side: str, catalogue: _Catalogue):
    """1-3 movements, each measured the same way all course long (methods disagree)."""
    codes = rng.sample(complaint.movements, rng.randint(1, min(3, len(complaint.movements))))
    out = []
    for code in codes:
        movement = catalogue.movements[code]
        if not movement.bilateral:
            rom_side: str = Side.MIDLINE
        else:
            rom_side = (
                side if side in (Side.LEFT, Side.RIGHT) else rng.choice((Side.LEFT, Side.RIGHT))
            )
        spinal = movement.joint.endswith("spine")
        method = _weighted(
            rng,
            (
                (MobilityMeasurement.Method.INCLINOMETER, 55 if spinal else 0),
                (MobilityMeasurement.Method.GONIOMETER, 30 if spinal else 80),
                (MobilityMeasurement.Method.VISUAL, 15 if spinal else 20),
            ),
        )
        out.append((movement, rom_side, method, rng.uniform(0.55, 0.85)))
    return out


def _write_note(
    rng,
    session,
    *,
    complaint,
    regions,
    k,
    total,
    trajectory,
    pre,
    previous,
    points,
    released,
    twitch,
    rom,
    onset_days,
    posture,
) -> None:
    region = str(REGION_LABELS[regions[0][0]]).lower()
    if k == 0:
        session.subjective = rng.choice(
            (
                f"{complaint.chief} for {_duration_text(onset_days)}. Rates it {pre}/10 today. "
                f"{posture}.",
                f"Presents with {complaint.chief.lower()}, {_duration_text(onset_days)}. "
                f"Pain {pre}/10, worse at the end of the day.",
            ),
        )
    elif pre < previous:
        session.subjective = rng.choice(
            (
                f"Better since last visit; {region} pain {pre}/10 (was {previous}/10).",
                f"Sleeping better. {region.capitalize()} pain down to {pre}/10.",
                f"Relief lasted {rng.randint(2, 5)} days after last session. Today {pre}/10.",
            ),
        )
    elif pre > previous:
        session.subjective = (
            f"Worse this week after {rng.choice(SETBACKS)}; pain {pre}/10 (was {previous}/10)."
        )
    else:
        session.subjective = rng.choice(
            (
                f"About the same; {region} pain {pre}/10.",
                f"Some relief for a day, then back to {pre}/10.",
            ),
        )
    active = sum(p.kind == TriggerPoint.Kind.ACTIVE for p in points)
    names = ", ".join(f"{p.muscle.name.lower()} ({p.side})" for p in points)
    session.objective = (
        f"{active} active and {len(points) - active} latent TrPs: {names}. {rom} "
        + (f"Local twitch in {twitch.name.lower()}." if twitch else "No twitch response.")
    )
    if k == 0:
        session.assessment = (
            f"Myofascial pain with active TrPs, consistent with {complaint.chief.lower()}."
        )
    else:
        session.assessment = {
            "improving": rng.choice(("Responding well", "Progressing toward goals")),
            "plateau": rng.choice(("Slow progress", "Plateauing; review load")),
            "worse": rng.choice(("Not settling", "Symptoms increasing")),
        }[trajectory] + f"; {released}/{len(points)} points released."
    advice = rng.choice(complaint.advice)
    if k < total - 1:
        session.plan = rng.choice(
            (f"Weekly sessions. Home: {advice}.", f"Rebook in one week; {advice} twice daily.")
        )
    elif trajectory == "worse":
        session.plan = f"Refer to family physician for review. Continue {advice} gently."
    else:
        session.plan = f"Course complete; follow-up booked. Continue {advice}."


# --- Figures ----------------------------------------------------------------------------------

FIGURE_NAMES = (
    "patients",
    "intakes",
    "sessions",
    "pain_scores",
    "pain_score_total",
    "functional_scores",
    "functional_score_total",
    "trigger_points",
    "tenderness_total",
    "hold_seconds_total",
    "released_points",
    "mobility",
    "degrees_total",
    "check_ins",
    "check_ins_completed",
    "follow_ups",
    "appointments",
)


def figures(plans: Iterable[PatientPlan]) -> dict[str, int]:
    """The counts and totals a report would show, from the plan."""
    total = Counter({name: 0 for name in FIGURE_NAMES})
    for p in plans:
        total["patients"] += 1
        total["intakes"] += 1
        total["sessions"] += len(p.sessions)
        total["pain_scores"] += len(p.pain_scores)
        total["pain_score_total"] += sum(s.score or 0 for s in p.pain_scores)
        total["functional_scores"] += len(p.functional_scores)
        total["functional_score_total"] += sum(s.score for s in p.functional_scores)
        total["trigger_points"] += len(p.trigger_points)
        total["tenderness_total"] += sum(tp.tenderness or 0 for tp in p.trigger_points)
        total["hold_seconds_total"] += sum(tp.hold_seconds or 0 for tp in p.trigger_points)
        total["released_points"] += sum(tp.released for tp in p.trigger_points)
        total["mobility"] += len(p.mobility)
        total["degrees_total"] += sum(m.degrees for m in p.mobility)
        total["check_ins"] += len(p.check_ins)
        total["check_ins_completed"] += sum(c.completed_at is not None for c in p.check_ins)
        total["follow_ups"] += len(p.follow_ups)
        total["appointments"] += len(p.appointments)
    return dict(total)
