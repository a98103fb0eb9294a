"""The demo clinic that `make run` seeds (`manage.py seed_demo`): staff with stable logins, and
patients whose pain, trigger points, mobility and function follow believable courses.

Every figure a report counts comes from `random.Random(seed)`: the same seed gives the same
patients, scores and counts whatever day it runs. Only the dates move: each course is laid out
backwards from today (midnight UTC), so the last sessions are always recent and the follow-ups
still to come.

The writer builds unsaved model instances and writes them per model in dependency order, a chunk
of patients at a time, all in one transaction: 10,000 patients are over a million rows. Rows
that others point at go through `bulk_create`, which returns their ids; on PostgreSQL the leaf
rows (pain, PSFS, trigger points, mobility, check-ins) go through COPY, a few times faster.
Neither calls `save()`, which refuses to write signed sessions; the database's constraints
check every row either way.
"""

import csv
import datetime as dt
import gc
import hashlib
import io
import itertools
import math
import operator
import random
import secrets
import time
import unicodedata
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from clinic.models import Clinic, Membership, Role
from patients.models import (
    ActivityProfile,
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
from scheduling.models import FollowUp
from sessions.models import (
    CheckIn,
    MobilityMeasurement,
    Movement,
    Muscle,
    Technique,
    TreatmentSession,
    TriggerPoint,
)
from sessions.summaries import summaries_refresh

# Printed by `seed_demo` and `runall`, and documented in the README: demo data only.
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105
DEFAULT_SEED = 2026
DEFAULT_PATIENTS = 150
DEFAULT_WEEKS_MIN = 4
DEFAULT_WEEKS_MAX = 12
MAX_WEEKS = 52
CHUNK_PATIENTS = 500
BATCH_SIZE = 2000
CHECK_IN_VALID_FOR = dt.timedelta(hours=72)

# Improving / plateau / worse: a typical outpatient mix (most respond, some stall, a few worsen).
TRAJECTORY_SHARES = (("improving", 0.68), ("plateau", 0.21), ("worse", 0.11))


@dataclass(frozen=True)
class ClinicSpec:
    key: str
    slug: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    role: Role
    clinic: str  # a ClinicSpec key


MAIN, OTHER = "main", "other"
CLINICS = (
    ClinicSpec(MAIN, "harbour-street", "Harbour Street Neuromuscular Clinic", "America/Toronto"),
    ClinicSpec(OTHER, "lakeside", "Lakeside Sports Massage", "America/Vancouver"),
)
STAFF = (
    StaffMember("manager", "Grace", "Okafor", Role.MANAGER, MAIN),
    StaffMember("therapist", "Daniel", "Reyes", Role.THERAPIST, MAIN),
    StaffMember("therapist2", "Priya", "Shah", Role.THERAPIST, MAIN),
    StaffMember("therapist3", "Tom", "Becker", Role.THERAPIST, MAIN),
    StaffMember("frontdesk", "Lucía", "Moreno", Role.FRONT_DESK, MAIN),
    # The second clinic is small: its manager treats its few patients herself.
    StaffMember("other_manager", "Hannah", "Clarke", Role.MANAGER, OTHER),
)
# Who treats whom: the senior therapist carries the biggest list.
THERAPIST_SHARES = {
    MAIN: (("therapist", 45), ("therapist2", 35), ("therapist3", 20)),
    OTHER: (("other_manager", 1),),
}


def logins_table(password: str = DEMO_PASSWORD) -> str:
    """The demo logins as `make run` prints them."""
    clinics = {c.key: c.name for c in CLINICS}
    rows = [("username", "role", "clinic")]
    rows += [(s.username, str(s.role.label), clinics[s.clinic]) for s in STAFF]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = ["Demo logins:"]
    lines += [f"  {u:<{widths[0]}}  {r:<{widths[1]}}  {c}" for u, r, c in rows]
    lines.append(f"Every demo user's password: {password}")
    lines.append(
        "Then a code from an authenticator app (scan the QR code shown at the first sign-in), "
        "or run: .venv/bin/python manage.py authenticator_code <username>"
    )
    return "\n".join(lines) + "\n"


# --- Patients ---------------------------------------------------------------------------------

FIRST_NAMES_EN = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophie", "James", "Chloe", "Benjamin",
    "Grace", "Lucas", "Hannah", "Owen", "Emily", "Jack", "Megan", "Ryan", "Sarah", "Nathan",
    "Claire", "Adam", "Rachel", "Daniel", "Laura", "Matthew", "Zoe", "Samuel", "Ruth", "Henry",
)  # fmt: skip
FIRST_NAMES_ES = (
    "Sofía", "Mateo", "Lucía", "Santiago", "Valentina", "Diego", "Camila", "Javier", "Isabel",
    "Alejandro", "Carmen", "Pablo", "Elena", "Andrés", "Marta", "Carlos", "Paula", "Miguel",
    "Ana", "Jorge", "Rocío", "Luis", "Inés", "Raúl", "Beatriz", "Tomás", "Pilar", "Sergio",
    "Nuria", "Álvaro",
)  # fmt: skip
LAST_NAMES_EN = (
    "Smith", "Brown", "Wilson", "Taylor", "Campbell", "Stewart", "Thompson", "Anderson",
    "MacDonald", "Clarke", "Walker", "Young", "Robinson", "Wright", "Scott", "Murphy", "Mitchell",
    "Kelly", "Bennett", "Hughes", "Fraser", "Morrison", "Gill", "Chen", "Patel", "Singh",
    "Nguyen", "Wong", "Tremblay", "Gagnon",
)  # fmt: skip
LAST_NAMES_ES = (
    "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Rodríguez", "Díaz",
    "Moreno", "Álvarez", "Romero", "Navarro", "Torres", "Ruiz", "Ramírez", "Flores", "Castillo",
    "Ortega", "Vargas", "Herrera", "Medina", "Castro", "Rojas", "Guerrero", "Mendoza", "Silva",
    "Núñez", "Reyes", "Cruz",
)  # fmt: skip

# Per activity profile: share of patients, birth years, occupations, postures held or sport.
COHORTS = {
    ActivityProfile.ATHLETE: (
        25,
        (1976, 2006),
        ("Personal trainer", "Physiotherapy student", "Firefighter", "Dance teacher",
         "Cycling coach", "Swim instructor", "Paramedic"),
        ("Runs 50 km a week; trail races most weekends", "Competitive rower, six sessions a week",
         "CrossFit five mornings a week", "Amateur football twice a week plus a Sunday match",
         "Road cycling 200 km a week, long hours in the drops", "Tennis four times a week",
         "Club swimmer, 12 km a week, mostly front crawl"),
    ),
    ActivityProfile.ACTIVE: (
        40,
        (1955, 2004),
        ("Nurse", "Primary teacher", "Chef", "Carpenter", "Warehouse supervisor",
         "Postal carrier", "Electrician", "Hairdresser"),
        ("On their feet all shift; lifts and turns patients", "Walks the dog an hour a day",
         "Stands at the stove ten hours; carries heavy pots", "Works overhead on ladders",
         "Yoga twice a week; gardens at weekends", "Carries a toddler on one hip"),
    ),
    ActivityProfile.SEDENTARY: (
        35,
        (1950, 2003),
        ("Software developer", "Accountant", "Call-centre agent", "Graphic designer",
         "Truck driver", "Lawyer", "Administrative assistant", "University student"),
        ("Eight hours at a laptop, often on the sofa", "Long-haul driving, ten-hour days",
         "Phone held between ear and shoulder", "Two screens, head turned to the left one",
         "Reads on the phone in bed for hours", "Sits through back-to-back video calls"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Complaint:
    """A presenting problem: where it hurts (first region worst), the muscles treated there,
    the movements measured, PSFS activities, home advice, and how often each cohort has it."""

    key: str
    chief: str
    regions: tuple[str, ...]
    muscles: dict[str, tuple[str, ...]]
    movements: tuple[str, ...]
    activities: tuple[str, ...]
    advice: tuple[str, ...]
    weights: dict[str, float]
    # Muscles away from the complaint that a posture chain often involves (domain.md).
    chain: tuple[str, ...] = ()


COMPLAINTS = (
    Complaint(
        "neck_shoulder", "Neck and shoulder tension",
        ("neck_back", "shoulder", "upper_back"),
        {"neck_back": ("upper-trapezius", "levator-scapulae", "splenius-capitis"),
         "shoulder": ("supraspinatus", "infraspinatus", "deltoid"),
         "upper_back": ("rhomboids", "middle-trapezius")},
        ("cervical-rotation", "cervical-lateral-flexion", "cervical-flexion",
         "shoulder-abduction"),
        ("Turning my head to reverse the car", "Working at the computer for two hours",
         "Sleeping on my side", "Carrying shopping bags"),
        ("upper trapezius stretch", "chin tucks every hour", "doorway pectoral stretch"),
        {"athlete": 1, "active": 2, "sedentary": 4},
        chain=("pectoralis-minor", "scalenes"),
    ),
    Complaint(
        "headache_jaw", "Tension headaches and jaw pain",
        ("head", "jaw", "neck_back"),
        {"head": ("temporalis", "suboccipitals"), "jaw": ("masseter", "temporalis"),
         "neck_back": ("suboccipitals", "upper-trapezius", "splenius-capitis")},
        ("cervical-flexion", "cervical-extension", "cervical-rotation"),
        ("Reading for an hour", "Chewing tough food", "Concentrating through the afternoon",
         "Waking without a headache"),
        ("jaw relaxation drills", "suboccipital release on tennis balls", "screen breaks"),
        {"athlete": 0.5, "active": 1, "sedentary": 3},
        chain=("sternocleidomastoid",),
    ),
    Complaint(
        "low_back", "Low back pain",
        ("lower_back", "buttock", "groin"),
        {"lower_back": ("quadratus-lumborum", "lumbar-erector-spinae", "multifidus"),
         "buttock": ("gluteus-medius", "gluteus-maximus", "piriformis"),
         "groin": ("iliopsoas",)},
        ("lumbar-flexion", "lumbar-extension", "lumbar-lateral-flexion", "hip-flexion"),
        ("Bending to tie my shoes", "Sitting through a meeting", "Lifting my child",
         "Gardening for an hour"),
        ("knee-to-chest stretch", "hip flexor stretch", "walks instead of long sitting"),
        {"athlete": 1.5, "active": 3, "sedentary": 3},
        chain=("iliopsoas", "hamstrings"),
    ),
    Complaint(
        "buttock_thigh", "Buttock pain down the back of the thigh",
        ("buttock", "thigh_back", "hip"),
        {"buttock": ("piriformis", "gluteus-medius", "gluteus-maximus"),
         "thigh_back": ("hamstrings",), "hip": ("gluteus-minimus", "tensor-fasciae-latae")},
        ("hip-internal-rotation", "hip-external-rotation", "hip-flexion"),
        ("Sitting in the car for an hour", "Climbing stairs", "Running 5 km",
         "Putting on socks"),
        ("figure-four piriformis stretch", "glute bridges", "cushion off the wallet pocket"),
        {"athlete": 2, "active": 2, "sedentary": 1},
    ),
    Complaint(
        "shoulder", "Shoulder pain reaching overhead",
        ("shoulder", "upper_arm", "chest"),
        {"shoulder": ("infraspinatus", "supraspinatus", "teres-minor", "subscapularis",
                      "deltoid"),
         "upper_arm": ("biceps-brachii", "triceps-brachii"),
         "chest": ("pectoralis-minor", "pectoralis-major")},
        ("shoulder-flexion", "shoulder-abduction", "shoulder-external-rotation",
         "shoulder-internal-rotation"),
        ("Reaching the top shelf", "Swimming front crawl", "Putting on a jacket",
         "Sleeping on that side"),
        ("sleeper stretch", "band external rotations", "pendulum swings"),
        {"athlete": 3, "active": 2, "sedentary": 1},
        chain=("upper-trapezius",),
    ),
    Complaint(
        "calf_shin", "Calf tightness and shin pain",
        ("calf", "shin", "knee"),
        {"calf": ("gastrocnemius", "soleus"), "shin": ("tibialis-anterior", "peroneus-longus"),
         "knee": ("gastrocnemius",)},
        ("ankle-dorsiflexion", "ankle-plantar-flexion", "knee-flexion"),
        ("Running 10 km", "Walking downhill", "Standing through a shift", "Jumping"),
        ("wall calf stretch, knee straight and bent", "foam roller on the calves",
         "gradual return to running"),
        {"athlete": 3, "active": 2, "sedentary": 0.5},
    ),
    Complaint(
        "hamstring_hip", "Hamstring and hip tightness",
        ("thigh_back", "hip", "groin"),
        {"thigh_back": ("hamstrings",), "hip": ("tensor-fasciae-latae", "gluteus-minimus"),
         "groin": ("iliopsoas", "adductors")},
        ("hip-flexion", "hip-extension", "knee-flexion", "hip-abduction"),
        ("Sprinting", "Kicking a ball", "Sitting cross-legged", "Bending to the floor"),
        ("hamstring stretch with a strap", "hip flexor lunge stretch", "adductor rock-backs"),
        {"athlete": 3, "active": 1.5, "sedentary": 0.5},
        chain=("lumbar-erector-spinae",),
    ),
    Complaint(
        "knee_front", "Pain at the front of the knee",
        ("knee", "thigh_front"),
        {"knee": ("vastus-medialis", "vastus-lateralis", "rectus-femoris"),
         "thigh_front": ("rectus-femoris", "vastus-lateralis", "adductors")},
        ("knee-flexion", "hip-extension"),
        ("Going down stairs", "Squatting", "Cycling uphill", "Kneeling"),
        ("quadriceps stretch", "foam roller on the outer thigh", "step-downs"),
        {"athlete": 2, "active": 1.5, "sedentary": 1},
        chain=("tensor-fasciae-latae",),
    ),
    Complaint(
        "mid_back", "Mid-back pain between the shoulder blades",
        ("upper_back", "mid_back", "chest"),
        {"upper_back": ("rhomboids", "middle-trapezius"),
         "mid_back": ("thoracic-erector-spinae", "lower-trapezius", "latissimus-dorsi"),
         "chest": ("pectoralis-minor", "serratus-anterior")},
        ("shoulder-flexion", "cervical-extension", "lumbar-lateral-flexion"),
        ("Sitting upright at work", "Lifting boxes", "Deep breathing after exercise"),
        ("thoracic extension over a foam roller", "doorway pectoral stretch", "rows"),
        {"athlete": 1, "active": 1.5, "sedentary": 2},
    ),
)  # fmt: skip

REFERRALS = {
    "upper-trapezius": "Side of the neck to the temple, behind the eye",
    "levator-scapulae": "Angle of the neck, along the shoulder blade",
    "sternocleidomastoid": "Forehead, around the eye, behind the ear",
    "scalenes": "Chest, upper arm and down to the thumb",
    "suboccipitals": "Band from the back of the head to the eye",
    "splenius-capitis": "Top of the head",
    "temporalis": "Temple and upper teeth",
    "masseter": "Jaw, ear and lower teeth",
    "supraspinatus": "Outer shoulder and down the arm",
    "infraspinatus": "Front of the shoulder, deep in the joint",
    "teres-minor": "Back of the shoulder",
    "subscapularis": "Back of the shoulder and the wrist",
    "deltoid": "Locally around the shoulder",
    "rhomboids": "Along the inner edge of the shoulder blade",
    "middle-trapezius": "Between the shoulder blades",
    "lower-trapezius": "Upper back and neck",
    "pectoralis-minor": "Front of the shoulder, inner arm",
    "pectoralis-major": "Chest and front of the shoulder",
    "quadratus-lumborum": "Buttock and outer hip",
    "lumbar-erector-spinae": "Low back and buttock",
    "multifidus": "Sacrum and low back",
    "iliopsoas": "Low back along the spine, front of the thigh",
    "gluteus-medius": "Low back, sacrum and hip",
    "gluteus-minimus": "Down the side and back of the leg, like sciatica",
    "piriformis": "Buttock and back of the thigh",
    "hamstrings": "Buttock crease and back of the knee",
    "gastrocnemius": "Instep and back of the knee",
    "soleus": "Heel",
    "tibialis-anterior": "Front of the ankle and big toe",
    "rectus-femoris": "Front of the knee",
    "vastus-medialis": "Inner knee",
    "vastus-lateralis": "Outer knee and thigh",
}

RED_FLAG_CHOICES = (
    # code, weight, details, medication
    (RedFlag.ANTICOAGULANTS, 3, "On apixaban since a pulmonary embolism",
     "Apixaban 5 mg twice daily"),
    (RedFlag.ANTICOAGULANTS, 1, "Warfarin for atrial fibrillation; bruises easily",
     "Warfarin 5 mg"),
    (RedFlag.OSTEOPOROSIS, 2, "Osteoporosis diagnosed after a wrist fracture",
     "Alendronate weekly"),
    (RedFlag.VARICOSE_VEINS, 1.5, "Varicose veins on both calves", ""),
    (RedFlag.HIGH_BLOOD_PRESSURE, 1.5, "Blood pressure not yet controlled; GP adjusting dose",
     "Amlodipine 5 mg"),
    (RedFlag.NEUROPATHY, 1, "Type 2 diabetes, reduced sensation in both feet",
     "Metformin 500 mg twice daily"),
    (RedFlag.RECENT_SURGERY, 0.5, "Knee arthroscopy five weeks ago", ""),
    (RedFlag.IMPLANTED_DEVICE, 0.5, "Pacemaker, left chest", ""),
)  # fmt: skip
EVERYDAY_MEDICATIONS = ("", "", "", "Ibuprofen as needed", "Paracetamol as needed",
                        "Levothyroxine 50 mcg", "Oral contraceptive", "Vitamin D")  # fmt: skip

SETBACKS = (
    "a long drive", "moving house", "a tournament weekend", "extra shifts", "a deadline week",
    "a heavy training block", "a bad night's sleep", "a cold",
)  # fmt: skip


@dataclass
class PatientPlan:
    """One patient's whole course as unsaved model instances, in the order they are written.
    Related instances point at each other; bulk_create fills in the ids as it goes."""

    trajectory: str
    patient: Patient
    intake: IntakeSubmission
    sessions: list[TreatmentSession] = field(default_factory=list)
    pain_scores: list[PainScore] = field(default_factory=list)
    functional_scores: list[FunctionalScore] = field(default_factory=list)
    trigger_points: list[TriggerPoint] = field(default_factory=list)
    mobility: list[MobilityMeasurement] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


@dataclass
class DemoPlan:
    """The staff (unsaved) and a lazy stream of patient plans, so 10,000 patients never sit in
    memory at once."""

    clinics: dict[str, Clinic]
    users: dict[str, object]
    memberships: list[Membership]
    patient_count: int
    patients: Iterator[PatientPlan]


@dataclass(frozen=True)
class _Catalogue:
    muscles: dict[str, Muscle]
    movements: dict[str, Movement]

    @classmethod
    def load(cls) -> "_Catalogue":
        return cls(
            muscles={m.slug: m for m in Muscle.objects.all()},
            movements={m.code: m for m in Movement.objects.all()},
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
        c.key: Clinic(slug=c.slug, name=c.name, time_zone=c.time_zone, created_at=start)
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
    context = _Context(catalogue=catalogue, clinics=clinics, users=users, today=today)

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


@dataclass(frozen=True)
class _Context:
    catalogue: _Catalogue
    clinics: dict[str, Clinic]
    users: dict[str, object]
    today: dt.date


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


def _weighted(rng: random.Random, pairs) -> object:
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
    clinic = ctx.clinics[clinic_key]
    zone = zoneinfo.ZoneInfo(clinic.time_zone)
    therapist = ctx.users[_weighted(rng, THERAPIST_SHARES[clinic_key])]

    # Who they are.
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

    # What brings them in.
    complaint = _weighted(rng, ((c, c.weights[profile]) for c in COMPLAINTS))
    chronicity = _weighted(
        rng,
        ((DurationCategory.ACUTE, 30), (DurationCategory.SUBACUTE, 25),
         (DurationCategory.CHRONIC, 45)),
    )  # fmt: skip
    onset_days = {
        DurationCategory.ACUTE: (5, 40),
        DurationCategory.SUBACUTE: (42, 84),
        DurationCategory.CHRONIC: (91, 2500),
    }[chronicity]
    onset_days = rng.randint(*onset_days)
    side = _weighted(rng, ((Side.RIGHT, 45), (Side.LEFT, 35), (Side.BOTH, 20)))
    region_count = _weighted(rng, ((1, 30), (2, 45), (3, 25)))
    regions = [
        (region, Side.BOTH if i and rng.random() < 0.15 else side)
        for i, region in enumerate(complaint.regions[:region_count])
    ]
    # Pain where it hurts most, less elsewhere; a worsening course starts lower so it can rise.
    top = rng.randint(4, 7) if trajectory == "worse" else rng.randint(5, 8)
    base = [top] + [max(2, top - rng.randint(1, 3)) for _ in regions[1:]]
    drop = {
        "improving": rng.uniform(0.35, 0.8)
        + {"acute": 0.1, "subacute": 0.0, "chronic": -0.1}[chronicity],
        "plateau": rng.uniform(-0.08, 0.1),
        "worse": -rng.uniform(0.3, 0.5),
    }[trajectory]

    def level(region_index: int, t: float) -> float:
        return base[region_index] * (1 - drop * _progress_curve(t))

    # When: the course ends 2-13 days before today, weekly-ish before that.
    session_count = rng.randint(*weeks)
    offsets = [rng.randint(2, 13)]
    for _ in range(session_count - 1):
        offsets.append(offsets[-1] + rng.choice((7, 7, 7, 7, 6, 8, 5, 9, 14)))
    offsets.reverse()
    slot = (rng.randint(9, 17), rng.choice((0, 30)))
    first_start = _local(ctx.today, offsets[0], slot, zone)

    # Intake: submitted online a few days before the first session, which opens with its review.
    submitted = _local(
        ctx.today, offsets[0] + rng.randint(1, 6), (rng.randint(7, 22), rng.randint(0, 59)), zone
    )
    reviewed = first_start - dt.timedelta(minutes=rng.randint(10, 40))
    # Registered by the front desk, who then sent the intake link.
    patient.created_at = patient.updated_at = submitted - dt.timedelta(hours=rng.randint(2, 72))
    flags, medication = [], rng.choice(EVERYDAY_MEDICATIONS)
    if rng.random() < 0.08:
        code, _, details, medication = _weighted(rng, ((f, f[1]) for f in RED_FLAG_CHOICES))
        if code == RedFlag.OSTEOPOROSIS and born.year > 1975:
            code, details, medication = RedFlag.VARICOSE_VEINS, "Varicose veins, right calf", ""
        flags = [{"code": str(code), "details": details}]
    cleared = bool(flags) and rng.random() < 0.5
    activities = rng.sample(complaint.activities, 3)
    intake = IntakeSubmission(
        clinic=clinic,
        patient=patient,
        status=IntakeSubmission.Status.REVIEWED,
        current_step=5,
        answers={
            "complaint": complaint.chief,
            "regions": [{"region": r, "side": s} for r, s in regions],
            "activity_profile": profile,
            "onset_days_ago": onset_days,
            "activities": activities,
        },
        chief_complaint=complaint.chief,
        onset_date=submitted.date() - dt.timedelta(days=onset_days),
        duration_category=chronicity,
        red_flags=flags,
        medications=medication,
        takes_anticoagulants=any(f["code"] == RedFlag.ANTICOAGULANTS for f in flags),
        goals=f"Back to {activities[0][0].lower()}{activities[0][1:]} without pain.",
        consent_to_treatment=True,
        consent_to_reminders=email_ok or sms_ok,
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
    out = PatientPlan(trajectory=trajectory, patient=patient, intake=intake)
    for i, (region, region_side) in enumerate(regions):
        out.pain_scores.append(
            PainScore(patient=patient, recorded_at=submitted, source=PainSource.INTAKE,
                      region=region, side=region_side,
                      score=_clamp(base[i] + rng.gauss(0, 0.5)))
        )  # fmt: skip

    # PSFS: three activities, rated at intake and every third session.
    psfs_start = [rng.randint(2, 6) for _ in activities]
    psfs_gain = {
        "improving": lambda: rng.uniform(2.5, 5),
        "plateau": lambda: rng.uniform(-0.5, 1.2),
        "worse": lambda: -rng.uniform(0.5, 2.5),
    }[trajectory]
    psfs_end = [s + psfs_gain() for s in psfs_start]

    def psfs(t: float, when: dt.datetime, session, source) -> None:
        for item, (activity, s0, s1) in enumerate(
            zip(activities, psfs_start, psfs_end, strict=True), start=1
        ):
            out.functional_scores.append(
                FunctionalScore(
                    patient=patient, session=session, recorded_at=when, source=source,
                    item=item, activity=activity,
                    score=_clamp(s0 + (s1 - s0) * _progress_curve(t) + rng.gauss(0, 0.5)),
                )
            )  # fmt: skip

    psfs(0.0, submitted, None, PainSource.INTAKE)

    points = _trigger_points(rng, complaint, regions, ctx.catalogue)
    uses_algometer = rng.random() < 0.4
    measures = _movements(rng, complaint, side, ctx.catalogue)
    rom_end = {
        "improving": lambda s: min(1.03, s + rng.uniform(0.12, 0.35)),
        "plateau": lambda s: s + rng.uniform(-0.03, 0.05),
        "worse": lambda s: s - rng.uniform(0.04, 0.12),
    }[trajectory]
    measures = [(m, s, method, start, rom_end(start)) for m, s, method, start in measures]
    relief = {"improving": (0.6, 1.6), "plateau": (0.3, 1.0), "worse": (-0.3, 0.6)}[trajectory]
    release_odds = {"improving": 0.35, "plateau": 0.25, "worse": 0.15}[trajectory]
    healing = {
        "improving": ((0.8, 1.8), (-0.3, 0.1)),
        "plateau": ((0.4, 1.0), (0.2, 0.7)),
        "worse": ((0.1, 0.6), (0.1, 0.5)),
    }[trajectory]  # tenderness lost on release; regained by the next week
    acknowledge = bool(flags) and not cleared
    can_check_in = email_ok or sms_ok
    previous_pre = None

    for k, offset in enumerate(offsets):
        t = k / (session_count - 1) if session_count > 1 else 1.0
        own_slot = slot if rng.random() < 0.85 else (rng.randint(9, 17), rng.choice((0, 30)))
        started = _local(ctx.today, offset, own_slot, zone)
        minutes = rng.choice((75, 90)) if k == 0 else rng.choice((60, 60, 60, 45, 75, 90))
        ended = started + dt.timedelta(minutes=minutes)
        signed = ended + dt.timedelta(minutes=rng.randint(5, 50))
        treated_by = therapist if rng.random() < 0.92 or clinic_key == OTHER else ctx.users[
            rng.choice([u for u, _ in THERAPIST_SHARES[MAIN] if ctx.users[u] is not therapist])
        ]  # fmt: skip
        session = TreatmentSession(
            patient=patient, therapist=treated_by, started_at=started, duration_minutes=minutes,
            status=TreatmentSession.Status.SIGNED, red_flags_acknowledged=acknowledge,
            signed_at=signed, signed_by=treated_by, created_at=started, updated_at=signed,
        )  # fmt: skip
        out.sessions.append(session)

        # Pain before and after, per region; after is often a little up or down (soreness).
        pre_scores = []
        for i, (region, region_side) in enumerate(regions):
            pre = _clamp(level(i, t) + rng.gauss(0, 0.6))
            pre_scores.append(pre)
            post = _clamp(pre + _weighted(rng, ((-2, 5), (-1, 30), (0, 30), (1, 28), (2, 7))))
            unable = rng.random() < 0.01
            out.pain_scores += [
                PainScore(patient=patient, session=session, recorded_at=started,
                          source=PainSource.PRE_SESSION, region=region, side=region_side,
                          score=pre),
                PainScore(patient=patient, session=session, recorded_at=ended,
                          source=PainSource.POST_SESSION, region=region, side=region_side,
                          score=None if unable else post, unable_to_rate=unable),
            ]  # fmt: skip

        # Trigger points: the tenderest few this week; released ones calm down.
        treated = sorted(points, key=lambda p: p.tenderness + rng.random() * 2, reverse=True)
        treated = treated[: rng.randint(2, 5)]
        released_count, twitch_muscle, recorded = 0, None, []
        for point in treated:
            tenderness = _clamp(point.tenderness + rng.gauss(0, 0.5), 1)
            technique = point.technique if rng.random() < 0.75 else _technique(rng, point.muscle)
            released = rng.random() < min(0.92, release_odds + 0.5 * t)
            twitch = rng.random() < 0.05 + 0.03 * tenderness
            if twitch and not twitch_muscle:
                twitch_muscle = point.muscle
            ppt = None
            if uses_algometer:
                value = 1.0 + (10 - point.tenderness) * 0.3 + rng.gauss(0, 0.15)
                ppt = Decimal(f"{min(9.9, max(0.5, value)):.2f}")
            recorded.append(
                TriggerPoint(
                    session=session, muscle=point.muscle, side=point.side,
                    chart_view=point.muscle.chart_view, x=point.x, y=point.y,
                    kind=TriggerPoint.Kind.ACTIVE if point.active else TriggerPoint.Kind.LATENT,
                    tenderness=tenderness, pressure_pain_threshold=ppt,
                    referral_pattern=REFERRALS.get(point.muscle.slug, ""),
                    local_twitch_response=twitch, technique=technique,
                    hold_seconds=_hold_seconds(rng, technique),
                    repetitions=rng.randint(3, 6) if technique == Technique.STRIPPING
                    else rng.randint(1, 3),
                    pressure=_clamp(3 + (10 - tenderness) * 0.45 + rng.gauss(0, 0.7), 1, 9),
                    released=released,
                )
            )  # fmt: skip
            if released:
                released_count += 1
                point.tenderness -= rng.uniform(*healing[0])
        out.trigger_points += recorded
        for point in points:
            point.tenderness = min(9.5, max(1.0, point.tenderness + rng.uniform(*healing[1])))
            # Hysteresis, so a point does not flip state on noise alone.
            point.active = point.tenderness >= 4.5 if point.active else point.tenderness >= 6

        # Range of motion, as a share of the movement's normal range.
        rom_note = ""
        for movement, rom_side, method, start, end in measures:
            share = start + (end - start) * _progress_curve(t) + rng.gauss(0, 0.03)
            degrees = _clamp(movement.normal_degrees * share, 0, 360)
            out.mobility.append(
                MobilityMeasurement(
                    patient=patient, session=session, movement=movement, side=rom_side,
                    degrees=degrees, method=method,
                    measured_at=started + dt.timedelta(minutes=10),
                )
            )  # fmt: skip
            if not rom_note:
                rom_note = (
                    f"{movement.joint} {movement.name.lower()}"
                    f"{'' if rom_side == Side.MIDLINE else f' ({rom_side})'} {degrees}°"
                    f" ({round(100 * degrees / movement.normal_degrees)}% of normal)."
                )

        if k % 3 == 2 or k == session_count - 1:
            psfs(t, started, session, PainSource.PRE_SESSION)

        # Check-in 24-48 h later: relief shows after a few hours. The last few days' check-ins
        # are still open (whatever the clinic's zone); a few patients never answer.
        if can_check_in and rng.random() < 0.95:
            completed = None
            if offset >= 4 and rng.random() < 0.88:
                completed = ended + dt.timedelta(minutes=rng.randint(24 * 60, 48 * 60))
                day_relief = rng.uniform(*relief)
                for i, (region, region_side) in enumerate(regions):
                    out.pain_scores.append(
                        PainScore(patient=patient, session=session, recorded_at=completed,
                                  source=PainSource.CHECK_IN, region=region, side=region_side,
                                  score=_clamp(level(i, t) - day_relief + rng.gauss(0, 0.5)))
                    )  # fmt: skip
            unexpected = ""
            if completed and rng.random() < (0.2 if intake.takes_anticoagulants else 0.02):
                unexpected = rng.choice(
                    ("Small bruise where the pressure was deepest; not painful.",
                     "Headache the evening after the session.",
                     "Felt light-headed getting up from the table.")
                )  # fmt: skip
            out.check_ins.append(
                CheckIn(
                    session=session, token_hash=_token_hash(), created_at=signed,
                    expires_at=signed + CHECK_IN_VALID_FOR, completed_at=completed,
                    soreness=_clamp(2.4 - 1.4 * t + rng.gauss(0, 1)) if completed else None,
                    unexpected=unexpected,
                )
            )  # fmt: skip

        # The note, written last: it quotes what was found.
        _write_note(
            rng, session, complaint=complaint, regions=regions, k=k, total=session_count,
            trajectory=trajectory, pre=pre_scores[0], previous=previous_pre,
            points=recorded, released=released_count, twitch=twitch_muscle, rom=rom_note,
            onset_days=(started.date() - intake.onset_date).days,
            posture=patient.postures,
        )  # fmt: skip
        previous_pre = pre_scores[0]

    last = out.sessions[-1]
    kind, note = _weighted(
        rng,
        (((FollowUp.Kind.APPOINTMENT, "Review after the course; re-test PSFS."), 55),
         ((FollowUp.Kind.APPOINTMENT, "Maintenance session."), 15),
         ((FollowUp.Kind.CALL, "Call: how is the home programme going?"), 20),
         ((FollowUp.Kind.CHECK_IN, "Check-in link: pain and function a month on."), 10)),
    )  # fmt: skip
    out.follow_ups.append(
        FollowUp(
            patient=patient, session=last, therapist=last.therapist, kind=kind,
            status=FollowUp.Status.PLANNED,
            due_at=last.started_at + dt.timedelta(days=rng.randint(14, 28)),
            note=note, created_by=last.therapist, created_at=last.signed_at,
            updated_at=last.signed_at,
        )
    )  # fmt: skip
    return out


def _local(today: dt.date, days_ago: int, slot: tuple[int, int], zone) -> dt.datetime:
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(*slot), tzinfo=zone)


def _token_hash() -> str:
    # The raw token is never kept, so no one can open these links: unpredictable even in a demo.
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def _technique(rng: random.Random, muscle: Muscle) -> str:
    pincer_ok = muscle.slug in {"upper-trapezius", "sternocleidomastoid", "pectoralis-major",
                                "latissimus-dorsi", "masseter"}  # fmt: skip
    return _weighted(
        rng,
        ((Technique.ISCHEMIC_COMPRESSION, 55), (Technique.STRIPPING, 12),
         (Technique.PINCER_COMPRESSION if pincer_ok else Technique.ISCHEMIC_COMPRESSION, 8),
         (Technique.MUSCLE_ENERGY, 10), (Technique.PASSIVE_STRETCH, 6),
         (Technique.CROSS_FIBRE_FRICTION, 4), (Technique.MYOFASCIAL_RELEASE, 5)),
    )  # fmt: skip


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
            rom_side = Side.MIDLINE
        else:
            rom_side = (
                side if side in (Side.LEFT, Side.RIGHT) else rng.choice((Side.LEFT, Side.RIGHT))
            )
        spinal = movement.joint.endswith("spine")
        method = _weighted(
            rng,
            ((MobilityMeasurement.Method.INCLINOMETER, 55 if spinal else 0),
             (MobilityMeasurement.Method.GONIOMETER, 30 if spinal else 80),
             (MobilityMeasurement.Method.VISUAL, 15 if spinal else 20)),
        )  # fmt: skip
        out.append((movement, rom_side, method, rng.uniform(0.55, 0.85)))
    return out


def _write_note(
    rng, session, *, complaint, regions, k, total, trajectory, pre, previous, points,
    released, twitch, rom, onset_days, posture,
) -> None:  # fmt: skip
    region = str(REGION_LABELS[regions[0][0]]).lower()
    if k == 0:
        session.subjective = rng.choice(
            (f"{complaint.chief} for {_duration_text(onset_days)}. Rates it {pre}/10 today. "
             f"{posture}.",
             f"Presents with {complaint.chief.lower()}, {_duration_text(onset_days)}. "
             f"Pain {pre}/10, worse at the end of the day."),
        )  # fmt: skip
    elif pre < previous:
        session.subjective = rng.choice(
            (f"Better since last visit; {region} pain {pre}/10 (was {previous}/10).",
             f"Sleeping better. {region.capitalize()} pain down to {pre}/10.",
             f"Relief lasted {rng.randint(2, 5)} days after last session. Today {pre}/10."),
        )  # fmt: skip
    elif pre > previous:
        session.subjective = (
            f"Worse this week after {rng.choice(SETBACKS)}; pain {pre}/10 (was {previous}/10)."
        )
    else:
        session.subjective = rng.choice(
            (f"About the same; {region} pain {pre}/10.",
             f"Some relief for a day, then back to {pre}/10."),
        )  # fmt: skip
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
    "patients", "intakes", "sessions", "pain_scores", "pain_score_total", "functional_scores",
    "functional_score_total", "trigger_points", "tenderness_total", "hold_seconds_total",
    "released_points", "mobility", "degrees_total", "check_ins", "check_ins_completed",
    "follow_ups",
)  # fmt: skip


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
        total["tenderness_total"] += sum(tp.tenderness for tp in p.trigger_points)
        total["hold_seconds_total"] += sum(tp.hold_seconds or 0 for tp in p.trigger_points)
        total["released_points"] += sum(tp.released for tp in p.trigger_points)
        total["mobility"] += len(p.mobility)
        total["degrees_total"] += sum(m.degrees for m in p.mobility)
        total["check_ins"] += len(p.check_ins)
        total["check_ins_completed"] += sum(c.completed_at is not None for c in p.check_ins)
        total["follow_ups"] += len(p.follow_ups)
    return dict(total)


def db_figures(slugs: Iterable[str] = tuple(c.slug for c in CLINICS)) -> dict[str, int]:
    """The same figures, counted in the database for the demo clinics."""
    slugs = list(slugs)
    by_patient = {"patient__clinic__slug__in": slugs}
    by_session = {"session__patient__clinic__slug__in": slugs}
    pain = PainScore.objects.filter(**by_patient).aggregate(n=Count("id"), total=Sum("score"))
    psfs = FunctionalScore.objects.filter(**by_patient).aggregate(n=Count("id"), total=Sum("score"))
    points = TriggerPoint.objects.filter(**by_session).aggregate(
        n=Count("id"),
        tenderness=Sum("tenderness"),
        hold=Sum("hold_seconds"),
        released=Count("id", filter=Q(released=True)),
    )
    rom = MobilityMeasurement.objects.filter(**by_patient).aggregate(
        n=Count("id"), total=Sum("degrees")
    )
    check_ins = CheckIn.objects.filter(**by_session).aggregate(
        n=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return {
        "patients": Patient.objects.filter(clinic__slug__in=slugs).count(),
        "intakes": IntakeSubmission.objects.filter(clinic__slug__in=slugs).count(),
        "sessions": TreatmentSession.objects.filter(**by_patient).count(),
        "pain_scores": pain["n"],
        "pain_score_total": pain["total"] or 0,
        "functional_scores": psfs["n"],
        "functional_score_total": psfs["total"] or 0,
        "trigger_points": points["n"],
        "tenderness_total": points["tenderness"] or 0,
        "hold_seconds_total": points["hold"] or 0,
        "released_points": points["released"],
        "mobility": rom["n"],
        "degrees_total": rom["total"] or 0,
        "check_ins": check_ins["n"],
        "check_ins_completed": check_ins["completed"],
        "follow_ups": FollowUp.objects.filter(**by_patient).count(),
    }


# --- Writing ----------------------------------------------------------------------------------


def demo_present() -> bool:
    return Clinic.objects.filter(slug__in=[c.slug for c in CLINICS]).exists()


def usernames_taken() -> list[str]:
    names = [s.username for s in STAFF]
    return sorted(
        get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
    )


@dataclass
class SeedResult:
    rows: dict[str, int]
    trajectories: Counter
    seconds: float


# Written per chunk in this order: each model's rows point only at rows written before them.
WRITE_ORDER = (
    ("patients", Patient, lambda p: [p.patient]),
    ("intakes", IntakeSubmission, lambda p: [p.intake]),
    ("sessions", TreatmentSession, lambda p: p.sessions),
    ("pain scores", PainScore, lambda p: p.pain_scores),
    ("PSFS scores", FunctionalScore, lambda p: p.functional_scores),
    ("trigger points", TriggerPoint, lambda p: p.trigger_points),
    ("mobility", MobilityMeasurement, lambda p: p.mobility),
    ("check-ins", CheckIn, lambda p: p.check_ins),
    ("follow-ups", FollowUp, lambda p: p.follow_ups),
)


def seed(
    *,
    seed: int = DEFAULT_SEED,
    patients: int = DEFAULT_PATIENTS,
    password: str = DEMO_PASSWORD,
    weeks_min: int = DEFAULT_WEEKS_MIN,
    weeks_max: int = DEFAULT_WEEKS_MAX,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Write the demo clinic in one transaction."""
    say = progress or (lambda message: None)
    began = time.monotonic()
    demo = plan(seed=seed, patients=patients, weeks_min=weeks_min, weeks_max=weeks_max,
                today=today)  # fmt: skip
    rows: Counter = Counter()
    spent: Counter = Counter()
    trajectories: Counter = Counter()
    total, done, next_report = demo.patient_count, 0, 10
    chunk_size = min(CHUNK_PATIENTS, max(1, math.ceil(total / 10)))
    with transaction.atomic(), _given_timestamps(), _collect_per_chunk(), _notes_written_whole():
        if connection.vendor == "postgresql":
            # Check each foreign key as its rows go in, not all million at commit: a broken
            # reference then fails at the table that made it, and the commit is not a long
            # silence after the last progress line.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Clinic.objects.bulk_create(demo.clinics.values())
        hashed = make_password(password)  # once: hashing is slow on purpose
        for user in demo.users.values():
            user.password = hashed
        get_user_model().objects.bulk_create(demo.users.values())
        Membership.objects.bulk_create(demo.memberships)
        say(f"Staff: {len(demo.clinics)} clinics, {len(demo.users)} users "
            f"({time.monotonic() - began:.1f} s)")  # fmt: skip

        while chunk := list(itertools.islice(demo.patients, chunk_size)):
            for label, model, rows_of in WRITE_ORDER:
                objects = [obj for p in chunk for obj in rows_of(p)]
                started = time.monotonic()
                if model in COPIED and _can_copy(model):
                    _copy(model, objects)
                else:
                    model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
                spent[label] += time.monotonic() - started
                rows[label] += len(objects)
            trajectories.update(p.trajectory for p in chunk)
            done += len(chunk)
            del chunk, objects
            gc.collect(0)
            if done * 100 >= next_report * total:
                say(f"Patients {done:,}/{total:,} ({done * 100 // total}%) "
                    f"{time.monotonic() - began:.1f} s")  # fmt: skip
                next_report = done * 100 // total // 10 * 10 + 10
        # One set-based rebuild of the reports' derived rows, not one per patient.
        summaries_refresh(patient_ids=None)
        say(f"Report summaries ({time.monotonic() - began:.1f} s)")
        say(f"Committing ({time.monotonic() - began:.1f} s)")
    say(f"Committed ({time.monotonic() - began:.1f} s)")
    for label, _, _ in WRITE_ORDER:
        say(f"  {label:<15} {rows[label]:>9,} rows written in {spent[label]:5.1f} s")
    return SeedResult(rows=dict(rows), trajectories=trajectories, seconds=time.monotonic() - began)


# Nothing points at these rows, so their ids need not come back.
COPIED = frozenset({PainScore, FunctionalScore, TriggerPoint, MobilityMeasurement, CheckIn})
# Types whose str() PostgreSQL reads back as the same value.
COPY_TYPES = frozenset({
    "BigIntegerField", "BooleanField", "CharField", "DateField", "DateTimeField", "DecimalField",
    "FloatField", "ForeignKey", "IntegerField", "OneToOneField", "PositiveSmallIntegerField",
    "SlugField", "SmallIntegerField", "TextField",
})  # fmt: skip
TEXT_TYPES = frozenset({"CharField", "SlugField", "TextField"})


def _can_copy(model) -> bool:
    """COPY on PostgreSQL for plain columns; anything else (a new JSON column, a database
    default, a nullable text column) goes the bulk_create way."""
    if connection.vendor != "postgresql":
        return False
    return all(
        f.get_internal_type() in COPY_TYPES
        and not f.has_db_default()
        and not (f.null and f.get_internal_type() in TEXT_TYPES)
        for f in model._meta.concrete_fields
        if not f.primary_key
    )


def _copy(model, objects: list) -> None:
    """COPY the rows in as CSV: an unquoted empty field is NULL, text columns are never NULL."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    relations = [f.name for f in fields if f.is_relation]
    plain = [f for f in fields if not f.is_relation]
    getter = operator.attrgetter(*(f.attname for f in plain))
    values = getter if len(plain) > 1 else lambda obj: (getter(obj),)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for obj in objects:
        # Related rows were written just before and carry their ids now; this row's own
        # `<fk>_id` was set when they had none.
        related = [getattr(obj, name) for name in relations]
        writer.writerow([None if r is None else r.pk for r in related] + list(values(obj)))
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = [f for f in fields if f.is_relation] + plain
    text = [quote(f.column) for f in plain if f.get_internal_type() in TEXT_TYPES]
    options = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
    sql = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"FROM STDIN WITH (FORMAT csv{options})"
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer)  # the driver's cursor under Django's wrapper


@contextmanager
def _collect_per_chunk():
    """Python's cyclic garbage collector would rescan each chunk's hundred thousand new objects
    many times over while they are built and written. Instead the writer collects the youngest
    generation once per chunk: it holds just what the chunk allocated, so that frees the same
    (the only cycles: a check-in and its session point at each other) without rescanning the
    rest of the process."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Tables whose rows a signed note locks (treatments migration 0008).
SIGNED_LOCKED = (
    "treatments_treatmentsession", "treatments_triggerpoint", "treatments_mobilitymeasurement",
    "treatments_addendum", "patients_painscore",
)  # fmt: skip


@contextmanager
def _notes_written_whole():
    """The seed writes each signed note whole, the note before its points and scores, which the
    database's lock on signed notes would refuse. The owner role that seeds switches that lock
    off for this transaction only (ALTER TABLE needs ownership: the application's role cannot)
    and on again before it commits."""
    if connection.vendor != "postgresql":
        yield
        return

    def switch(state: str) -> None:
        with connection.cursor() as cursor:
            for table in SIGNED_LOCKED:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {table}_signed_locked")

    switch("DISABLE")
    yield
    switch("ENABLE")


@contextmanager
def _given_timestamps():
    """bulk_create stamps `auto_now`/`auto_now_add` fields with the time of the insert; a demo
    history needs the times its records would have been made, which the plan sets. Switched off
    for the models written here and only while they are written: `seed_demo` runs alone in its
    own process."""
    models = [Clinic, Membership, *(model for _, model, _ in WRITE_ORDER)]
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add
