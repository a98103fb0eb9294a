"""Patient-link tokens never reach a log line.

An intake, check-in or appointment-reply link is the key to a patient's form: whoever reads it in
a log could open the form. Paths carry it (gunicorn's access log, Django's "Not Found: /intake/…"
and 429 warnings, a Referer), so one filter rewrites every log record before any handler writes
it: `/intake/<token>/` becomes `/intake/[redacted]/`. It is attached to every handler: Django's
(settings.LOGGING), gunicorn's (`GunicornLogger`, named in gunicorn.conf.py) and Celery's
(`celery_logging_redacted`). No Django import here: gunicorn loads this before Django starts.
"""

import logging
import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
_LINK_TOKEN = re.compile(
    r"(/(?:intake|check-in|follow-ups/reply)/)"  # the patient-link routes (patients, sessions)
    r"(?!thanks(?:[/?#\s\"']|$))"  # their token-free thank-you pages
    r"[^/?#\s\"'<>]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    return _LINK_TOKEN.sub(r"\1" + REDACTED, text)


class RedactLinkTokens(logging.Filter):
    """Rewrites the record's message (and its traceback text) with link tokens redacted; the
    record is never dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: leave it to the handler's error path
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_handlers(*loggers: logging.Logger) -> None:
    """Attach the filter to every handler of these loggers (once each)."""
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactLinkTokens) for f in handler.filters):
                handler.addFilter(RedactLinkTokens())


class GunicornLogger(Logger):
    """gunicorn's logger with the filter on its error and access handlers, also after a log
    reopen (SIGUSR1) or a reload, which call `setup` again."""

    def setup(self, cfg):
        super().setup(cfg)
        redact_handlers(self.error_log, self.access_log)


def celery_logging_redacted(logger=None, **kwargs) -> None:
    """For Celery's after_setup_logger / after_setup_task_logger signals."""
    redact_handlers(logging.getLogger(), *([logger] if logger is not None else []))
