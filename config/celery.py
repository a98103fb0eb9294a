import datetime as dt
import logging
import os
import re
from pathlib import Path

from celery import Celery, bootsteps
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init

from clinic.log_redaction import celery_logging_redacted

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A worker's own log handlers get the link-token filter too (clinic/log_redaction.py).
after_setup_logger.connect(celery_logging_redacted, weak=False)
after_setup_task_logger.connect(celery_logging_redacted, weak=False)

REMINDERS_SWEEP = "treatments.reminders_sweep"


class RemindersRecovery(bootsteps.StartStopStep):
    """Every time this worker connects to the broker (at start-up, and again after each lost
    connection: Celery restarts the consumer's steps), ask for a reminder sweep that hands out
    again the rows whose task was in the broker before this moment and never started. A broker
    restarted without persistence has lost them; one that did not makes their old task a no-op
    (it carries a lease that is no longer theirs)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer):
        lost_before = dt.datetime.now(dt.UTC).isoformat()
        try:
            consumer.app.send_task(REMINDERS_SWEEP, kwargs={"lost_before": lost_before})
        except Exception:  # the broker went again: the next connection asks again
            logger.warning("could not ask for a reminder sweep after connecting", exc_info=True)


app.steps["consumer"].add(RemindersRecovery)


@beat_init.connect
def _sweep_reminders_at_start(sender, **kwargs):
    """Beat's first scheduled sweep comes one interval after it starts: reminders due while it
    was down must not wait for that."""
    from django.conf import settings

    try:
        sender.app.send_task(REMINDERS_SWEEP, expires=settings.REMINDER_SWEEP_SECONDS)
    except Exception:  # the broker is not there yet: the first scheduled sweep follows
        logger.warning("could not ask for a reminder sweep at start-up", exc_info=True)


@app.task(name="clinic.ping")
def ping(marker: str) -> str:
    """Leaves var/ping/<marker> behind: proves that a worker consumes from the configured broker."""
    from django.conf import settings

    if not re.fullmatch(r"[0-9a-f]{32}", marker):
        raise ValueError("marker must be a uuid4 hex")
    folder = Path(settings.VAR_DIR) / "ping"
    folder.mkdir(exist_ok=True)
    (folder / marker).write_text("pong")
    return marker
