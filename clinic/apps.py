from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from . import (
            auth,  # noqa: F401  (connects the sign-in audit signals)
            schema,  # noqa: F401  (registers the API schema extensions)
        )
