from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcome measures"

    def ready(self):
        # Questionnaires asked for at intake and every N sessions or weeks (see receivers).
        from . import receivers  # noqa: F401
