"""Outcome measures as data: versioned instrument definitions and the patients' answers.

An `Instrument` is one version of one questionnaire (NDI 1991, LEFS 1999, a clinic's licensed
QuickDASH, ...): its items and answer options in English and Spanish, its scoring rule, range,
direction, minimal clinically important difference (MCID), source and licence decision. A
response keeps every answer per item and the total its instrument's rule gave; scores of two
versions are never pooled (reports group by code and version).

PSFS keeps its ratings where intake linking always wrote them (`patients.FunctionalScore`, one
row per activity and moment, feeding `PsfsCourse` and the PSFS report); its `Instrument` rows
carry the definition (scale, rule, direction, MCID) and re-ratings write more of those rows
(`outcomes.services.psfs_rerate`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
from patients.models import Patient

from .scoring import ScoringRule


class Direction(models.TextChoices):
    HIGHER_BETTER = "higher_better", _("Higher is better")
    HIGHER_WORSE = "higher_worse", _("Higher is worse")


class Occasion(models.TextChoices):
    """Why the instrument was taken: the reports compare first and latest whatever the reason,
    the chart labels each point with it."""

    INTAKE = "intake", _("Intake")
    INTERVAL = "interval", _("Regular re-rating")
    SESSION = "session", _("In session")
    REASSESSMENT = "reassessment", _("Re-assessment")
    DISCHARGE = "discharge", _("Discharge")


class Instrument(models.Model):
    """One version of one instrument. `clinic` is empty for the definitions shipped with the
    product and names the clinic that loaded its own (licensed) definition; a clinic sees both."""

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=32)
    version = models.CharField(max_length=16)
    name_en = models.CharField(max_length=200)
    name_es = models.CharField(max_length=200)
    # The document as loaded (outcomes.scoring.definition_validate): items with their options
    # and wording, or `activities` for the patient's own (PSFS).
    definition = models.JSONField()
    direction = models.CharField(max_length=16, choices=Direction.choices)
    range_min = models.DecimalField(max_digits=7, decimal_places=2)
    range_max = models.DecimalField(max_digits=7, decimal_places=2)
    mcid = models.DecimalField(max_digits=6, decimal_places=2)
    # Body regions whose complaint calls for this instrument at intake (neck -> NDI).
    regions = models.JSONField(default=list, blank=True)
    source = models.TextField()
    licence = models.TextField()
    active = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"],
                name="instrument_version_once",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(range_min__lt=models.F("range_max")), name="instrument_range"
            ),
            models.CheckConstraint(condition=Q(mcid__gt=0), name="instrument_mcid_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code.upper()} {self.version}"

    @property
    def name(self) -> str:
        return self.name_es if translation.get_language() == "es" else self.name_en

    @property
    def items(self) -> list[dict]:
        return self.definition.get("items", [])

    @property
    def activities(self) -> dict | None:
        return self.definition.get("activities")

    @property
    def rule(self) -> ScoringRule:
        return ScoringRule(self.definition["scoring"], item_count=len(self.items))

    def score(self, answers: Mapping[str, int | None]) -> Decimal | None:
        """The total by this instrument's own rule, None when too few items are answered."""
        return self.rule.total(answers, activities=self.activities)

    def allowed_values(self) -> dict[str, set[int]]:
        return {item["key"]: {o["value"] for o in item["options"]} for item in self.items}


class InstrumentResponse(models.Model):
    """One completed questionnaire: its answers per item (`ItemAnswer`) and the total its
    instrument's rule gave (None when too few items were answered to score)."""

    clinic_lookup = "patient__clinic"
    is_clinical = True

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    taken_at = models.DateTimeField()
    occasion = models.CharField(max_length=16, choices=Occasion.choices)
    language = models.CharField(max_length=8, default="en")
    total = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    answered = models.PositiveSmallIntegerField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_at"]
        indexes = [models.Index(fields=["patient", "taken_at"], name="response_patient_time")]

    def __str__(self) -> str:
        return f"{self.instrument} {self.total}"


class ItemAnswer(models.Model):
    """One item's answer; an item left out has no row."""

    clinic_lookup = "response__patient__clinic"
    is_clinical = True

    response = models.ForeignKey(
        InstrumentResponse, on_delete=models.PROTECT, related_name="answers"
    )
    item = models.CharField(max_length=16)
    value = models.SmallIntegerField()

    class Meta:
        ordering = ["response", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="answer_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.value}"


class QuestionnaireRequest(models.Model):
    """A one-time link asking the patient to fill an instrument (at intake, every N sessions or
    weeks, at re-assessment or discharge); only the token's hash is kept."""

    clinic_lookup = "patient__clinic"
    is_clinical = True

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    occasion = models.CharField(max_length=16, choices=Occasion.choices)
    language = models.CharField(max_length=8, default="en")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The follow-up whose reminder carries the link (scheduling sends it on the patient's
    # channels); its token is derived from it (scheduling.reminders.questionnaire_link_token).
    follow_up = models.OneToOneField(
        "scheduling.FollowUp", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # An index's answers; a PSFS re-rating's are FunctionalScore rows (the PSFS store).
    response = models.OneToOneField(
        InstrumentResponse, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.instrument} request"


class OutcomePolicy(models.Model):
    """When a clinic asks for its instruments again: every N signed sessions and/or every N
    weeks since the last response (0: not on that trigger)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="+")
    every_sessions = models.PositiveSmallIntegerField(default=4)
    every_weeks = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"Outcome policy of {self.clinic}"
