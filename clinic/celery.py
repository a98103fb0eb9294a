import os
import re
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from .log_redaction import celery_logging_redacted

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.dev")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A worker's own log handlers get the link-token filter too (clinic/log_redaction.py).
after_setup_logger.connect(celery_logging_redacted, weak=False)
after_setup_task_logger.connect(celery_logging_redacted, weak=False)


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
