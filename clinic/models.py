import datetime as dt
import hashlib
import hmac
import zoneinfo

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    time_zone = models.CharField(
        max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    # Printed on referral letters and signed notes; several lines, as on an envelope.
    address = models.TextField(blank=True)
    # CMTO keeps massage records 10 years after the last visit; other colleges differ.
    retention_years = models.PositiveSmallIntegerField(default=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_years__gte=1), name="clinic_retention_at_least_1y"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    THERAPIST = "therapist", _("Therapist")
    FRONT_DESK = "front_desk", _("Front desk")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Administrator")


# Roles that may read clinical content (SOAP notes, trigger points, pain, intake answers).
CLINICAL_ROLES = frozenset({Role.THERAPIST, Role.MANAGER, Role.ADMIN})
# Roles that run the clinic: outcome reports, the audit trail, reminder policy.
MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
# Roles that register and edit patients and import them (design.md: front desk and managers).
REGISTERING_ROLES = frozenset({Role.FRONT_DESK, Role.MANAGER, Role.ADMIN})


class Membership(models.Model):
    """A staff user's role in one clinic; a user may work in several clinics."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic"], name="membership_one_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.clinic}"

    @property
    def reads_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES


class AuditEvent(models.Model):
    """Who did what to which record, when and from where: one append-only row per read, list,
    write, signature or export of patient data. No health data goes in here, only ids.

    Each row carries an HMAC of its content under `AUDIT_HMAC_KEY`, a key the database never
    holds, so a row edited or forged behind the application's back is named by `audit_verify`.
    Rows are inserted without any lock; `AuditChainLink` puts them in one keyed chain after
    they commit (clinic/audit.py). On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE.

    On PostgreSQL the table is partitioned by month on `at` (migration 0016), so its primary key
    and unique constraint include `at`; `clinic.partitions` creates months ahead and drops those
    past retention. Django still treats `id` as the key: the identity sequence keeps it unique."""

    class Action(models.TextChoices):
        READ = "read", _("Read")
        LIST = "list", _("List")
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        SIGN = "sign", _("Sign")
        EXPORT = "export", _("Export")
        ROLE_CHANGE = "role_change", _("Role change")
        ERASE = "erase", _("Erasure")
        MERGE = "merge", _("Merge of duplicate records")
        LOGIN = "login", _("Sign-in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOCKOUT = "lockout", _("Sign-in locked")
        UNLOCK = "unlock", _("Sign-in unlocked")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")
        DISCARD = "discard", _("Discarded")

    # Every read inserts a row, so the table has only the indexes its pages and checks use:
    # clinic, actor and patient each with the time (no index of their own), the unique MAC.
    at = models.DateTimeField()
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Who acted when it was not a signed-in user: "patient-link", "system", a username tried.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    # The names of the fields a write changed ("phone,email"), never their values.
    fields = models.CharField(max_length=500, blank=True)
    # A plain id, not a foreign key: the trail outlives and never blocks the record it describes.
    patient_id = models.BigIntegerField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Random per row, so two events alike in every field still differ and a copied row is refused.
    nonce = models.CharField(max_length=32)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic", "at"], name="audit_clinic_time"),
            models.Index(fields=["patient_id", "at"], name="audit_patient_time"),
            models.Index(fields=["actor", "at"], name="audit_actor_time"),
        ]
        # A constraint, not `unique=True`: that adds a pattern index no query uses. With `at`,
        # because a partitioned table's unique keys hold its partition key; the MAC covers `at`,
        # so a copied row is refused all the same.
        constraints = [models.UniqueConstraint(fields=["mac", "at"], name="audit_mac_once")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_type} {self.object_id}"

    @property
    def record_name(self) -> str:
        """What kind of record it was, in words ("treatment session"), for the audit page;
        the label stays as it was stored when its model is gone."""
        if not self.object_type:
            return ""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type

    def payload(self) -> str:
        """The fields the hash covers, in a fixed order."""
        return "|".join(
            str(value)
            for value in (
                self.at.isoformat(),
                self.clinic_id,
                self.actor_id,
                self.actor_label,
                self.action,
                self.object_type,
                self.object_id,
                self.patient_id,
                self.ip,
                self.request_id,
                self.nonce,
                # Only rows that name fields hash them: rows written before the column keep
                # the payload (and so the HMAC) they were written with.
                *([self.fields] if self.fields else []),
            )
        )

    def compute_mac(self) -> str:
        return audit_hmac(self.payload())


def audit_hmac(message: str) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


class AuditChainLink(models.Model):
    """The audit trail's order: link `seq` holds one event and an HMAC over the previous link's,
    so deleting, reordering or truncating rows breaks the chain, and without the key nobody can
    recompute it. Written by `audit_chain` after the events commit, which is why writers never
    wait for one another; its head is also anchored outside the database (AUDIT_ANCHOR_FILE).

    On PostgreSQL the links are partitioned by their event's month (`event_at`) like the events,
    and point at them by (id, at), the events' key there: a month's links and events are dropped
    together once past retention, the drop recorded in an `AuditRetentionCut`."""

    seq = models.BigIntegerField(primary_key=True)
    # The constraint is made by migration 0016 on PostgreSQL, over (event_id, event_at).
    event = models.OneToOneField(
        AuditEvent, on_delete=models.PROTECT, related_name="chain_link", db_constraint=False
    )
    event_at = models.DateTimeField()
    previous = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"Audit link {self.seq}"

    def compute_mac(self) -> str:
        return audit_hmac(f"{self.seq}|{self.event_id}|{self.event.mac}|{self.previous}")


class AuditRetentionCut(models.Model):
    """A month of the audit trail dropped past its retention (clinic/partitions.py): the chain
    links it held, as runs of consecutive `seq` with the MAC of each run's last link, so
    `audit_verify` walks over the gap they leave instead of naming it a deletion. Keyed like the
    events; append-only; the owner's drop function refuses a month without one."""

    month = models.DateField(unique=True)
    at = models.DateTimeField()
    events = models.BigIntegerField()
    # [[first seq, last seq, MAC of the last], ...] in order.
    runs = models.JSONField()
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"Audit month {self.month:%Y-%m} dropped"

    def payload(self) -> str:
        runs = ";".join(f"{first}-{last}:{head}" for first, last, head in self.runs)
        return f"cut|{self.month.isoformat()}|{self.at.isoformat()}|{self.events}|{runs}"

    def compute_mac(self) -> str:
        return audit_hmac(self.payload())


class RecordVersion(models.Model):
    """A clinical row as it was before an UPDATE or DELETE, written by a PostgreSQL trigger, so
    no code path (bulk updates, raw SQL, the admin) changes a record without leaving its past
    state behind. Like the audit trail, append-only."""

    table_name = models.CharField(max_length=63)
    row_id = models.BigIntegerField()
    operation = models.CharField(max_length=6)  # UPDATE or DELETE
    old_row = models.JSONField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["table_name", "row_id", "id"], name="version_row")]

    def __str__(self) -> str:
        return f"{self.table_name} #{self.row_id} before {self.operation}"


class TOTPDevice(models.Model):
    """A staff member's authenticator app (RFC 6238 TOTP): the second factor every staff
    sign-in needs. `last_step` refuses a code that was already used (replay)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Authenticator of {self.user}"


class RecoveryCode(models.Model):
    """One-time codes for a lost phone; only their hashes are kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"Recovery code of {self.user}"


class SignInGuard(models.Model):
    """Failed sign-ins of one account at one step (password, or second-factor code) in the
    current window, and the lock they led to. One row per (username, step), read by its unique
    index on every attempt: the hot path never counts audit rows. The password step is keyed by
    the username as typed, so names that do not exist are counted (and locked) alike."""

    class Step(models.TextChoices):
        PASSWORD = "password", _("Password")
        CODE = "code", _("Authenticator or recovery code")

    username = models.CharField(max_length=150)
    step = models.CharField(max_length=8, choices=Step.choices)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "step"], name="sign_in_guard_one_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.step}): {self.failures} failures"


class ApiToken(models.Model):
    """A key for the REST API, issued per request of POST /api/v1/auth/token/. Only the SHA-256
    of the key is kept (the key is 32 random bytes: a slow hash adds nothing). A token ends
    API_TOKEN_MAX_HOURS after it was issued, after API_TOKEN_IDLE_MINUTES unused, when revoked,
    and when `grant` no longer matches its user (password, activity or clinic roles changed, by
    any path). Lifetimes are read from the settings at each use, so shortening them applies to
    tokens already issued."""

    class Reason(models.TextChoices):
        SIGNED_OUT = "signed_out", _("Signed out")
        BY_OWNER = "by_owner", _("Revoked by its owner")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        DEACTIVATED = "deactivated", _("Account deactivated")
        ROLE_CHANGED = "role_changed", _("Role changed or removed")
        # Found at use: the grant no longer matches (changed where no signal ran).
        GRANT_CHANGED = "grant_changed", _("Password, activity or roles changed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    # The key's first characters, so that its owner can tell tokens apart on the tokens page.
    hint = models.CharField(max_length=8)
    grant = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_ip = models.GenericIPAddressField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="api_token_user_time")]

    def __str__(self) -> str:
        return f"API token {self.hint}… of {self.user}"

    @property
    def expires_at(self):
        return self.created_at + dt.timedelta(hours=settings.API_TOKEN_MAX_HOURS)

    @property
    def idle_ends_at(self):
        return (self.last_used_at or self.created_at) + dt.timedelta(
            minutes=settings.API_TOKEN_IDLE_MINUTES
        )

    @property
    def ends_at(self):
        """When it stops working if nothing else happens: unused, or at its absolute end."""
        return min(self.idle_ends_at, self.expires_at)

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and now < self.ends_at
