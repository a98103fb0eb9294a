from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.audit import audit_verify
from clinic.models import AuditChainLink


class Command(BaseCommand):
    help = (
        "Link any audit rows still unlinked, then check every row's HMAC, the chain, and the "
        "chain against its anchor (AUDIT_ANCHOR_FILE); exits non-zero and names each problem."
    )

    def handle(self, *args, **options):
        problems = audit_verify()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The audit trail was tampered with: {len(problems)} problem(s).")
        count = AuditChainLink.objects.count()
        anchor = settings.AUDIT_ANCHOR_FILE
        where = f"checked against {anchor}" if anchor.exists() else f"no anchor yet at {anchor}"
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {count:,} events chained, {where}.")
        )
