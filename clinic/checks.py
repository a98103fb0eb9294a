"""Deployment checks (`manage.py check --deploy`) for settings Django does not know about."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Sign-in throttles and patient-link limits count in the cache: a per-process cache lets
    each gunicorn worker count alone (three workers, three times the attempts)."""
    if settings.CACHES["default"]["BACKEND"] in PER_PROCESS_CACHES:
        return [
            Warning(
                "The default cache is per process: sign-in throttles and link limits are not "
                "shared between web processes.",
                hint="Set CACHE_URL to a shared cache, e.g. redis://host:6379/1.",
                id="clinic.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def audit_key_of_its_own(app_configs, **kwargs):
    """The audit trail's HMAC key derived from SECRET_KEY would change with it, and every
    earlier row would then fail `audit_verify`."""
    if settings.AUDIT_HMAC_KEY.startswith("derived:"):
        return [
            Warning(
                "AUDIT_HMAC_KEY is not set: the audit trail's key is derived from SECRET_KEY, "
                "so rotating SECRET_KEY would make the trail unverifiable.",
                hint="Set AUDIT_HMAC_KEY to a random value kept outside the database.",
                id="clinic.W002",
            )
        ]
    return []
