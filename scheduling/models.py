"""Scheduling: the appointment book (rooms, therapists' hours, appointments), follow-ups, the
reminders that announce them and each clinic's reminder policy. The follow-up, reminder and policy
tables kept the names they had in the treatments app (scheduling migration 0001)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
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
        # A questionnaire the patient fills from a link (outcomes: NDI, LEFS, PSFS, ...).
        OUTCOME = "outcome", _("Questionnaire")

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


class Room(models.Model):
    """A treatment room; an appointment may take one, and a room holds one appointment at a time."""

    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="room_name_once_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    """One interval a therapist works on a weekday (0 is Monday), in the clinic's time zone; a
    split day has two rows."""

    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_0_6"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="hours_end_after_start"),
        ]
        indexes = [models.Index(fields=["clinic", "therapist", "weekday"], name="hours_lookup")]

    def __str__(self) -> str:
        return f"{self.weekday} {self.starts}-{self.ends}"


class WorkingHoursException(models.Model):
    """Days that differ from the weekly hours, first_day to last_day inclusive: a row without
    times is leave; a row with times is one interval of a changed day (two rows: a split day).
    On a day any exception covers, only the exceptions' intervals count."""

    clinic_lookup = "clinic"
    is_clinical = False

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["first_day", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="hours_exception_days_in_order"
            ),
            models.CheckConstraint(
                condition=Q(starts__isnull=True, ends__isnull=True)
                | Q(starts__isnull=False, ends__gt=F("starts")),
                name="hours_exception_leave_or_interval",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "first_day"], name="hours_exception_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.first_day}-{self.last_day}"

    @property
    def is_leave(self) -> bool:
        return self.starts is None


class Appointment(models.Model):
    """A patient's time with a therapist (and maybe a room) on the book. The database refuses two
    active appointments of one therapist, or of one room, whose times overlap (PostgreSQL
    exclusion constraints, scheduling migration 0002); appointments.py gives the same answer on
    any database and translates the constraint's refusal into it."""

    clinic_lookup = "clinic"
    is_clinical = False  # front desk books and runs the day

    class Kind(models.TextChoices):
        INITIAL_ASSESSMENT = "initial", _("Initial assessment")
        TREATMENT = "treatment", _("Treatment")
        REASSESSMENT = "reassessment", _("Re-assessment")

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ARRIVED = "arrived", _("Arrived")
        IN_TREATMENT = "in_treatment", _("In treatment")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    # The statuses that hold the therapist's and the room's time (the exclusion constraints'):
    # all but cancelled and no-show, whose slot is free again.
    HOLDS_TIME = (Status.BOOKED, Status.ARRIVED, Status.IN_TREATMENT, Status.COMPLETED)

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.TREATMENT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    # The patient confirmed from a reminder's link.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_by_patient = models.BooleanField(default=False)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # Within the clinic's late-cancellation window when it was cancelled: kept, not derived,
    # so a later change of the window does not rewrite the past figures.
    cancelled_late = models.BooleanField(default=False)
    # The session started from this appointment; signing it completes the appointment.
    session = models.OneToOneField(
        TreatmentSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment",
    )
    # The booking request (a follow-up planned in a note) this appointment fulfils.
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_day"),
            models.Index(fields=["therapist", "starts_at"], name="appointment_therapist_day"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for patient {self.patient_id}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        """Still expected: reminders go out and the patient may confirm or cancel."""
        return self.status == self.Status.BOOKED

    @property
    def due_at(self) -> dt.datetime:
        """The moment reminders announce (as a follow-up's)."""
        return self.starts_at


class WaitlistEntry(models.Model):
    """A patient's request for an earlier slot: with a therapist or any, on some weekdays, in some
    parts of the day (the clinic's zone), until a date. When a matching slot frees, the first
    entries by request time are offered it (scheduling/waitlist.py). Weekdays and parts of the
    day are bit sets, so matching a freed slot is one indexed query."""

    clinic_lookup = "clinic"
    is_clinical = False  # front desk keeps the waitlist

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        BOOKED = "booked", _("Booked")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class PartOfDay(models.IntegerChoices):
        # Bits; a slot's part is its start's: before 12:00, 12:00-17:00, from 17:00.
        MORNING = 1, _("Morning")
        AFTERNOON = 2, _("Afternoon")
        EVENING = 4, _("Evening")

    ALL_WEEKDAYS = 0b1111111
    ALL_PARTS = 0b111

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist")
    # Empty: any therapist of the clinic.
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    weekdays = models.PositiveSmallIntegerField(default=ALL_WEEKDAYS)  # bit 0 is Monday
    parts_of_day = models.PositiveSmallIntegerField(default=ALL_PARTS)
    until = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    kind = models.CharField(
        max_length=12, choices=Appointment.Kind.choices, default=Appointment.Kind.TREATMENT
    )
    # The later appointment the patient wants earlier: only earlier slots are offered, and it
    # is cancelled when they accept one.
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)  # the request time: the queue's order
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [
            models.Index(fields=["clinic", "status", "created_at"], name="waitlist_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=127), name="waitlist_some_weekday"
            ),
            models.CheckConstraint(
                condition=Q(parts_of_day__gte=1, parts_of_day__lte=7),
                name="waitlist_some_part_of_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry of patient {self.patient_id}"

    @property
    def weekday_list(self) -> list[int]:
        return [day for day in range(7) if self.weekdays & (1 << day)]

    @property
    def weekday_names(self) -> list[str]:
        return [WEEKDAYS_ABBR[day] for day in self.weekday_list]

    @property
    def part_list(self) -> list["WaitlistEntry.PartOfDay"]:
        return [part for part in self.PartOfDay if self.parts_of_day & part]


class FreedSlot(models.Model):
    """Time that a cancellation freed on a therapist's book, offered to the waitlist. Its row is
    the lock the patients' acceptances queue on: the first to accept takes it."""

    clinic_lookup = "clinic"
    is_clinical = False

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TAKEN = "taken", _("Taken")
        LAPSED = "lapsed", _("Lapsed")  # nobody (left) to offer it to

    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["status", "starts_at"], name="freed_slot_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="freed_slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Freed slot {self.starts_at:%Y-%m-%d %H:%M}"


class WaitlistOffer(models.Model):
    """A freed slot offered to one waitlist entry, by the patient's reminder channels (Reminder
    rows of kind slot_offer; slot_taken tells them when someone else accepted first)."""

    clinic_lookup = "entry__patient__clinic"
    is_clinical = False

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TAKEN = "taken", _("Taken by someone else")
        EXPIRED = "expired", _("Expired")

    slot = models.ForeignKey(FreedSlot, on_delete=models.PROTECT, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # The appointment the patient got by accepting.
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_expiry")]
        constraints = [
            models.UniqueConstraint(fields=["slot", "entry"], name="offer_once_per_slot_entry"),
        ]

    def __str__(self) -> str:
        return f"Offer of slot {self.slot_id} to entry {self.entry_id}"

    @property
    def patient(self) -> Patient:
        return self.entry.patient

    @property
    def due_at(self) -> dt.datetime:
        """The moment the offer's messages announce: the slot's start."""
        return self.slot.starts_at

    @property
    def is_open(self) -> bool:
        """Still to be answered: offered and not expired (expiry is also checked on open, so a
        late beat never lets an expired offer be accepted)."""
        return self.status == self.Status.OFFERED and self.expires_at > timezone.now()


class Reminder(models.Model):
    """One message to send, about an appointment or a follow-up (exactly one of them). The
    database row is the source of truth; a worker only acts on a row it has claimed, so a
    message is sent once however often its task is delivered."""

    clinic_lookup = "patient__clinic"
    is_clinical = False

    class Kind(models.TextChoices):
        # The hours come from the clinic's ReminderPolicy (48 h and 2 h by default).
        BEFORE_48H = "before_48h", _("Early reminder")
        BEFORE_2H = "before_2h", _("Late reminder")
        CHECK_IN_REQUEST = "check_in_request", _("Check-in request")
        QUESTIONNAIRE_REQUEST = "questionnaire", _("Questionnaire request")
        # A freed slot offered to a waitlisted patient, and the news that someone took it first.
        SLOT_OFFER = "slot_offer", _("Earlier slot offered")
        SLOT_TAKEN = "slot_taken", _("Earlier slot taken")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
    offer = models.ForeignKey(
        WaitlistOffer, on_delete=models.PROTECT, null=True, blank=True, related_name="reminders"
    )
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
            models.UniqueConstraint(
                fields=["appointment", "channel", "kind"],
                name="reminder_once_per_appointment_channel_kind",
            ),
            models.UniqueConstraint(
                fields=["offer", "channel", "kind"], name="reminder_once_per_offer_channel_kind"
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False, follow_up__isnull=True, offer__isnull=True)
                | Q(appointment__isnull=True, follow_up__isnull=False, offer__isnull=True)
                | Q(appointment__isnull=True, follow_up__isnull=True, offer__isnull=False),
                name="reminder_of_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()}"

    @property
    def subject(self) -> "Appointment | FollowUp | WaitlistOffer":
        """What the message announces."""
        subject = self.offer or self.appointment or self.follow_up
        assert subject is not None  # the check constraint: exactly one of them
        return subject


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
    # A cancellation this close to the appointment counts as late (no-show and late rates).
    late_cancellation_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MaxValueValidator(168)]
    )
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
