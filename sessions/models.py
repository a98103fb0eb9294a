from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models import ZERO_TO_TEN, BodyRegion, Patient, Side, score_0_to_10

UNIT = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class ChartView(models.TextChoices):
    FRONT = "front", _("Front")
    BACK = "back", _("Back")


def unit_interval(field: str) -> Q:
    return Q(**{f"{field}__gte": 0, f"{field}__lte": 1})


class Muscle(models.Model):
    """The catalogue of muscles treated in trigger-point work, with where each sits on the
    body chart by default (x/y normalised 0-1 on the front or back view, viewer's left = 0)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    region = models.CharField(max_length=16, choices=BodyRegion.choices)
    chart_view = models.CharField(max_length=5, choices=ChartView.choices)
    chart_x = models.FloatField(validators=UNIT)
    chart_y = models.FloatField(validators=UNIT)
    # SNOMED CT body structure, only where a verified code is known (domain.md: never guess).
    snomed_code = models.CharField(max_length=18, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=unit_interval("chart_x"), name="muscle_x_0_1"),
            models.CheckConstraint(condition=unit_interval("chart_y"), name="muscle_y_0_1"),
        ]

    def __str__(self) -> str:
        return self.name


class Movement(models.Model):
    """A joint movement with its typical normal active range (AAOS/AMA), editable per clinic
    needs; a measurement is shown as degrees and % of this."""

    code = models.SlugField(max_length=48, unique=True)
    joint = models.CharField(max_length=40)
    name = models.CharField(max_length=60)
    normal_degrees = models.PositiveSmallIntegerField()
    # Spinal movements have no side; limb movements are recorded per side.
    bilateral = models.BooleanField(default=True)

    class Meta:
        ordering = ["joint", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(normal_degrees__gt=0, normal_degrees__lte=360),
                name="movement_normal_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.joint} {self.name}"


class SignedRecordLocked(Exception):
    """A signed note is a legal record: it is corrected by an addendum, never edited."""


class TreatmentSession(models.Model):
    clinic_lookup = "patient__clinic"
    is_clinical = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    started_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(480)]
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    red_flags_acknowledged = models.BooleanField(default=False)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["patient", "started_at"], name="session_patient_time"),
            models.Index(fields=["therapist", "started_at"], name="session_therapist_time"),
            models.Index(fields=["status", "started_at"], name="session_status_time"),
            # The home page's today and last-seven-days lists: a time range across the clinic.
            models.Index(fields=["started_at"], name="session_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=480),
                name="session_duration_1_480",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="session_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"Session #{self.pk} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        # Checked against the stored row, so an in-memory copy cannot re-open a signed note.
        if self.pk and TreatmentSession.objects.filter(pk=self.pk, status="signed").exists():
            raise SignedRecordLocked(f"Session {self.pk} is signed; write an addendum.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SignedRecordLocked("Treatment sessions are clinical records and are never deleted.")

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class SessionPart(models.Model):
    """A row that belongs to a session's note and is locked with it."""

    clinic_lookup = "session__patient__clinic"
    is_clinical = True
    session_id: int  # each part's `session` foreign key

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if TreatmentSession.objects.filter(pk=self.session_id, status="signed").exists():
            raise SignedRecordLocked(f"Session {self.session_id} is signed; write an addendum.")
        super().save(*args, **kwargs)


class Technique(models.TextChoices):
    ISCHEMIC_COMPRESSION = "ischemic_compression", _("Ischemic compression")
    STRIPPING = "stripping", _("Stripping")
    PINCER_COMPRESSION = "pincer_compression", _("Pincer compression")
    MUSCLE_ENERGY = "muscle_energy", _("Muscle energy / post-isometric relaxation")
    PASSIVE_STRETCH = "passive_stretch", _("Passive stretch")
    CROSS_FIBRE_FRICTION = "cross_fibre_friction", _("Cross-fibre friction")
    MYOFASCIAL_RELEASE = "myofascial_release", _("Myofascial release")


class TriggerPoint(SessionPart):
    """A point found on the body map, its state this session, and the treatment it received.
    The same muscle and side across sessions is how a point's history is followed."""

    class Kind(models.TextChoices):
        ACTIVE = "active", _("Active")
        LATENT = "latent", _("Latent")

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="trigger_points"
    )
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="trigger_points")
    side = models.CharField(max_length=8, choices=Side.choices)
    chart_view = models.CharField(max_length=5, choices=ChartView.choices)
    x = models.FloatField(validators=UNIT)
    y = models.FloatField(validators=UNIT)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.ACTIVE)
    tenderness = models.PositiveSmallIntegerField(validators=ZERO_TO_TEN)
    pressure_pain_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(20)],
        help_text=_("kg/cm²"),
    )
    referral_pattern = models.CharField(max_length=200, blank=True)
    local_twitch_response = models.BooleanField(default=False)
    technique = models.CharField(
        max_length=24, choices=Technique.choices, default=Technique.ISCHEMIC_COMPRESSION
    )
    hold_seconds = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(600)]
    )
    repetitions = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    pressure = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)
    released = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "id"]
        indexes = [models.Index(fields=["muscle", "side"], name="tp_muscle_side")]
        constraints = [
            models.CheckConstraint(condition=unit_interval("x"), name="tp_x_0_1"),
            models.CheckConstraint(condition=unit_interval("y"), name="tp_y_0_1"),
            models.CheckConstraint(
                condition=score_0_to_10("tenderness"), name="tp_tenderness_0_10"
            ),
            models.CheckConstraint(
                condition=score_0_to_10("pressure", nullable=True), name="tp_pressure_0_10"
            ),
            models.CheckConstraint(
                condition=Q(hold_seconds__isnull=True)
                | Q(hold_seconds__gte=0, hold_seconds__lte=600),
                name="tp_hold_0_600s",
            ),
            models.CheckConstraint(
                condition=Q(repetitions__gte=1, repetitions__lte=10), name="tp_repetitions_1_10"
            ),
            models.CheckConstraint(
                condition=Q(pressure_pain_threshold__isnull=True)
                | Q(pressure_pain_threshold__gt=0, pressure_pain_threshold__lte=20),
                name="tp_ppt_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ({self.get_side_display()})"


class MobilityMeasurement(SessionPart):
    class Method(models.TextChoices):
        GONIOMETER = "goniometer", _("Goniometer")
        INCLINOMETER = "inclinometer", _("Inclinometer")
        VISUAL = "visual", _("Visual estimate")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="mobility")
    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="mobility")
    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="measurements")
    side = models.CharField(max_length=8, choices=Side.choices)
    degrees = models.PositiveSmallIntegerField(validators=[MaxValueValidator(360)])
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.GONIOMETER)
    measured_at = models.DateTimeField()

    class Meta:
        ordering = ["measured_at"]
        indexes = [
            models.Index(fields=["patient", "measured_at"], name="rom_patient_time"),
            models.Index(fields=["patient", "movement", "side", "measured_at"], name="rom_trend"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(degrees__gte=0, degrees__lte=360), name="rom_0_360"),
        ]

    def __str__(self) -> str:
        return f"{self.movement} {self.degrees}°"


class Addendum(models.Model):
    """A dated correction or late entry under a signed note, by its author; the original stays."""

    clinic_lookup = "session__patient__clinic"
    is_clinical = True

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        LATE_ENTRY = "late_entry", _("Late entry")
        CLARIFICATION = "clarification", _("Clarification")

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=Kind.choices, default=Kind.CORRECTION)
    reason = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="addendum_has_text"),
            models.CheckConstraint(condition=~Q(reason=""), name="addendum_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Addendum to session {self.session_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise SignedRecordLocked("An addendum is itself part of the record: add another.")
        super().save(*args, **kwargs)


class CheckIn(models.Model):
    """A one-time link sent 24-48 h after a session: relief shows hours later, so this is the
    honest measure of a session's effect."""

    clinic_lookup = "session__patient__clinic"
    is_clinical = True

    session = models.OneToOneField(
        TreatmentSession, on_delete=models.PROTECT, related_name="check_in"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    soreness = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)
    unexpected = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=score_0_to_10("soreness", nullable=True), name="checkin_soreness_0_10"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="checkin_expires_after_creation"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in for session {self.session_id}"


class SessionPain(models.Model):
    """Derived, never edited: one session's pain in one region and side, before, right after
    and at the check-in (the mean when rated twice). Rebuilt by `sessions.summaries` with the
    scores, so the check-in curve reads one row per treated region instead of every score."""

    clinic_lookup = "clinic"
    is_clinical = True
    # Rebuilt from the record, never moved or edited (a patient merge rebuilds it).
    is_derived = True

    # Copied from the patient and the session: the report filters on them without joins.
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField()
    region = models.CharField(max_length=16, choices=BodyRegion.choices)
    side = models.CharField(max_length=8, choices=Side.choices)
    before = models.FloatField(null=True)
    after = models.FloatField(null=True)
    check_in = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "region", "side"], name="session_pain_once")
        ]
        indexes = [models.Index(fields=["clinic", "started_at"], name="session_pain_period")]

    def __str__(self) -> str:
        return f"Session {self.session_id} {self.get_region_display()}"


class TriggerPointVisit(models.Model):
    """Derived, never edited: a trigger point with its patient, session time and `visit`, the
    how-many-th session the patient's point in that muscle and side was found in. Rebuilt by
    `sessions.summaries` with the points, so the trigger-point report needs no join or sort."""

    clinic_lookup = "clinic"
    is_clinical = True
    # Rebuilt from the record, never moved or edited (a patient merge rebuilds it).
    is_derived = True

    trigger_point = models.OneToOneField(
        TriggerPoint, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField()
    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    released = models.BooleanField()
    visit = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["clinic", "started_at"], name="trigger_point_visit_period")]

    def __str__(self) -> str:
        return f"Trigger point {self.trigger_point_id}, visit {self.visit}"
