"""`make run` seeds a demo clinic with this: demo/planner.py plans it, demo/writer.py writes it."""

from django.core.management.base import BaseCommand, CommandError

from demo import catalogue, planner, writer


class Command(BaseCommand):
    help = (
        "Seed a deterministic demo clinic: staff logins, patients and their treatment courses. "
        "Does nothing when the demo clinic already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=catalogue.DEFAULT_SEED)
        parser.add_argument("--patients", type=int, default=catalogue.DEFAULT_PATIENTS)
        parser.add_argument("--password", default=catalogue.DEMO_PASSWORD)
        parser.add_argument("--weeks-min", type=int, default=catalogue.DEFAULT_WEEKS_MIN)
        parser.add_argument("--weeks-max", type=int, default=catalogue.DEFAULT_WEEKS_MAX)
        parser.add_argument("--quiet", action="store_true", help="No progress lines.")

    def handle(self, *args, seed, patients, password, weeks_min, weeks_max, quiet, **options):
        if writer.demo_present():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        if taken := writer.usernames_taken():
            raise CommandError(
                f"Users {', '.join(taken)} exist outside the demo clinic; "
                "seed_demo needs an empty database."
            )
        if not password:
            raise CommandError("--password must not be empty.")
        try:
            planner.check_options(patients=patients, weeks_min=weeks_min, weeks_max=weeks_max)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verbose = not quiet and options["verbosity"] > 0
        result = writer.seed(
            seed=seed,
            patients=patients,
            password=password,
            weeks_min=weeks_min,
            weeks_max=weeks_max,
            progress=self.stdout.write if verbose else None,
        )
        shares = ", ".join(
            f"{count} {label}" for label, count in sorted(result.trajectories.items())
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {sum(result.rows.values()):,} rows in {result.seconds:.1f} s "
                f"(seed {seed}; courses: {shares})."
            )
        )
        self.stdout.write(catalogue.logins_table(password))
