"""Plans of care: an episode of treatment with its complaint, goals tied to measures, planned
course, re-assessment date and discharge. A plan is signed like a note and then locked (in the
model and by PostgreSQL, plans migration 0002); a change after signing is a new version whose
`previous` is the signed one, which stays visible as it was."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outcomes.models import Direction, Instrument
from patients.models import BodyRegion, Patient, Side
from sessions.models import Movement, SignedRecordLocked


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    PLATEAU = "plateau", _("Progress has plateaued")
    PATIENT_CHOICE = "patient_choice", _("Patient's choice")
    REFERRED = "referred", _("Referred elsewhere")
    DID_NOT_RETURN = "did_not_return", _("Did not return")
    OTHER = "other", _("Other")


class PlanOfCare(models.Model):
    """One version of a patient's plan of care. The first version opens the episode; each later
    version points at the one it replaces (`previous`) and keeps the episode's `opened_at`."""

    clinic_lookup = "patient__clinic"
    is_clinical = True

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        # A signed version replaced by a later signed version of the same episode.
        SUPERSEDED = "superseded", _("Replaced by a later version")
        DISCHARGED = "discharged", _("Discharged")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans_of_care")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plans_of_care"
    )
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    complaint = models.TextField(_("complaint"))
    regions = models.JSONField(_("body regions"), default=list, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        _("sessions a week"), validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    weeks = models.PositiveSmallIntegerField(
        _("weeks"), validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    reassess_on = models.DateField(_("re-assessment due"))
    # When the episode began (the first version's creation): sessions from that clinic day on
    # belong to it, and each goal's baseline is the measure as it stood then.
    opened_at = models.DateTimeField()
    revision_reason = models.CharField(_("reason for the new version"), max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_reason = models.CharField(max_length=16, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)
    # Computed once at discharge, per goal: baseline, latest, target and whether it was met.
    outcome_summary = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-version"]
        indexes = [
            models.Index(fields=["patient", "status"], name="plan_patient_status"),
            # Beat's sweep and the home page: active plans by re-assessment date.
            models.Index(
                fields=["reassess_on"], name="plan_reassess_due", condition=Q(status="active")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="active"), name="plan_one_active"
            ),
            # One plan being written at a time (a first plan or the next version).
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="draft"), name="plan_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(sessions_per_week__gte=1, sessions_per_week__lte=7),
                name="plan_sessions_per_week_1_7",
            ),
            models.CheckConstraint(condition=Q(weeks__gte=1, weeks__lte=52), name="plan_weeks"),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True)
                | (~Q(status="draft") & Q(signed_at__isnull=False, signed_by__isnull=False)),
                name="plan_signed_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(status="discharged", discharged_at__isnull=False)
                & ~Q(discharge_reason="")
                | (~Q(status="discharged") & Q(discharged_at__isnull=True, discharge_reason="")),
                name="plan_discharge_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(previous__isnull=True, version=1)
                | Q(previous__isnull=False, version__gt=1),
                name="plan_version_follows_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of care #{self.pk} v{self.version} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        # Checked against the stored row: an in-memory copy cannot re-open a signed plan. The
        # services' own transitions (sign, supersede, discharge) go through `save_transition`.
        if self.pk and PlanOfCare.objects.filter(pk=self.pk).exclude(status="draft").exists():
            raise SignedRecordLocked(f"Plan {self.pk} is signed; make a new version.")
        super().save(*args, **kwargs)

    def save_transition(self, *, fields: list[str]) -> None:
        """Write a signed plan's status change (superseded, discharged) and nothing else."""
        allowed = {"status", "discharged_at", "discharged_by", "discharge_reason",
                   "discharge_note", "outcome_summary", "updated_at"}  # fmt: skip
        if not set(fields) <= allowed:
            raise SignedRecordLocked(f"Plan {self.pk} is signed; make a new version.")
        super().save(update_fields=[*fields, "updated_at"])

    def delete(self, *args, **kwargs):
        raise SignedRecordLocked("Plans of care are clinical records and are never deleted.")

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def planned_sessions(self) -> int:
        return self.sessions_per_week * self.weeks

    def region_labels(self) -> list[str]:
        return [str(BodyRegion(code).label) for code in self.regions if code in BodyRegion.values]

    def clean(self):
        super().clean()
        unknown = [code for code in self.regions or [] if code not in BodyRegion.values]
        if not isinstance(self.regions, list) or unknown:
            raise ValidationError({"regions": [_("Choose body regions from the list.")]})


class Comparator(models.TextChoices):
    AT_MOST = "lte", "≤"
    AT_LEAST = "gte", "≥"


class PlanGoal(models.Model):
    """A goal tied to a measure the record already keeps: pain in a region and side (NPRS,
    at most N), range of motion of a movement and side (at least N degrees), a PSFS activity
    (at least N), an instrument's total (at most or at least N by the instrument's direction:
    "NDI <= 10", "LEFS >= 60"). Part of its plan: locked with it once signed."""

    clinic_lookup = "plan__patient__clinic"
    is_clinical = True

    class Kind(models.TextChoices):
        PAIN = "pain", _("Pain in a region")
        ROM = "rom", _("Range of motion")
        PSFS = "psfs", _("PSFS activity")
        INSTRUMENT = "instrument", _("Questionnaire total")

    plan = models.ForeignKey(PlanOfCare, on_delete=models.PROTECT, related_name="goals")
    position = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    region = models.CharField(max_length=16, choices=BodyRegion.choices, blank=True)
    side = models.CharField(max_length=8, choices=Side.choices, blank=True)
    movement = models.ForeignKey(
        Movement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activity = models.CharField(max_length=200, blank=True)
    # One version of an index (its totals are never compared across versions).
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comparator = models.CharField(max_length=3, choices=Comparator.choices)
    target = models.DecimalField(
        max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["plan", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["pain", "rom", "psfs", "instrument"]), name="goal_kind"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind="instrument",
                    instrument__isnull=False,
                    region="",
                    side="",
                    activity="",
                    movement__isnull=True,
                )
                | (~Q(kind="instrument") & Q(instrument__isnull=True)),
                name="goal_instrument_shape",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=~Q(kind="pain")
                | (
                    Q(comparator="lte", target__gte=0, target__lte=10)
                    & ~Q(region="")
                    & ~Q(side="")
                    & Q(movement__isnull=True, activity="")
                ),
                name="goal_pain_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind="rom")
                | (
                    Q(comparator="gte", movement__isnull=False, target__gte=0, target__lte=360)
                    & ~Q(side="")
                    & Q(region="", activity="")
                ),
                name="goal_rom_shape",
            ),
            models.CheckConstraint(
                condition=~Q(kind="psfs")
                | (
                    Q(comparator="gte", target__gte=0, target__lte=10)
                    & ~Q(activity="")
                    & Q(region="", side="", movement__isnull=True)
                ),
                name="goal_psfs_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        if PlanOfCare.objects.filter(pk=self.plan_id).exclude(status="draft").exists():
            raise SignedRecordLocked(f"Plan {self.plan_id} is signed; make a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if PlanOfCare.objects.filter(pk=self.plan_id).exclude(status="draft").exists():
            raise SignedRecordLocked(f"Plan {self.plan_id} is signed; make a new version.")
        return super().delete(*args, **kwargs)

    @property
    def measure_label(self) -> str:
        if self.kind == self.Kind.PAIN:
            return str(_("Pain, %(region)s (%(side)s)")) % {
                "region": BodyRegion(self.region).label,
                "side": Side(self.side).label,
            }
        if self.kind == self.Kind.ROM and self.movement is not None:
            return f"{self.movement} ({Side(self.side).label})"
        if self.kind == self.Kind.INSTRUMENT and self.instrument is not None:
            return f"{self.instrument.code.upper()} {self.instrument.version}"
        return str(_("PSFS: %(activity)s")) % {"activity": self.activity}

    @property
    def unit(self) -> str:
        if self.kind == self.Kind.ROM:
            return "°"
        return "" if self.kind == self.Kind.INSTRUMENT else "/10"

    @property
    def label(self) -> str:
        return f"{self.measure_label} {self.get_comparator_display()} {self.target.normalize():f}"

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}
        measures: dict[str, dict[str, object]] = {
            "pain": {"region": self.region, "side": self.side},
            "rom": {"movement": self.movement_id, "side": self.side},
            "psfs": {"activity": self.activity.strip()},
            "instrument": {"instrument": self.instrument_id},
        }
        needs = measures.get(self.kind, {})
        for name, value in needs.items():
            if not value:
                errors[name] = [_("This goal needs it.")]
        low, high = self.target_range()
        if self.target is not None and not low <= self.target <= high:
            errors["target"] = [_("Between %(low)s and %(high)s.") % {"low": low, "high": high}]
        if errors:
            raise ValidationError(errors)
        self.comparator = self.direction()
        # Only the fields of its kind: a goal names its measure once.
        keep = {"pain": {"region", "side"}, "rom": {"movement", "side"}, "psfs": {"activity"},
                "instrument": {"instrument"}}[self.kind]  # fmt: skip
        for name in {"region", "side", "activity"} - keep:
            setattr(self, name, "")
        for name in {"movement", "instrument"} - keep:
            setattr(self, name, None)

    def target_range(self) -> tuple[Decimal, Decimal]:
        if self.kind == self.Kind.ROM:
            return Decimal(0), Decimal(360)
        if self.kind == self.Kind.INSTRUMENT and self.instrument is not None:
            return self.instrument.range_min, self.instrument.range_max
        return Decimal(0), Decimal(10)

    def direction(self) -> str:
        """Less pain; more range and function; an index by its own direction."""
        if self.kind == self.Kind.PAIN:
            return Comparator.AT_MOST
        if self.kind == self.Kind.INSTRUMENT and self.instrument is not None:
            worse = self.instrument.direction == Direction.HIGHER_WORSE
            return Comparator.AT_MOST if worse else Comparator.AT_LEAST
        return Comparator.AT_LEAST


class ReassessmentReminder(models.Model):
    """The therapist was told a plan's re-assessment is due: one row per plan and due date, so
    the beat task tells them once however often it runs."""

    clinic_lookup = "plan__patient__clinic"
    is_clinical = True

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(PlanOfCare, on_delete=models.PROTECT, related_name="reminders")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on"], name="reassessment_reminded_once"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reassessment_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-assessment reminder for plan {self.plan_id} ({self.due_on})"
