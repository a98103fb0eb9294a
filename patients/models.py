import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic

# Field validators give forms and the API a per-field message; the CheckConstraints below are
# the database's own guarantee for every other write path.
ZERO_TO_TEN = [MinValueValidator(0), MaxValueValidator(10)]


def score_0_to_10(field: str, *, nullable: bool = False) -> Q:
    in_range = Q(**{f"{field}__gte": 0, f"{field}__lte": 10})
    return in_range | Q(**{f"{field}__isnull": True}) if nullable else in_range


class BodyRegion(models.TextChoices):
    """Body-chart regions (domain.md), finer than the ACR 2010 widespread pain index areas."""

    HEAD = "head", _("Head")
    JAW = "jaw", _("Jaw")
    NECK_FRONT = "neck_front", _("Neck (front)")
    NECK_BACK = "neck_back", _("Neck (back)")
    SHOULDER = "shoulder", _("Shoulder")
    UPPER_ARM = "upper_arm", _("Upper arm")
    ELBOW = "elbow", _("Elbow")
    FOREARM = "forearm", _("Forearm")
    WRIST_HAND = "wrist_hand", _("Wrist / hand")
    CHEST = "chest", _("Chest")
    UPPER_BACK = "upper_back", _("Upper back")
    MID_BACK = "mid_back", _("Mid back")
    LOWER_BACK = "lower_back", _("Lower back")
    ABDOMEN = "abdomen", _("Abdomen")
    BUTTOCK = "buttock", _("Sacrum / buttock")
    HIP = "hip", _("Hip")
    GROIN = "groin", _("Groin")
    THIGH_FRONT = "thigh_front", _("Thigh (front)")
    THIGH_BACK = "thigh_back", _("Thigh (back)")
    KNEE = "knee", _("Knee")
    SHIN = "shin", _("Lower leg (shin)")
    CALF = "calf", _("Lower leg (calf)")
    ANKLE_FOOT = "ankle_foot", _("Ankle / foot")


class Side(models.TextChoices):
    """The patient's own side, always in words (left/right confusion is the commonest error)."""

    LEFT = "left", _("Patient's left")
    RIGHT = "right", _("Patient's right")
    BOTH = "both", _("Both sides")
    MIDLINE = "midline", _("Midline")

    @classmethod
    def to_patient(cls, value: str) -> str:
        """The side as a patient reads it about their own body: "Right", not "Patient's
        right" (staff pages keep the long form)."""
        words = PATIENT_SIDE_WORDS.get(value)
        return str(words if words is not None else cls(value).label)


PATIENT_SIDE_WORDS = {Side.LEFT.value: _("Left"), Side.RIGHT.value: _("Right")}


class ActivityProfile(models.TextChoices):
    ATHLETE = "athlete", _("Athlete")
    ACTIVE = "active", _("Active")
    SEDENTARY = "sedentary", _("Sedentary")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


# Shorter digit strings (an extension, a typo) would call strangers duplicates.
MIN_PHONE_DIGITS = 6


def name_key(first_name: str, last_name: str) -> str:
    """A name as the duplicate check compares it: no accents, case or repeated spaces
    ("José  Núñez" and "jose nunez" are one name)."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


# The national number's length in most plans: "+1 416 555 0142" and "(416) 555-0142" match.
PHONE_KEY_DIGITS = 10


def phone_key(phone: str) -> str:
    """A phone number's last digits (without a country code or trunk prefix), or "" when too
    few to tell people apart."""
    digits = re.sub(r"\D", "", phone)
    return digits[-PHONE_KEY_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else ""


def email_key(email: str) -> str:
    return email.strip().casefold()


OLDEST_AGE_YEARS = 120


def date_of_birth_problem(born: dt.date, *, zone: ZoneInfo) -> str:
    """Why a date of birth cannot be right ("" when it can): in the future or more than
    OLDEST_AGE_YEARS ago, counted in the clinic's calendar."""
    today = timezone.localdate(timezone=zone)
    if born > today:
        return str(_("The date of birth is in the future."))
    try:
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February, in a year without one
        oldest = today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)
    if born < oldest:
        return str(
            _("The date of birth is more than %(years)s years ago.") % {"years": OLDEST_AGE_YEARS}
        )
    return ""


class PatientQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # Bulk paths (the CSV import) skip save(): the match keys are filled here instead.
        objs = list(objs)
        for patient in objs:
            patient.match_keys_fill()
        return super().bulk_create(objs, *args, **kwargs)


class Patient(models.Model):
    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    email = models.EmailField(_("email"), blank=True)
    # The mobile number: text-message reminders go to it.
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True)
    phone_other = models.CharField(_("other phone"), max_length=32, blank=True)
    emergency_contact_name = models.CharField(
        _("emergency contact's name"), max_length=200, blank=True
    )
    emergency_contact_phone = models.CharField(
        _("emergency contact's phone"), max_length=32, blank=True
    )
    emergency_contact_relation = models.CharField(
        _("relation to the patient"), max_length=60, blank=True
    )
    # Front-desk matters (parking, how to address them), never clinical content.
    staff_note = models.TextField(
        _("staff note"),
        blank=True,
        help_text=_("For the front desk: practical matters only, never health information."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    preferred_channel = models.CharField(
        _("preferred reminder channel"), max_length=8, choices=Channel.choices, blank=True
    )
    consents_to_email = models.BooleanField(_("agrees to email reminders"), default=False)
    consents_to_sms = models.BooleanField(_("agrees to text-message reminders"), default=False)
    activity_profile = models.CharField(
        max_length=12, choices=ActivityProfile.choices, default=ActivityProfile.ACTIVE
    )
    occupation = models.CharField(max_length=120, blank=True)
    postures = models.TextField(blank=True, help_text=_("Postures held daily, sport practised."))
    # An erasure request restricts the record at once; its clinical data are kept for the
    # clinic's retention period after the last visit (a legal duty), then deleted.
    erasure_requested_at = models.DateTimeField(null=True, blank=True)
    erase_after = models.DateField(null=True, blank=True)
    # A duplicate merged into another record: kept as a tombstone pointing at the survivor,
    # out of every list and search, never deleted.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # What the duplicate check compares, normalised on save (name_key, phone_key, email_key).
    match_name = models.CharField(max_length=201, blank=True, editable=False)
    match_phone = models.CharField(max_length=32, blank=True, editable=False)
    match_phone_other = models.CharField(max_length=32, blank=True, editable=False)
    match_email = models.CharField(max_length=254, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["clinic", "last_name", "first_name"], name="patient_clinic_name"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_clinic_dob"),
            models.Index(
                fields=["clinic", "match_name", "date_of_birth"], name="patient_match_name"
            ),
            models.Index(
                fields=["clinic", "match_phone"],
                name="patient_match_phone",
                condition=~Q(match_phone=""),
            ),
            models.Index(
                fields=["clinic", "match_phone_other"],
                name="patient_match_phone_other",
                condition=~Q(match_phone_other=""),
            ),
            models.Index(
                fields=["clinic", "match_email"],
                name="patient_match_email",
                condition=~Q(match_email=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(activity_profile__in=ActivityProfile.values),
                name="patient_activity_profile_valid",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="patient_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.match_keys_fill()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *MATCH_FIELDS}
        super().save(*args, **kwargs)

    def match_keys_fill(self) -> None:
        self.match_name = name_key(self.first_name, self.last_name)
        self.match_phone = phone_key(self.phone)
        self.match_phone_other = phone_key(self.phone_other)
        self.match_email = email_key(self.email)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_restricted(self) -> bool:
        return self.erasure_requested_at is not None

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def consents_to(self, channel: str) -> bool:
        consents: dict[str, bool] = {
            Channel.EMAIL: self.consents_to_email,
            Channel.SMS: self.consents_to_sms,
        }
        return consents[channel]


MATCH_FIELDS = ("match_name", "match_phone", "match_phone_other", "match_email")


class IntakeInvitation(models.Model):
    """A one-time intake link. Only a hash of the token is stored: a leaked table opens nothing."""

    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="intake_invitations")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="intake_invitations"
    )
    # Blank for a link the front desk copied to pass on by hand rather than emailed.
    email = models.EmailField(blank=True)
    # Blank: the form follows the patient's browser language.
    language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE, blank=True
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The link itself: on the instance `intake_invite` returns only, never stored (a hash is).
    link = ""

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake invitation #{self.pk}"

    @property
    def is_open(self) -> bool:
        """Not used yet and not expired: the only state in which its link shows anything."""
        return self.used_at is None and self.expires_at > timezone.now()


class DurationCategory(models.TextChoices):
    """Chronicity of the complaint at intake (domain.md)."""

    ACUTE = "acute", _("Acute (under 6 weeks)")
    SUBACUTE = "subacute", _("Subacute (6-12 weeks)")
    CHRONIC = "chronic", _("Chronic (over 12 weeks)")


class RedFlag(models.TextChoices):
    """Intake screening (domain.md). Refer flags stop treatment; caution flags adapt it."""

    DVT = "dvt", _("One calf swollen, hot or red")
    FEVER = "fever", _("Fever or acute infection")
    CAUDA_EQUINA = "cauda_equina", _("Saddle numbness or new bladder/bowel trouble")
    WEIGHT_LOSS_NIGHT_PAIN = (
        "weight_loss_night_pain",
        _("Unexplained weight loss, or night pain no position eases"),
    )
    RECENT_TRAUMA = "recent_trauma", _("Recent significant trauma")
    ANTICOAGULANTS = "anticoagulants", _("Anticoagulants or a bleeding disorder")
    OSTEOPOROSIS = "osteoporosis", _("Osteoporosis")
    RECENT_SURGERY = "recent_surgery", _("Surgery in the last 8 weeks")
    CANCER = "cancer", _("Cancer, or treatment for it")
    PREGNANCY = "pregnancy", _("Pregnancy")
    NEUROPATHY = "neuropathy", _("Diabetes or neuropathy (reduced sensation)")
    SKIN = "skin", _("Skin condition or open wound in the area")
    VARICOSE_VEINS = "varicose_veins", _("Varicose veins")
    STEROID_INJECTION = "steroid_injection", _("Recent corticosteroid injection at the site")
    HIGH_BLOOD_PRESSURE = "high_blood_pressure", _("Uncontrolled high blood pressure")
    IMPLANTED_DEVICE = "implanted_device", _("Implanted device")

    @property
    def refers(self) -> bool:
        """Refer, don't treat (a stop sign); the others are cautions acknowledged at signing."""
        return self in {
            RedFlag.DVT,
            RedFlag.FEVER,
            RedFlag.CAUDA_EQUINA,
            RedFlag.WEIGHT_LOSS_NIGHT_PAIN,
            RedFlag.RECENT_TRAUMA,
        }


def red_flag_rows(flags: list[dict]) -> list[dict]:
    """Stored red-flag answers (`[{"code", "details"}]`) as rows a page shows: label, details,
    and whether it refers (a stop sign) or cautions."""
    return [
        {
            "label": RedFlag(flag["code"]).label,
            "details": flag.get("details", ""),
            "refers": RedFlag(flag["code"]).refers,
        }
        for flag in flags
        if flag.get("code") in RedFlag.values
    ]


class IntakeSubmission(models.Model):
    """The patient's answers. `answers` keeps each step as typed so a half-filled form resumes;
    the fields reports and the chart rely on are columns."""

    clinic_lookup = "clinic"
    is_clinical = True

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("Reviewed")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="intakes")
    invitation = models.OneToOneField(
        IntakeInvitation, on_delete=models.PROTECT, null=True, blank=True, related_name="submission"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="intakes"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    current_step = models.PositiveSmallIntegerField(default=1)
    answers = models.JSONField(default=dict, blank=True)
    chief_complaint = models.TextField(blank=True)
    onset_date = models.DateField(null=True, blank=True)
    duration_category = models.CharField(
        max_length=10, choices=DurationCategory.choices, blank=True
    )
    # [{"code": "anticoagulants", "details": "..."}] with codes from RedFlag.
    red_flags = models.JSONField(default=list, blank=True)
    medications = models.TextField(blank=True)
    takes_anticoagulants = models.BooleanField(default=False)
    goals = models.TextField(blank=True)
    consent_to_treatment = models.BooleanField(default=False)
    consent_to_reminders = models.BooleanField(default=False)
    signature_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    red_flags_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    red_flags_cleared_at = models.DateTimeField(null=True, blank=True)
    red_flags_clearance_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "status", "submitted_at"], name="intake_queue"),
            models.Index(fields=["patient", "submitted_at"], name="intake_patient_time"),
            # The home page's "needs attention": the few intakes waiting for review or with red
            # flags nobody cleared (patients_needing_attention), not every intake ever sent.
            models.Index(
                fields=["patient"],
                name="intake_needs_attention",
                condition=Q(status="submitted")
                | (
                    ~Q(status="in_progress")
                    & ~Q(red_flags=[])
                    & Q(red_flags_cleared_at__isnull=True)
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_progress") | Q(submitted_at__isnull=False),
                name="intake_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status="in_progress")
                | (
                    Q(consent_to_treatment=True)
                    & Q(signed_at__isnull=False)
                    & ~Q(signature_name="")
                ),
                name="intake_submitted_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake #{self.pk} ({self.get_status_display()})"

    @property
    def has_active_red_flags(self) -> bool:
        return bool(self.red_flags) and self.red_flags_cleared_at is None

    def red_flags_explained(self) -> list[dict]:
        """The red-flag rows of the review page, each with `why` where the answer alone does not
        say it: an anticoagulant named in the medication list is flagged even when the patient
        answered "no" to the bleeding question (the cross-check errs on the safe side)."""
        answered_no = self.answers.get("medications", {}).get("takes_anticoagulants") == "no"
        rows = red_flag_rows(self.red_flags)
        for flag, row in zip(self.red_flags, rows, strict=False):
            if answered_no and flag.get("code") == RedFlag.ANTICOAGULANTS:
                row["why"] = _(
                    "The patient answered “no” to blood thinners or a bleeding disorder, but "
                    "the medication list names %(medicines)s: check with the patient."
                ) % {"medicines": row["details"]}
        return rows


class PainSource(models.TextChoices):
    INTAKE = "intake", _("Intake")
    PRE_SESSION = "pre_session", _("Before session")
    POST_SESSION = "post_session", _("After session")
    CHECK_IN = "check_in", _("Check-in")


class PainScore(models.Model):
    """Every 0-10 NPRS rating, whatever its source: one table makes a trend one query.

    "Unable to rate" is its own flag with no number, so it can never be averaged."""

    clinic_lookup = "patient__clinic"
    is_clinical = True

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pain_scores")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pain_scores",
    )
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=PainSource.choices)
    region = models.CharField(max_length=16, choices=BodyRegion.choices)
    side = models.CharField(max_length=8, choices=Side.choices)
    score = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)
    unable_to_rate = models.BooleanField(default=False)

    class Meta:
        ordering = ["recorded_at"]
        indexes = [
            models.Index(fields=["patient", "recorded_at"], name="pain_patient_time"),
            models.Index(
                fields=["patient", "region", "side", "source", "recorded_at"],
                name="pain_patient_region_time",
            ),
            models.Index(fields=["source", "recorded_at"], name="pain_source_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=score_0_to_10("score", nullable=True), name="pain_0_10"
            ),
            models.CheckConstraint(
                condition=(Q(unable_to_rate=False) & Q(score__isnull=False))
                | (Q(unable_to_rate=True) & Q(score__isnull=True)),
                name="pain_score_xor_unable",
            ),
            models.CheckConstraint(
                condition=Q(source__in=PainSource.values), name="pain_source_ok"
            ),
            models.CheckConstraint(
                condition=Q(region__in=BodyRegion.values), name="pain_region_ok"
            ),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="pain_side_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.get_region_display()} {self.score}/10 ({self.get_source_display()})"


class FunctionalScore(models.Model):
    """One PSFS item: an activity the patient names, rated 0-10. PSFS 2.0 reverses the scale,
    so the instrument version travels with every score."""

    clinic_lookup = "patient__clinic"
    is_clinical = True

    class Instrument(models.TextChoices):
        PSFS = "psfs", _("PSFS (0 = unable, 10 = as before)")
        PSFS_2 = "psfs2", _("PSFS 2.0 (reversed)")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="functional_scores")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="functional_scores",
    )
    recorded_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=PainSource.choices)
    instrument = models.CharField(max_length=8, choices=Instrument.choices, default="psfs")
    item = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    activity = models.CharField(max_length=200)
    score = models.PositiveSmallIntegerField(validators=ZERO_TO_TEN)

    class Meta:
        ordering = ["recorded_at", "item"]
        indexes = [models.Index(fields=["patient", "recorded_at"], name="psfs_patient_time")]
        constraints = [
            models.CheckConstraint(condition=score_0_to_10("score"), name="psfs_0_10"),
            models.CheckConstraint(condition=Q(item__gte=1, item__lte=5), name="psfs_item_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.score}/10"


class PainCourse(models.Model):
    """Derived, never edited: one patient's pain in one body region and side (a *course*,
    domain.md) with its baseline and latest score, as `reports.selectors` defines them.

    `patients.summaries` rebuilds a patient's courses in the transaction that changes their pain
    scores, so the outcome report reads one row per course instead of every score."""

    clinic_lookup = "clinic"
    is_clinical = True
    # Rebuilt from the record, never moved or edited (a patient merge rebuilds it).
    is_derived = True

    # The patient's clinic, copied: reports scope by it without joining the patients.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=16, choices=BodyRegion.choices)
    side = models.CharField(max_length=8, choices=Side.choices)
    baseline = models.PositiveSmallIntegerField()
    baseline_at = models.DateTimeField()
    # The latest score after the baseline; none yet while the baseline is the only one.
    latest = models.PositiveSmallIntegerField(null=True)
    latest_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "region", "side"], name="pain_course_once")
        ]
        indexes = [models.Index(fields=["clinic", "baseline_at"], name="pain_course_period")]

    def __str__(self) -> str:
        return f"{self.get_region_display()} {self.baseline} -> {self.latest}"
