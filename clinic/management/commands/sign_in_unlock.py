from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from clinic.auth import sign_in_unlock


class Command(BaseCommand):
    help = (
        "Lift the sign-in locks (password and code steps) of a staff member: for when no "
        "manager of their clinic can (the page for managers is /audit/). Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username}.")
        if sign_in_unlock(user=user):
            self.stdout.write(f"{username} can sign in again.")
        else:
            self.stdout.write(f"{username} was not locked.")
