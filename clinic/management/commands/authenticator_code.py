import pyotp
from django.core.management.base import BaseCommand, CommandError

from clinic.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Print the current authenticator code of a staff member who has started enrolment: for "
        "trying the demo without a phone. Whoever runs it already holds the server and its data."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        device = TOTPDevice.objects.filter(user__username=username).first()
        if device is None:
            raise CommandError(
                f"{username} has no authenticator yet: sign in with the password first."
            )
        self.stdout.write(pyotp.TOTP(device.secret).now())
