"""Settings shared by every environment. Production is this module plus the environment."""

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # A guessable key signs sessions and password-reset links: refuse to run without one.
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105
# The audit trail's HMAC key (clinic/audit.py). Kept out of the database on purpose: someone who
# can write the tables cannot forge or re-chain rows without it. Never rotate it: earlier rows
# would no longer verify. Derived from SECRET_KEY when unset (`check --deploy` warns).
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="") or f"derived:{SECRET_KEY}:audit-trail"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not a CDN (no CSP exception)
    "clinic",
    "patients",
    "sessions.apps.TreatmentsConfig",
    "scheduling",
    "outcomes",
    "plans",
    "interop",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clinic.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # NUL characters anywhere in a request answer 400 before a session or a query reads them.
    "clinic.input_guard.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After a write request, remembers the primary's WAL position for the user's next reports.
    "clinic.replica.ReplicaPinMiddleware",
    "clinic.second_factor.SecondFactorMiddleware",
    "clinic.throttle.SignInThrottleMiddleware",
    "clinic.middleware.ClinicTimeZoneMiddleware",
    "clinic.middleware.IdleSessionMiddleware",
    "clinic.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: a safe request it runs again re-runs the view only (clinic/transactions.py).
    "clinic.transactions.TransientFailureMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "clinic.context_processors.staff",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: take the write lock when a transaction begins (a
    # deferred lock cannot be upgraded under contention) and wait for it rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 30}
    )
# A PostgreSQL streaming replica (hot standby) for reports and exports (clinic/replica.py):
# reads there only inside their views' scope, never writes; a replica that lags more than
# DATABASE_REPLICA_MAX_LAG_SECONDS, is not streaming or is down is skipped for the primary. A
# user's own writes are waited for: the cache (CACHE_URL, shared by every web node) keeps the
# primary's WAL position after each of their write requests for DATABASE_REPLICA_PIN_SECONDS.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=10.0)
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=3600)
# A replica that does not answer is given this long to connect, and then left alone by this
# web process for DATABASE_REPLICA_RETRY_SECONDS (reports read the primary meanwhile), so a
# replica that is down costs one slow request per process, not one per report.
DATABASE_REPLICA_CONNECT_TIMEOUT = env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=30.0)
if DATABASE_REPLICA_URL:
    _replica = env.db_url_config(DATABASE_REPLICA_URL)
    if not (
        _replica["ENGINE"].endswith("postgresql")
        and DATABASES["default"]["ENGINE"].endswith("postgresql")
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL for both DATABASE_URL and the replica "
            "(a streaming standby of the primary)."
        )
    _replica.setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    _replica.setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_REPLICA_CONNECT_TIMEOUT
    # The test runner makes no database of its own for it: in tests it is the primary's.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
if (
    DATABASE_REPLICA_MAX_LAG_SECONDS <= 0
    or DATABASE_REPLICA_RETRY_SECONDS < 0
    or min(DATABASE_REPLICA_PIN_SECONDS, DATABASE_REPLICA_CONNECT_TIMEOUT) < 1
):
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_MAX_LAG_SECONDS must be > 0, DATABASE_REPLICA_RETRY_SECONDS >= 0, "
        "DATABASE_REPLICA_PIN_SECONDS and DATABASE_REPLICA_CONNECT_TIMEOUT >= 1."
    )
DATABASE_ROUTERS = ["clinic.replica.ReplicaRouter"]
# A write service caught in a deadlock or serialization failure runs again, this many attempts
# in all, pausing base * 2**(attempt-1) seconds (jittered); then the client gets 503 with
# Retry-After (clinic/transactions.py).
DATABASE_RETRY_ATTEMPTS = env.int("DATABASE_RETRY_ATTEMPTS", default=3)
DATABASE_RETRY_BASE_SECONDS = env.float("DATABASE_RETRY_BASE_SECONDS", default=0.05)
DATABASE_BUSY_RETRY_AFTER = env.int("DATABASE_BUSY_RETRY_AFTER", default=2)
if DATABASE_RETRY_ATTEMPTS < 1:
    raise ImproperlyConfigured("DATABASE_RETRY_ATTEMPTS must be at least 1.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Health records: 12 characters at least (OWASP ASVS 2.1.1), checked against common ones.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["clinic.auth.LockoutModelBackend"]
# The 6th wrong password in 15 minutes locks the username for 15 minutes, on every path.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# Wrong authenticator or recovery codes are counted on their own, per account, across sign-ins:
# 5 within 15 minutes lock the account's code step for a day, or until a manager unlocks it.
SECOND_FACTOR_FAILURE_LIMIT = env.int("SECOND_FACTOR_FAILURE_LIMIT", default=5)
SECOND_FACTOR_WINDOW_MINUTES = env.int("SECOND_FACTOR_WINDOW_MINUTES", default=15)
SECOND_FACTOR_LOCK_MINUTES = env.int("SECOND_FACTOR_LOCK_MINUTES", default=24 * 60)
# One client address may fail this many sign-ins (any step, any path) per window; then every
# sign-in attempt from it answers 429 until the window ends. Counted in the cache (CACHE_URL).
SIGN_IN_ADDRESS_FAILURE_LIMIT = env.int("SIGN_IN_ADDRESS_FAILURE_LIMIT", default=20)
SIGN_IN_ADDRESS_WINDOW_SECONDS = env.int("SIGN_IN_ADDRESS_WINDOW_SECONDS", default=15 * 60)
# The proxies (addresses or CIDR networks) whose X-Forwarded-For is believed. Empty: the peer's
# own address is the client's, whatever the header says.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an address or a network."
        ) from None
# API tokens end after this many minutes unused, and this many hours after they were issued.
API_TOKEN_IDLE_MINUTES = env.int("API_TOKEN_IDLE_MINUTES", default=60)
API_TOKEN_MAX_HOURS = env.int("API_TOKEN_MAX_HOURS", default=12)
if API_TOKEN_IDLE_MINUTES < 1 or API_TOKEN_MAX_HOURS < 1:
    raise ImproperlyConfigured("API_TOKEN_IDLE_MINUTES and API_TOKEN_MAX_HOURS must be >= 1.")
# Staff sessions end after 15 idle minutes (IdleSessionMiddleware renews them while in use);
# the page warns two minutes before.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Stored in UTC; each clinic shows its own zone (Clinic.time_zone); this is the default one.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Front-end libraries come from the npm registry (package.json); `make setup` runs `npm ci`.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The cache counts guesses at patient-link tokens and failed sign-ins per client address. Process
# memory by default; with several web processes (gunicorn runs 3) set CACHE_URL to a shared cache
# (docker-compose uses Redis) so that they count together: `check --deploy` warns otherwise.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# An SMTP server that never answers must not hold a reminder's lease forever (Django's default
# is no timeout at all).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="clinic@localhost")

# Celery: Redis (or any kombu URL) when CELERY_BROKER_URL is set, otherwise a broker made of
# folders under var/ so that one machine runs everything with nothing else installed.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    # The producer's "out" and the consumer's "in" must be the same folder.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        # The worker looks for new files this often while its prefetch is full (default 1 s,
        # which caps a worker at `prefetch` tasks a second).
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only once it has run, and re-queued if its worker dies mid-way;
# tasks are idempotent (they re-check the database) so a second delivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task still running when the broker connection drops goes on: a reminder send needs only the
# database and the provider, and killing it between the provider's answer and the database's
# record would make a repeat call likelier (Celery 6 plans to flip this default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"

# Reminders (scheduling/reminders.py). The database is the source of truth: beat only asks for a
# sweep, which claims due rows and hands each to a worker; nothing waits in the broker with an ETA.
# Beat also asks for one sweep when it starts, and every worker after it (re)connects to the
# broker, so nothing waits a whole interval after a restart.
REMINDER_SWEEP_SECONDS = env.float("REMINDER_SWEEP_SECONDS", default=15.0)
# The waitlist (scheduling/waitlist.py): a freed slot is offered to this many waitlisted patients
# at once, the first to accept gets it; an offer lasts this long (never past the slot's start)
# and beat expires offers, offering the slot to the next in line, this often.
WAITLIST_OFFER_COUNT = env.int("WAITLIST_OFFER_COUNT", default=3)
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=120)
WAITLIST_EXPIRY_SECONDS = env.float("WAITLIST_EXPIRY_SECONDS", default=60.0)
# How often beat looks for plans of care whose re-assessment is due (plans/reminders.py): the
# therapist is told once per plan and due date, however often it runs.
REASSESSMENT_REMIND_SECONDS = env.float("REASSESSMENT_REMIND_SECONDS", default=900.0)
# A worker renews the lease of the rows it is sending (a heartbeat, at least every third of this);
# a row whose heartbeat stopped this long ago (its worker died) is handed out again. It must
# outlast one provider call: see the check below.
REMINDER_LEASE_SECONDS = env.float("REMINDER_LEASE_SECONDS", default=30.0)
# A claimed row that no worker started this long after it was handed to the broker is handed out
# again. Lost messages are found sooner: after a broker restart, every worker's reconnection asks
# for a sweep that re-dispatches them at once; this is the last resort.
REMINDER_SENDING_TIMEOUT_SECONDS = env.float("REMINDER_SENDING_TIMEOUT_SECONDS", default=600.0)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
# Backoff after a transient failure: base * 2**(attempts-1), capped at one hour.
REMINDER_RETRY_BASE_SECONDS = env.float("REMINDER_RETRY_BASE_SECONDS", default=60.0)
REMINDER_CLAIM_BATCH = env.int("REMINDER_CLAIM_BATCH", default=500)
# Claimed rows go to workers this many per task (a task's own cost is paid once per chunk).
REMINDER_SEND_CHUNK = env.int("REMINDER_SEND_CHUNK", default=20)
# Palpation suggestions (sessions/atlas.py): a painful region in a muscle's spill-over zone
# counts this much of one in its essential zone (essential zones are felt by nearly every
# patient with an active point, spill-over zones by some); the recording page lists this many.
PALPATION_SPILLOVER_WEIGHT = env.float("PALPATION_SPILLOVER_WEIGHT", default=0.5)
PALPATION_SUGGESTIONS = env.int("PALPATION_SUGGESTIONS", default=5)
if not 0 <= PALPATION_SPILLOVER_WEIGHT <= 1 or PALPATION_SUGGESTIONS < 1:
    raise ImproperlyConfigured(
        "PALPATION_SPILLOVER_WEIGHT must be 0-1 and PALPATION_SUGGESTIONS at least 1."
    )
# Links in messages (confirm/cancel, check-in) point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# SMS: "console" (development), "file" (one JSON file per message in SMS_FILE_DIR), "http" (a
# JSON provider at SMS_HTTP_URL with SMS_HTTP_TOKEN), "none" (text reminders fail, saying so), or
# a dotted path to an SmsBackend class. Never the console in production: it would log PHI.
SMS_BACKEND = env.str("SMS_BACKEND", default="console" if DEBUG else "none")
SMS_FILE_DIR = env.str("SMS_FILE_DIR", default=str(VAR_DIR / "sms"))
# The file backend's pretend provider latency (tests and scripts/bench_reminders.py --faults).
SMS_FILE_LATENCY_SECONDS = env.float("SMS_FILE_LATENCY_SECONDS", default=0.0)
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
# Where the http backend asks whether the provider already accepted a message before sending it
# again ({key}: its idempotency key; 200 with its id, or 404). Unset: SMS_HTTP_URL/{key}; empty:
# the provider cannot be asked.
SMS_HTTP_STATUS_URL = env.str("SMS_HTTP_STATUS_URL", default=None)
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
SMS_FROM = env.str("SMS_FROM", default="")
if SMS_BACKEND == "http" and not SMS_HTTP_URL:
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL.")
if 2 * max(SMS_HTTP_TIMEOUT, EMAIL_TIMEOUT or 0) > REMINDER_LEASE_SECONDS:
    # Else a slow but live send could be reclaimed and sent a second time: the heartbeat is not
    # renewed while one provider call is under way.
    raise ImproperlyConfigured(
        "REMINDER_LEASE_SECONDS must be at least twice SMS_HTTP_TIMEOUT and EMAIL_TIMEOUT."
    )
if REMINDER_SENDING_TIMEOUT_SECONDS < REMINDER_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "REMINDER_SENDING_TIMEOUT_SECONDS must be at least REMINDER_LEASE_SECONDS."
    )
# The audit chain's sequencer runs this often; each run appends a signed checkpoint of the
# chain's head to AUDIT_ANCHOR_FILE (and the `clinic.audit.anchor` log), outside the database.
AUDIT_CHAIN_SECONDS = env.float("AUDIT_CHAIN_SECONDS", default=10.0)
AUDIT_ANCHOR_FILE = Path(env.str("AUDIT_ANCHOR_FILE", default=str(VAR_DIR / "audit-anchor.log")))
# The audit trail's months on PostgreSQL (clinic/partitions.py): made this many months ahead,
# and a month dropped once wholly older than AUDIT_RETENTION_MONTHS. That retention is a floor
# under the clinics' own: the longest `Clinic.retention_years` wins, and a month that names a
# patient whose record is still kept (records are kept years after the *last* visit) is never
# dropped, so the trail never ends inside a record's retention.
AUDIT_PARTITION_MONTHS_AHEAD = env.int("AUDIT_PARTITION_MONTHS_AHEAD", default=3)
AUDIT_RETENTION_MONTHS = env.int("AUDIT_RETENTION_MONTHS", default=120)
if AUDIT_PARTITION_MONTHS_AHEAD < 1:
    raise ImproperlyConfigured("AUDIT_PARTITION_MONTHS_AHEAD must be at least 1.")
if AUDIT_RETENTION_MONTHS < 12:
    raise ImproperlyConfigured("AUDIT_RETENTION_MONTHS must be at least 12.")
# PostgreSQL with two roles (README, Security): the role the application connects as. When set,
# `migrate` (run as the owner role) grants it what it needs and nothing more.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
CELERY_BEAT_SCHEDULE = {
    "reminders-sweep": {
        "task": "treatments.reminders_sweep",
        "schedule": REMINDER_SWEEP_SECONDS,
        # A sweep that waited a whole interval is superseded by the next one.
        "options": {"expires": REMINDER_SWEEP_SECONDS},
    },
    # Committed audit rows put in the keyed chain and its head anchored (clinic/audit.py).
    "audit-chain": {
        "task": "clinic.audit_chain",
        "schedule": AUDIT_CHAIN_SECONDS,
        "options": {"expires": AUDIT_CHAIN_SECONDS},
    },
    # The audit trail's months ahead made, and those past retention dropped.
    "audit-partitions": {"task": "clinic.audit_partitions", "schedule": 24 * 3600},
    # Waitlist offers past their time; their slot goes to the next in line.
    "waitlist-offers-expire": {
        "task": "scheduling.waitlist_offers_expire",
        "schedule": WAITLIST_EXPIRY_SECONDS,
        "options": {"expires": WAITLIST_EXPIRY_SECONDS},
    },
    "plans-reassessments-remind": {
        "task": "plans.reassessments_remind",
        "schedule": REASSESSMENT_REMIND_SECONDS,
        "options": {"expires": REASSESSMENT_REMIND_SECONDS},
    },
    # Records whose retention period after an erasure request has ended (scheduling/erasure.py).
    "patients-erase-due": {"task": "treatments.patients_erase_due", "schedule": 24 * 3600},
    # The sessions-to-release forecasts from each clinic's point history (sessions/forecasts.py):
    # a day's new points barely move them, and a page reads the stored rows.
    "release-forecasts-refresh": {
        "task": "treatments.release_forecasts_refresh",
        "schedule": 24 * 3600,
        "options": {"expires": 3600},
    },
}

REST_FRAMEWORK = {
    # Token first: an anonymous or badly authenticated call then answers 401 with a
    # WWW-Authenticate header, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "clinic.rest.ScopedFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "clinic.rest.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "clinic.rest.exception_handler",
    # Depth-limited JSON, and no NUL character in any parsed field (clinic/input_guard.py).
    "DEFAULT_PARSER_CLASSES": [
        "clinic.input_guard.JSONParser",
        "clinic.input_guard.FormParser",
        "clinic.input_guard.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "TITLE": "Trigger-point clinic API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "TriggerPointKindEnum": "sessions.models.TriggerPoint.Kind",
        "AddendumKindEnum": "sessions.models.Addendum.Kind",
        "FollowUpKindEnum": "scheduling.models.FollowUp.Kind",
        "ReminderKindEnum": "scheduling.models.Reminder.Kind",
        "AppointmentKindEnum": "scheduling.models.Appointment.Kind",
        "AppointmentStatusEnum": "scheduling.models.Appointment.Status",
        "ChannelEnum": "patients.models.Channel",
        "BodyRegionEnum": "patients.models.BodyRegion",
        "DischargeReasonEnum": "plans.models.DischargeReason",
        "PlanStatusEnum": "plans.models.PlanOfCare.Status",
        "PlanGoalKindEnum": "plans.models.PlanGoal.Kind",
    },
    "DESCRIPTION": "Records and outcome reports. Authenticate with a token "
    "(`Authorization: Token <key>`) or a signed-in session.",
}

# Production: HTTPS only. A proxy that terminates TLS sets X-Forwarded-Proto.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Request bodies larger than this are refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# JSON bodies nested deeper than this answer 400 (the deepest real body, a draft, has 4 levels).
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# One handler, and every record through the link-token filter (clinic/log_redaction.py): Django's
# own "django" and "django.server" handlers are replaced, so nothing logs around the filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_links": {"()": "clinic.log_redaction.RedactLinkTokens"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
    },
}

# Patient links (intake, check-in): how long an intake link lasts, and how many bad tokens one
# address may try per window before every link lookup from it is refused for the window.
INTAKE_LINK_VALID_DAYS = env.int("INTAKE_LINK_VALID_DAYS", default=14)
LINK_GUESS_LIMIT = env.int("LINK_GUESS_LIMIT", default=20)
LINK_GUESS_WINDOW_SECONDS = env.int("LINK_GUESS_WINDOW_SECONDS", default=15 * 60)
# An appointment's confirm/cancel link works until the appointment, and at most this many days
# after its reminder was sent.
REPLY_LINK_VALID_DAYS = env.int("REPLY_LINK_VALID_DAYS", default=7)

# Clinical thresholds (domain.md): kept as settings because studies disagree on the exact figures.
CLINIC_RESPONDER_MIN_POINTS = env.int("CLINIC_RESPONDER_MIN_POINTS", default=2)
CLINIC_RESPONDER_MIN_PERCENT = env.int("CLINIC_RESPONDER_MIN_PERCENT", default=30)
# PSFS: a rise of about 2 points in the mean of the items is clinically important (domain.md).
CLINIC_PSFS_MIN_POINTS = env.int("CLINIC_PSFS_MIN_POINTS", default=2)
