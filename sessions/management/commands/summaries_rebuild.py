import time

from django.core.management.base import BaseCommand
from django.db import transaction

from patients.models import PainCourse, PsfsCourse
from sessions.models import MobilityCourse, SessionPain, TriggerPointVisit
from sessions.summaries import summaries_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the derived tables the reports read (pain courses, session pain, trigger-point "
        "visits, PSFS and range-of-motion courses) from the records, e.g. after rows were "
        "loaded outside the services."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            summaries_refresh(patient_ids=None)
        counts = ", ".join(
            f"{model.__name__} {model.objects.count():,}"
            for model in (PainCourse, SessionPain, TriggerPointVisit, PsfsCourse, MobilityCourse)
        )
        self.stdout.write(f"Rebuilt in {time.monotonic() - started:.1f} s, rows: {counts}.")
