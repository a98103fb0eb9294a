from django.core.management.base import BaseCommand, CommandError

from clinic.audit import audit_verify
from clinic.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; exits non-zero and names each row that was altered."

    def handle(self, *args, **options):
        problems = audit_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The audit trail was tampered with: {len(problems)} problem(s).")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count:,} events chained."))
