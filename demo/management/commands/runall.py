"""`make run`: the web server, a Celery worker and Celery beat as one command."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

# Bound to every interface: links in messages name this machine's loopback address instead.
UNSPECIFIED_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104  # nosec B104 -- compared, never bound


def child_environment(*, host: str, port: int, environ: dict[str, str]) -> dict[str, str]:
    """The environment of the web server, the worker and beat: links in reminders and check-ins
    (SITE_URL) point at the address `make run` serves, unless SITE_URL is set explicitly."""
    if environ.get("SITE_URL"):
        return dict(environ)
    shown = "127.0.0.1" if host in UNSPECIFIED_HOSTS else host
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    return {**environ, "SITE_URL": f"http://{shown}:{port}"}


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and Celery beat; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        commands = {
            # --insecure: runserver serves the static files when `make run` turns DEBUG off.
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload", "--insecure"],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [
                *celery, "beat", "--loglevel=INFO",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }  # fmt: skip
        environment = child_environment(host=host, port=port, environ=dict(os.environ))
        processes = {name: subprocess.Popen(cmd, env=environment) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"\nThe clinic is at http://{host}:{port}/"))
        self.stdout.write(f"Links in reminders and check-ins open {environment['SITE_URL']}/\n")
        self._print_logins()
        self.stdout.write("Ctrl-C stops the web server, the worker and beat.\n")

        # SIGTERM (docker stop, kill) takes the same path as Ctrl-C.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        stopped_early: list[str] = []
        try:
            while not stopped_early:
                time.sleep(0.5)
                stopped_early = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(stopped_early)} stopped; stopping the others.")
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(processes)
        if stopped_early:
            sys.exit(1)

    def _stop(self, processes):
        for p in processes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # warm shutdown; a 2nd SIGINT is cold
        # A Celery worker finishes its current tasks first: give it time, then insist.
        deadline = time.monotonic() + 20
        for p in processes.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _print_logins(self):
        from demo.catalogue import logins_table

        self.stdout.write(logins_table())
