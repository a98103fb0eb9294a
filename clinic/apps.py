from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        # Connect the sign-in audit signals and the API tokens' revocation on account changes.
        from . import api_tokens, auth, checks  # noqa: F401
