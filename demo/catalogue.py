"""The demo clinic's catalogue data: its clinics and staff logins, the names, cohorts and
complaints patients are drawn from, and the words notes are written with. Plain data; the
planner (demo/planner.py) draws courses from it and the writer (demo/writer.py) stores them."""

from dataclasses import dataclass

from clinic.models import Role
from patients.models import ActivityProfile, RedFlag

# Printed by `seed_demo` and `runall`, and documented in the README: demo data only.
DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105
DEFAULT_SEED = 2026
DEFAULT_PATIENTS = 150
DEFAULT_WEEKS_MIN = 4
DEFAULT_WEEKS_MAX = 12
MAX_WEEKS = 52

# Improving / plateau / worse: a typical outpatient mix (most respond, some stall, a few worsen).
TRAJECTORY_SHARES = (("improving", 0.68), ("plateau", 0.21), ("worse", 0.11))


@dataclass(frozen=True)
class ClinicSpec:
    key: str
    slug: str
    name: str
    time_zone: str
    address: str


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    role: Role
    clinic: str  # a ClinicSpec key


MAIN, OTHER = "main", "other"
CLINICS = (
    ClinicSpec(
        MAIN,
        "harbour-street",
        "Harbour Street Neuromuscular Clinic",
        "America/Toronto",
        "120 Harbour Street, Suite 4\nToronto, ON M5J 2L2",
    ),
    ClinicSpec(
        OTHER,
        "lakeside",
        "Lakeside Sports Massage",
        "America/Vancouver",
        "8 Lakeshore Drive\nVancouver, BC V6G 1Z4",
    ),
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

# Perpetuating factors a therapist commonly finds with a complaint in each region (the muscles
# each loads are in sessions.factors); the demo records one or two of them per patient.
FACTORS_BY_REGION: dict[str, tuple[str, ...]] = {
    "neck_back": ("forward_head", "phone_cradling", "poor_sleep_posture"),
    "neck_front": ("forward_head", "poor_sleep_posture"),
    "head": ("forward_head", "jaw_clenching"),
    "jaw": ("jaw_clenching",),
    "shoulder": ("rounded_shoulders", "repetitive_overhead_work"),
    "upper_back": ("rounded_shoulders", "forward_head"),
    "forearm": ("keyboard_mouse",),
    "wrist_hand": ("keyboard_mouse",),
    "elbow": ("keyboard_mouse", "repetitive_overhead_work"),
    "lower_back": ("prolonged_sitting", "anterior_pelvic_tilt", "leg_length_difference"),
    "buttock": ("prolonged_sitting", "leg_length_difference"),
    "hip": ("leg_length_difference", "anterior_pelvic_tilt"),
    "thigh_back": ("prolonged_sitting",),
}
