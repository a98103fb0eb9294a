from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
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


class SideRelation(models.TextChoices):
    """Where a referral zone lies relative to the trigger point's side."""

    SAME = "same", _("Same side")
    OPPOSITE = "opposite", _("Opposite side")
    BOTH = "both", _("Both sides")
    MIDLINE = "midline", _("Midline")


class ReferralZone(models.Model):
    """One region a muscle's trigger points refer pain to (the referral atlas), essential (felt
    in nearly every patient with an active point there) or spill-over (in some). Seeded from
    the published Travell & Simons patterns (migration 0017, `source` cites the chapter), kept
    in the database so a clinic can amend it in the admin."""

    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="referral_zones")
    region = models.CharField(max_length=16, choices=BodyRegion.choices)
    side_relation = models.CharField(max_length=8, choices=SideRelation.choices)
    essential = models.BooleanField()
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["muscle", "-essential", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["muscle", "region", "side_relation"], name="referral_zone_once"
            ),
            models.CheckConstraint(
                condition=Q(region__in=BodyRegion.values), name="referral_zone_region_ok"
            ),
            models.CheckConstraint(
                condition=Q(side_relation__in=SideRelation.values),
                name="referral_zone_side_relation_ok",
            ),
        ]

    def __str__(self) -> str:
        kind = "essential" if self.essential else "spill-over"
        return f"{self.muscle_id}: {self.region} ({self.side_relation}, {kind})"


def zone_sides(relation: str, point_side: str) -> set[str]:
    """The patient's sides a zone covers for a point on `point_side`. A point on both sides or
    the midline, and a zone on both sides, cover either side; a midline zone covers the
    midline, where the chart draws unpaired regions (head, neck, abdomen)."""
    if relation == SideRelation.MIDLINE:
        return {Side.MIDLINE}
    if relation == SideRelation.BOTH or point_side not in (Side.LEFT, Side.RIGHT):
        return {Side.LEFT, Side.RIGHT}
    if relation == SideRelation.SAME:
        return {point_side}
    return {Side.RIGHT if point_side == Side.LEFT else Side.LEFT}


def zone_covers(relation: str, point_side: str, pain_side: str) -> bool:
    """Whether a zone covers a pain rating's side. A rating on both sides or the midline of a
    region, and a midline zone, meet any side of that region: unpaired regions are rated on
    the midline, and a patient may name a side of them anyway. `reports.selectors`' SQL
    says the same (ZONE_COVERS_SQL)."""
    if pain_side in (Side.BOTH, Side.MIDLINE) or relation == SideRelation.MIDLINE:
        return True
    return pain_side in zone_sides(relation, point_side)


def referral_regions_valid(value) -> None:
    """The regions a patient reports a point refers to: a list of {"region", "side"} on the
    chart's vocabulary, each once."""
    if not isinstance(value, list):
        raise ValidationError(_("A list of regions, each with its side."))
    seen = set()
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"region", "side"}
            or item["region"] not in BodyRegion.values
            or item["side"] not in Side.values
        ):
            raise ValidationError(
                _("Each referral region is a body-chart region and a side."), code="invalid"
            )
        key = (item["region"], item["side"])
        if key in seen:
            raise ValidationError(_("A referral region is listed twice."), code="duplicate")
        seen.add(key)
    if len(value) > MAX_REFERRAL_REGIONS:
        raise ValidationError(_("Too many referral regions."), code="max_length")


def referral_regions_words(regions: list[dict]) -> str:
    """ "Head; Jaw, right": regions and sides in words (a midline region needs no side)."""
    labels = dict(BodyRegion.choices)
    return "; ".join(
        str(labels.get(r["region"], r["region"]))
        + ("" if r["side"] == Side.MIDLINE else f", {SIDE_WORDS.get(r['side'], r['side'])}")
        for r in regions
    )


# Every region on both sides and the midline: more cannot be distinct.
MAX_REFERRAL_REGIONS = len(BodyRegion.values) * 3


class Movement(models.Model):
    """A joint movement with its typical normal active range (AAOS/AMA), editable per clinic
    needs; a measurement is shown as degrees and % of this."""

    code = models.SlugField(max_length=48, unique=True)
    joint = models.CharField(max_length=40)
    name = models.CharField(max_length=60)
    normal_degrees = models.PositiveSmallIntegerField()
    # The most a person can plausibly reach (about 1.5x normal, capped near the largest ranges
    # reported in hypermobile adults): above it the measurement is a typing or reading error.
    max_degrees = models.PositiveSmallIntegerField()
    # Spinal movements have no side; limb movements are recorded per side.
    bilateral = models.BooleanField(default=True)

    class Meta:
        ordering = ["joint", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(normal_degrees__gt=0, normal_degrees__lte=360),
                name="movement_normal_range",
            ),
            models.CheckConstraint(
                condition=Q(max_degrees__gte=F("normal_degrees"), max_degrees__lte=360),
                name="movement_max_at_least_normal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.joint} {self.name}"


class SignedRecordLocked(Exception):
    """A signed note is a legal record: it is corrected by an addendum, never edited."""


class TreatmentSession(models.Model):
    clinic_lookup = "patient__clinic"
    is_clinical = True
    # Not stored: True on the draft `session_start` continued instead of starting another (the
    # API answers 200 for it, 201 for a new session).
    continued: bool = False

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
    # A draft started by mistake is discarded, never deleted: the row and its audit stay, and
    # lists, reports and "continue your draft" no longer show it.
    discarded_at = models.DateTimeField(null=True, blank=True)
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # A patient's sessions in time; the therapist and the discard are in the index, so
            # the outcome report finds who first treated each patient (discarded drafts left
            # out) without reading the sessions.
            models.Index(
                fields=["patient", "started_at", "id"],
                include=["therapist", "discarded_at"],
                name="session_patient_time",
            ),
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
            models.CheckConstraint(
                condition=Q(discarded_at__isnull=True, discarded_by__isnull=True)
                | Q(status="draft", discarded_at__isnull=False, discarded_by__isnull=False),
                name="session_only_drafts_discarded",
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

    @property
    def is_discarded(self) -> bool:
        return self.discarded_at is not None

    def signing_gaps(self, *, requirements: "NoteRequirements") -> dict[str, list[str]]:
        """What the clinic's minimum content still misses, per field of the draft schema
        (`trigger_points.1.tenderness`), in the clinic's words; empty when it may be signed.
        Reads the parts as loaded (the service loads them once)."""
        gaps: dict[str, list[str]] = {}
        if requirements.soap_required and not any(
            getattr(self, name).strip()
            for name in ("subjective", "objective", "assessment", "plan")
        ):
            gaps["subjective"] = [
                str(_("Write at least one part of the SOAP note (subjective, objective, "
                      "assessment or plan)."))
            ]  # fmt: skip
        sources = {score.source for score in self.pain_scores.all()}
        for source, required in (
            ("pre_session", requirements.pain_before_required),
            ("post_session", requirements.pain_after_required),
        ):
            if required and source not in sources:
                gaps[f"pain.{source}"] = [str(PAIN_MISSING[source])]
        for index, point in enumerate(self.trigger_points.all()):
            if point.tenderness is None:
                gaps[f"trigger_points.{index}.tenderness"] = [
                    str(_("Trigger point %(number)s (%(where)s): rate its tenderness."))
                    % {"number": index + 1, "where": point.where}
                ]
        return gaps


PAIN_MISSING = {
    "pre_session": _("Rate the pain before the session (or tick “unable to rate”)."),
    "post_session": _("Rate the pain after the session (or tick “unable to rate”)."),
}
# The side as a therapist says it after a muscle's name: "upper trapezius, left".
SIDE_WORDS = {
    "left": _("left"),
    "right": _("right"),
    "both": _("both sides"),
    "midline": _("midline"),
}


class NoteRequirements(models.Model):
    """A clinic's minimum content of a note before it may be signed; a clinic without a row
    has the defaults (`for_clinic`). Trigger points are always rated before signing."""

    clinic = models.OneToOneField(
        "clinic.Clinic", on_delete=models.CASCADE, related_name="note_requirements"
    )
    soap_required = models.BooleanField(
        default=True, verbose_name=_("At least one part of the SOAP note")
    )
    pain_before_required = models.BooleanField(
        default=True, verbose_name=_("Pain before the session")
    )
    pain_after_required = models.BooleanField(
        default=False, verbose_name=_("Pain after the session")
    )

    class Meta:
        verbose_name_plural = "note requirements"

    def __str__(self) -> str:
        return f"Note requirements of clinic {self.clinic_id}"

    @classmethod
    def for_clinic(cls, clinic_id: int) -> "NoteRequirements":
        return cls.objects.filter(clinic_id=clinic_id).first() or cls(clinic_id=clinic_id)


class SoapTemplate(models.Model):
    """A clinic's ready-made SOAP wording (managers keep them; a therapist inserts one and
    edits it), so a routine note is not typed from nothing."""

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    subjective = models.TextField(_("subjective"), blank=True)
    objective = models.TextField(_("objective"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    plan = models.TextField(_("plan"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="soap_template_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


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


# The hold a technique aims for, in seconds, which the recording page counts down: ischemic
# compression holds until the tissue releases, about 30 s (Simons, Travell & Simons); pincer
# compression the same; post-isometric relaxation contracts for about 10 s before each stretch.
HOLD_TARGETS = {
    Technique.ISCHEMIC_COMPRESSION: 30,
    Technique.PINCER_COMPRESSION: 30,
    Technique.MUSCLE_ENERGY: 10,
    Technique.PASSIVE_STRETCH: 30,
}


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
    # Empty while the therapist is still palpating: the draft saves, signing asks for it.
    tenderness = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)
    pressure_pain_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(20)],
        help_text=_("kg/cm²"),
    )
    referral_pattern = models.CharField(max_length=200, blank=True)
    # Where the patient says the pressed point sends the pain, tapped on the chart: a list of
    # {"region", "side"} (the free-text `referral_pattern` stays as a note).
    referral_regions = models.JSONField(
        default=list, blank=True, validators=[referral_regions_valid]
    )
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
                condition=score_0_to_10("tenderness", nullable=True), name="tp_tenderness_0_10"
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

    def corrected_values(self) -> dict:
        """What the addenda corrected, field by field, the latest correction winning: `muscle`
        (a Muscle), `side` (its label), `tenderness`, `pressure`. Reads the prefetched
        corrections."""
        values: dict = {}
        for c in self.corrections.all():
            if c.muscle_id:
                values["muscle"] = c.muscle
            if c.side:
                values["side"] = c.get_side_display()
            if c.tenderness is not None:
                values["tenderness"] = c.tenderness
            if c.pressure is not None:
                values["pressure"] = c.pressure
        return values

    @property
    def referral_regions_shown(self) -> str:
        """ "Head; Jaw, right": the referral the patient reported, in words."""
        return referral_regions_words(self.referral_regions)

    @property
    def where(self) -> str:
        """ "upper trapezius, left": how a therapist names the point in a sentence."""
        return f"{self.muscle.name.lower()}, {SIDE_WORDS.get(self.side, self.side)}"


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

    def save(self, *args, **kwargs):
        # The ROM report reads `MobilityCourse`: a measurement saved on its own rebuilds its
        # patient's in the same transaction (services writing many at once rebuild once).
        from .summaries import mobility_courses_refresh  # summaries imports this module

        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            mobility_courses_refresh(patient_ids=[self.patient_id])

    def clean(self):
        super().clean()
        movement = getattr(self, "movement", None) if self.movement_id else None
        if movement and self.degrees is not None and self.degrees > movement.max_degrees:
            raise ValidationError(
                {
                    "degrees": _(
                        "%(movement)s reaches at most %(max)s° (normal %(normal)s°): check the "
                        "reading."
                    )
                    % {
                        "movement": movement,
                        "max": movement.max_degrees,
                        "normal": movement.normal_degrees,
                    }
                }
            )

    @property
    def percent_shown(self) -> int | None:
        """% of normal, or None for a reading beyond the movement's maximum (an older row
        saved before the check): a 1000 % would only mislead."""
        if self.degrees > self.movement.max_degrees:
            return None
        return round(100 * self.degrees / self.movement.normal_degrees)


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


class PointCorrection(models.Model):
    """What a correcting addendum changes in one trigger point: a field left empty keeps the
    recorded value. The point itself stays as signed (shown struck through); the history, the
    derived visits and the reports read the latest correction over it."""

    clinic_lookup = "addendum__session__patient__clinic"
    is_clinical = True

    addendum = models.ForeignKey(Addendum, on_delete=models.PROTECT, related_name="corrections")
    trigger_point = models.ForeignKey(
        TriggerPoint, on_delete=models.PROTECT, related_name="corrections"
    )
    muscle = models.ForeignKey(
        Muscle, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    tenderness = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)
    pressure = models.PositiveSmallIntegerField(null=True, blank=True, validators=ZERO_TO_TEN)

    class Meta:
        ordering = ["addendum", "id"]
        constraints = [
            models.CheckConstraint(
                condition=score_0_to_10("tenderness", nullable=True),
                name="correction_tenderness_0_10",
            ),
            models.CheckConstraint(
                condition=score_0_to_10("pressure", nullable=True),
                name="correction_pressure_0_10",
            ),
            models.CheckConstraint(
                condition=Q(muscle__isnull=False)
                | ~Q(side="")
                | Q(tenderness__isnull=False)
                | Q(pressure__isnull=False),
                name="correction_changes_something",
            ),
        ]

    def __str__(self) -> str:
        return f"Correction of trigger point {self.trigger_point_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise SignedRecordLocked("A correction is part of the record: add another addendum.")
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
    # The muscle has an essential referral zone over a region the patient rated 1 or more in
    # the pain map before the session (`sessions.atlas.pain_map_before`): the concordance
    # report counts these.
    concordant = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [models.Index(fields=["clinic", "started_at"], name="trigger_point_visit_period")]

    def __str__(self) -> str:
        return f"Trigger point {self.trigger_point_id}, visit {self.visit}"


class MobilityCourse(models.Model):
    """Derived, never edited: one patient's range of motion in one movement and side, its
    first and its most recent measurement, as `reports.selectors.rom_change` compares them.
    One row over every measurement (`therapist` empty) and one over each therapist's own, so
    the report filtered by therapist still compares that therapist's first and latest.

    Rebuilt by `sessions.summaries` with the measurements, so the report reads one row per
    movement and side instead of every measurement."""

    clinic_lookup = "clinic"
    is_clinical = True
    # Rebuilt from the record, never moved or edited (a patient merge rebuilds it).
    is_derived = True

    # Copied from the patient and the sessions: the report filters on them without joins.
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    first = models.PositiveSmallIntegerField()
    first_at = models.DateTimeField()
    # The most recent measurement after the first; none while only one moment is measured.
    latest = models.PositiveSmallIntegerField(null=True)
    latest_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "movement", "side"],
                condition=Q(therapist__isnull=True),
                name="mobility_course_once",
            ),
            models.UniqueConstraint(
                fields=["patient", "movement", "side", "therapist"],
                condition=Q(therapist__isnull=False),
                name="mobility_course_once_per_therapist",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "therapist", "first_at"], name="mobility_course_period")
        ]

    def __str__(self) -> str:
        return f"{self.movement_id} {self.first}° -> {self.latest}°"


class PerpetuatingFactor(models.TextChoices):
    """Postural, work and sleep findings that keep muscles loaded and their trigger points
    active (Travell & Simons, vol. 1 ch. 4 "Perpetuating factors"; the muscles each loads are in
    `sessions.factors.LOADED_MUSCLES`)."""

    FORWARD_HEAD = "forward_head", _("Forward head posture")
    ROUNDED_SHOULDERS = "rounded_shoulders", _("Rounded shoulders")
    ANTERIOR_PELVIC_TILT = "anterior_pelvic_tilt", _("Anterior pelvic tilt")
    LEG_LENGTH_DIFFERENCE = "leg_length_difference", _("Leg-length difference")
    PROLONGED_SITTING = "prolonged_sitting", _("Prolonged sitting")
    REPETITIVE_OVERHEAD_WORK = "repetitive_overhead_work", _("Repetitive overhead work")
    POOR_SLEEP_POSTURE = "poor_sleep_posture", _("Poor sleep posture")
    PHONE_CRADLING = "phone_cradling", _("Phone held between ear and shoulder")
    KEYBOARD_MOUSE = "keyboard_mouse", _("Long keyboard and mouse work")
    JAW_CLENCHING = "jaw_clenching", _("Jaw clenching or grinding")


class SessionFactor(SessionPart):
    """A perpetuating factor found in this session (part of the note, locked with it)."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="factors")
    factor = models.CharField(max_length=32, choices=PerpetuatingFactor.choices)

    class Meta:
        ordering = ["session", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["session", "factor"], name="session_factor_once")
        ]

    def __str__(self) -> str:
        return self.get_factor_display()


class ReferenceThreshold(SessionPart):
    """A pressure-pain threshold measured at a reference site (no trigger point: Fischer used
    the deltoid), so a point's threshold can be read against the patient's own baseline."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, related_name="reference_thresholds"
    )
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    pressure_pain_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(20)],
        help_text=_("kg/cm²"),
    )

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "muscle", "side"], name="reference_threshold_once"
            ),
            models.CheckConstraint(
                condition=Q(pressure_pain_threshold__gt=0, pressure_pain_threshold__lte=20),
                name="reference_threshold_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Reference threshold {self.pressure_pain_threshold} kg/cm²"


class FactorFollowUp(models.Model):
    """The patient's answer at the check-in about a factor recorded in the session: did they
    manage to change it since?"""

    clinic_lookup = "check_in__session__patient__clinic"
    is_clinical = True

    class Answer(models.TextChoices):
        MOSTLY = "mostly", _("Mostly avoided or corrected")
        SOMETIMES = "sometimes", _("Sometimes")
        NOT_YET = "not_yet", _("Not yet")

    check_in = models.ForeignKey(CheckIn, on_delete=models.PROTECT, related_name="factor_answers")
    factor = models.CharField(max_length=32, choices=PerpetuatingFactor.choices)
    answer = models.CharField(max_length=10, choices=Answer.choices)

    class Meta:
        ordering = ["check_in", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["check_in", "factor"], name="factor_follow_up_once")
        ]

    def __str__(self) -> str:
        return f"{self.factor}: {self.answer}"


class TriggerPointSettings(models.Model):
    """A clinic's trigger-point analysis settings; a clinic without a row has the defaults
    (`for_clinic`)."""

    clinic = models.OneToOneField(
        "clinic.Clinic", on_delete=models.CASCADE, related_name="trigger_point_settings"
    )
    # domain.md: MDC 0.45-0.62 kg/cm² on upper-trapezius points; a smaller change is noise.
    minimal_detectable_change = models.DecimalField(
        _("minimal detectable change (kg/cm²)"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.60"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("5"))],
    )
    reference_muscle = models.ForeignKey(
        Muscle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reference site"),
    )
    # Below this many followed points a forecast group is too thin: a coarser group answers.
    forecast_min_points = models.PositiveSmallIntegerField(
        _("points a forecast group needs"),
        default=10,
        validators=[MinValueValidator(3), MaxValueValidator(500)],
    )

    class Meta:
        verbose_name_plural = "trigger-point settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(minimal_detectable_change__gt=0), name="tp_settings_mdc_positive"
            ),
            models.CheckConstraint(
                condition=Q(forecast_min_points__gte=3), name="tp_settings_min_points"
            ),
        ]

    def __str__(self) -> str:
        return f"Trigger-point settings of clinic {self.clinic_id}"

    @classmethod
    def for_clinic(cls, clinic_id: int) -> "TriggerPointSettings":
        return cls.objects.select_related("reference_muscle").filter(
            clinic_id=clinic_id
        ).first() or cls(clinic_id=clinic_id)


class ReleaseForecast(models.Model):
    """Derived, never edited: a clinic's Kaplan-Meier estimate of the sessions a trigger point
    needs until it releases, per group. `level` 3 is muscle + kind + chronicity, 2 muscle +
    kind, 1 muscle, 0 every point of the clinic; the dimensions a level does not use are empty.
    Rebuilt by `sessions.forecasts` (a nightly job), so a page reads one row."""

    clinic_lookup = "clinic"
    is_clinical = True
    is_derived = True

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField()
    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=6, blank=True)
    # A patients.DurationCategory, "unknown" without an intake, "" when the level ignores it.
    chronicity = models.CharField(max_length=8, blank=True)
    points = models.PositiveIntegerField()
    released = models.PositiveIntegerField()
    # Sessions until release at which the estimated share still unreleased falls to 75 %,
    # 50 %, 25 % and 20 %; empty when the curve never falls that low (too many censored).
    q25 = models.PositiveSmallIntegerField(null=True)
    median = models.PositiveSmallIntegerField(null=True)
    q75 = models.PositiveSmallIntegerField(null=True)
    p80 = models.PositiveSmallIntegerField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "level", "muscle", "kind", "chronicity"],
                name="release_forecast_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"Release forecast level {self.level}: median {self.median}"
