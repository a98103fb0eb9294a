from django.core.management.base import BaseCommand

from scheduling.erasure import patients_erase_due


class Command(BaseCommand):
    help = "Delete the records of patients who asked for erasure once their retention period ends."

    def handle(self, *args, **options):
        erased = patients_erase_due()
        self.stdout.write(f"Erased {erased} patient record(s) whose retention period had ended.")
