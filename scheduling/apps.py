from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        # Signing a note books its check-in (sessions announces the signature; see signals).
        from . import signals  # noqa: F401
