"""Local development and `make run`: DEBUG on, embedded database and broker unless set."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402, F403

ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]  # noqa: F405
