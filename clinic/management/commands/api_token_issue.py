from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinic.api_tokens import api_token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for a staff member and print its key (shown this once; only its "
        "hash is stored). It lives like any token: API_TOKEN_IDLE_MINUTES unused, "
        "API_TOKEN_MAX_HOURS at most. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username}.")
        token, key = api_token_issue(user=user)
        self.stderr.write(
            f"Token for {username}, ends by {token.expires_at:%Y-%m-%d %H:%M} UTC "
            f"(or after {settings.API_TOKEN_IDLE_MINUTES} minutes unused):"
        )
        self.stdout.write(key)
