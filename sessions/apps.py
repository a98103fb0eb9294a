from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    # Django's own django.contrib.sessions owns the label "sessions".
    name = "sessions"
    label = "treatments"
    verbose_name = "Treatments"

    def ready(self):
        # A patient merge rebuilds the report tables derived from sessions (see receivers).
        from . import receivers  # noqa: F401
