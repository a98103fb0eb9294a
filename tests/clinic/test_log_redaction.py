"""Patient-link tokens never reach a log line: one filter, on every handler the product sets up."""

import logging
import sys

import pytest
from django.test import Client

from clinic.log_redaction import GunicornLogger, RedactLinkTokens, redact

TOKEN = "AbC-123_secretTOKENvalue"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"Not Found: /intake/{TOKEN}/", "Not Found: /intake/[redacted]/"),
        (f'"GET /check-in/{TOKEN}/?step=2" 429', '"GET /check-in/[redacted]/?step=2" 429'),
        (f"/follow-ups/reply/{TOKEN}", "/follow-ups/reply/[redacted]"),
        (
            f"referer https://clinic.example/INTAKE/{TOKEN}/",
            "referer https://clinic.example/INTAKE/[redacted]/",
        ),
        ("Not Found: /intake/thanks/", "Not Found: /intake/thanks/"),
        ("GET /check-in/thanks/?lang=es", "GET /check-in/thanks/?lang=es"),
        ("GET /follow-ups/12/", "GET /follow-ups/12/"),
    ],
)
def test_link_tokens_are_redacted_and_nothing_else_is(line, expected):
    assert redact(line) == expected


def test_the_filter_rewrites_the_message_its_arguments_and_its_traceback():
    try:
        raise ValueError(f"no link /check-in/{TOKEN}/")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.WARNING,
            __file__,
            1,
            "Not Found: %s",
            (f"/intake/{TOKEN}/",),
            exc_info=sys.exc_info(),
        )

    assert RedactLinkTokens().filter(record)

    handler = logging.StreamHandler()
    formatted = handler.format(record)
    assert TOKEN not in formatted and "/intake/[redacted]/" in formatted
    assert "/check-in/[redacted]/" in formatted


def _our_handlers():
    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.Logger.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's own capture, not the product's
            if isinstance(handler, logging.NullHandler):
                continue  # libraries' "no output unless configured" placeholders write nothing
            yield logger.name, handler


@pytest.mark.django_db
def test_every_log_handler_the_settings_set_up_carries_the_filter():
    Client().get(f"/intake/{TOKEN}/")  # Django's request logging is configured by now
    handlers = list(_our_handlers())

    assert handlers
    bare = [
        f"{name}: {handler!r}"
        for name, handler in handlers
        if not any(isinstance(f, RedactLinkTokens) for f in handler.filters)
    ]
    assert not bare, bare


def test_gunicorns_error_and_access_handlers_carry_the_filter():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)

    for log in (logger.error_log, logger.access_log):
        assert log.handlers
        assert all(any(isinstance(f, RedactLinkTokens) for f in h.filters) for h in log.handlers)
