"""Scheduling: follow-ups, the reminders that announce them and each clinic's reminder policy.
The tables kept the names they had in the treatments app (scheduling migration 0001)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models import Channel, Patient
from sessions.models import TreatmentSession


class FollowUp(models.Model):
    clinic_lookup = "patient__clinic"
    is_clinical = False  # scheduling: front desk books and watches these

    class Kind(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment")
        CHECK_IN = "check_in", _("Check-in")
        CALL = "call", _("Phone call")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CONFIRMED = "confirmed", _("Confirmed")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_ups")
    session = models.ForeignKey(
        TreatmentSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.APPOINTMENT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    due_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    # Set when the patient confirms or cancels from a reminder's link, so staff see who answered.
    answered_by_patient_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "treatments_followup"
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="followup_status_due"),
            models.Index(fields=["patient", "due_at"], name="followup_patient_due"),
            models.Index(fields=["therapist", "due_at"], name="followup_therapist_due"),
            # The home page's follow-ups of the day, every status but cancelled.
            models.Index(fields=["due_at"], name="followup_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PLANNED, self.Status.CONFIRMED)


class Reminder(models.Model):
    """One message to send. The database row is the source of truth; a worker only acts on a
    row it has claimed, so a message is sent once however often its task is delivered."""

    clinic_lookup = "follow_up__patient__clinic"
    is_clinical = False

    class Kind(models.TextChoices):
        # The hours come from the clinic's ReminderPolicy (48 h and 2 h by default).
        BEFORE_48H = "before_48h", _("Early reminder")
        BEFORE_2H = "before_2h", _("Late reminder")
        CHECK_IN_REQUEST = "check_in_request", _("Check-in request")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="reminders")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    send_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A fresh value at every claim; a task carries the value it was handed, so a task whose row
    # was reclaimed since (or sent already) finds a different lease and does nothing.
    lease = models.UUIDField(null=True, blank=True)
    # When the worker sending this row last said it is still at it: empty while the row waits
    # in the broker, renewed while a worker works through its chunk. A row whose heartbeat stops
    # (its worker died) is handed out again after REMINDER_LEASE_SECONDS.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=120, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The confirm/cancel link in an appointment reminder: only its hash is kept, used once.
    answer_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "treatments_reminder"
        ordering = ["send_at"]
        indexes = [
            models.Index(fields=["status", "send_at"], name="reminder_due"),
            models.Index(fields=["status", "claimed_at"], name="reminder_claimed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "channel", "kind"], name="reminder_once_per_channel_kind"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()}"


class ReminderPolicy(models.Model):
    """When and how a clinic reminds its patients; set by a manager. Quiet hours are in the
    clinic's own time zone and may wrap past midnight (21:00-08:00)."""

    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.OneToOneField(
        "clinic.Clinic", on_delete=models.CASCADE, related_name="reminder_policy"
    )
    first_reminder_hours = models.PositiveSmallIntegerField(
        default=48, validators=[MinValueValidator(1), MaxValueValidator(336)]
    )
    second_reminder_hours = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(336)]
    )
    check_in_after_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    email_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "treatments_reminderpolicy"
        verbose_name_plural = "reminder policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(first_reminder_hours__gt=F("second_reminder_hours")),
                name="policy_first_before_second",
            ),
            models.CheckConstraint(
                condition=Q(check_in_after_hours__gte=1), name="policy_check_in_after_1h"
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder policy of clinic {self.clinic_id}"

    def clean(self):
        if (
            self.first_reminder_hours is not None
            and self.second_reminder_hours is not None
            and self.first_reminder_hours <= self.second_reminder_hours
        ):
            raise ValidationError(
                {"first_reminder_hours": _("The first reminder must come before the second.")}
            )

    @property
    def channels(self) -> list[str]:
        return [
            channel
            for channel, enabled in (
                (Channel.EMAIL, self.email_enabled),
                (Channel.SMS, self.sms_enabled),
            )
            if enabled
        ]
