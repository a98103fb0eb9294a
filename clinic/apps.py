from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        # Connect the sign-in audit signals, the API tokens' revocation on account changes and
        # the API schema extensions.
        from . import api_tokens, auth, checks, schema  # noqa: F401
        from .db_roles import grant_after_migrate
        from .history import sqlite_history_after_migrate

        # post_migrate is sent for every app once all migrations have run: answer clinic's only.
        post_migrate.connect(grant_after_migrate, sender=self)
        post_migrate.connect(sqlite_history_after_migrate, sender=self)
