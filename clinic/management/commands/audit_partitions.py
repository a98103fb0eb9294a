from django.core.management.base import BaseCommand

from clinic.partitions import audit_partition_months, audit_partitions_maintain, retention_months


class Command(BaseCommand):
    help = (
        "Make the audit trail's monthly partitions ahead (AUDIT_PARTITION_MONTHS_AHEAD) and drop "
        "those past retention, as the daily beat task does; safe to run again. PostgreSQL only."
    )

    def handle(self, *args, **options):
        report = audit_partitions_maintain()
        for month in report.created:
            self.stdout.write(f"made {month:%Y-%m}")
        for month in report.dropped:
            self.stdout.write(f"dropped {month:%Y-%m} (past {retention_months()} months)")
        for month, reason in report.held:
            self.stdout.write(f"kept {month:%Y-%m}: {reason}")
        months = audit_partition_months()
        span = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "none (one plain table)"
        self.stdout.write(self.style.SUCCESS(f"Audit months: {span}."))
